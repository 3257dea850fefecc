package dev.tessera.lower.device;

import dev.tessera.ir.Var;
import dev.tessera.schedule.LoopKind;

/**
 * The block and thread indices of a GPU launch as IR variables. Device code refers to them (for
 * example in the guard that lets one thread write what all threads of a block computed alike); a
 * code generator prints each as its dialect's spelling ({@code threadIdx.x}, {@code get_local_id(0)}).
 */
public final class GpuIndex {
    private static final Var[] BLOCK = {Var.index("blockIdx.x"), Var.index("blockIdx.y"), Var.index("blockIdx.z")};
    private static final Var[] THREAD = {Var.index("threadIdx.x"), Var.index("threadIdx.y"), Var.index("threadIdx.z")};

    private GpuIndex() {}

    public static Var block(int dimension) { return BLOCK[dimension]; }
    public static Var thread(int dimension) { return THREAD[dimension]; }

    /** The index variable a GPU-bound loop kind iterates over. */
    public static Var of(LoopKind kind) {
        return kind.isGpuBlock() ? BLOCK[kind.gpuDimension()] : THREAD[kind.gpuDimension()];
    }

    /** The loop kind a GPU index variable stands for, or null if {@code v} is not one. */
    public static LoopKind kindOf(Var v) {
        for (int d = 0; d < 3; d++) {
            if (v == BLOCK[d]) return LoopKind.values()[LoopKind.BLOCK_X.ordinal() + d];
            if (v == THREAD[d]) return LoopKind.values()[LoopKind.THREAD_X.ordinal() + d];
        }
        return null;
    }
}
