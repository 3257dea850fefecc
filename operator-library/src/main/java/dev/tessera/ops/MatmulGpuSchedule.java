package dev.tessera.ops;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Var;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;

/**
 * The GPU schedule shared by matmul, batch_matmul and dense (the classic shared-memory SGEMM,
 * written with the schedule primitives): an output stage with spatial axes ({@code b},) {@code i},
 * {@code j} that reads an accumulator stage over the same axes plus the reduction axis {@code k}.
 *
 * <p><b>Blocks.</b> Each block computes a {@code BM x BN} tile of the output (128 x 128; 64 x 64 for
 * f64, or when the matrix has fewer than 128 rows or columns), {@code i} tiles on
 * {@code blockIdx.y}, {@code j} tiles on {@code blockIdx.x}, the batch on {@code blockIdx.z}.
 *
 * <p><b>Threads.</b> 256 threads per block (one {@code threadIdx.x}), each owning a {@code TM x TN}
 * register tile (8 x 8; 4 x 4 in the small tile): the accumulator stage is computed at the thread
 * loop, so it is a 64-element local array whose indices are all constants after unrolling, which
 * the CUDA compiler keeps in registers. A thread's tile is contiguous (bounds inference sizes a
 * stage by the box its reader touches, so a strided tile would cost the whole block's box in
 * registers). The 256 threads are one fused loop over (iA, jA, iB, jB), with
 * {@code i = iA*(4*TM) + iB*TM + iC} and {@code j = jA*(8*TN) + jB*TN + jC}: a warp is 4 row groups
 * by 8 column groups, so it reads 4 distinct rows of the A tile (broadcast to 8 threads each) and 8
 * distinct column groups of the B tile in one shared-memory access, and stores 8 runs of TN
 * consecutive floats per output row.
 *
 * <p><b>Shared memory.</b> {@code k} is split by 8: for each k step, {@code cache_read} stages the
 * {@code BM x 8} panel of A and the {@code 8 x BN} panel of B in shared memory (set_scope shared,
 * computed at the accumulator's k-step loop inside the thread loop: the block's threads load the
 * panel together, each element once, consecutive threads reading consecutive addresses of A's and
 * B's rows). Tessera places the barriers: one after the loads, one at the end of the k step before
 * the next loads overwrite the panels. 8 KB of shared memory per block in f32 (two blocks fit an SM
 * several times over).
 *
 * <p><b>Inner loop.</b> The 8 k values of a step and the thread's TM x TN tile are unrolled: per
 * step and thread, TM + TN shared loads per k feed TM * TN fused multiply-adds (8 + 8 loads for 64
 * FMAs), every shared address a per-thread base plus a constant. With rows of TN floats at offsets
 * that are multiples of 4 floats, the CUDA compiler merges four of them into one 128-bit shared
 * load (CUDA shared arrays are declared 16-byte aligned for this); the A panel's rows likewise
 * along k.
 *
 * <p><b>Tails and symbolic shapes.</b> Every split guards its tail, so any M, N, K is computed
 * correctly: partial blocks clip their panels and register tiles. When the shapes divide the
 * tiles no guard remains; a symbolic M is {@code specialize}d on {@code M % BM == 0} so that the
 * divisible case gets the guard-free kernel too.
 */
final class MatmulGpuSchedule {
    /** Threads per block. */
    static final int THREADS = 256;
    /** Columns of the reduction staged in shared memory per step. */
    static final int K_STEP = 8;

    private MatmulGpuSchedule() {}

    /** The tile sizes for an output of (constant or symbolic) rows and columns in a dtype. */
    record Tiles(int rows, int cols, int threadRows, int threadCols) {
        static Tiles of(Stage out) {
            List<dev.tessera.ir.Axis> axes = out.op().axes();
            Long m = Exprs.constInt(axes.get(axes.size() - 2).extent()), n = Exprs.constInt(axes.get(axes.size() - 1).extent());
            DType t = out.op().outputs().get(0).dtype();
            boolean small = t.bytes() > 4 || (m != null && m < 128) || (n != null && n < 128);
            return small ? new Tiles(64, 64, 4, 4) : new Tiles(128, 128, 8, 8);
        }
    }

    /**
     * Applies the schedule to output stage {@code out} and accumulator {@code acc}; with
     * {@code batched} the output's leading axis {@code b} is bound to {@code blockIdx.z}.
     */
    static void apply(Schedule s, String out, String acc, boolean batched) {
        Stage o = s.stage(out), a = s.stage(acc);
        Tiles tiles = Tiles.of(o);
        int warpRows = 4, warpCols = 8; // row groups x column groups of one 32-thread warp
        int threadRows = tiles.rows() / tiles.threadRows(), threadCols = tiles.cols() / tiles.threadCols();
        if (threadRows * threadCols != THREADS) throw new IllegalStateException("tile " + tiles + " does not make " + THREADS + " threads");

        Stage.Parts i = o.split("i", tiles.rows()), j = o.split("j", tiles.cols());
        Stage.Parts iA = o.split(i.inner(), (long) warpRows * tiles.threadRows()), iB = o.split(iA.inner(), tiles.threadRows());
        Stage.Parts jA = o.split(j.inner(), (long) warpCols * tiles.threadCols()), jB = o.split(jA.inner(), tiles.threadCols());
        o.reorder(i.outer(), j.outer(), iA.outer(), jA.outer(), iB.outer(), jB.outer(), iB.inner(), jB.inner());
        LoopAxis thread = o.fuse(o.fuse(o.fuse(iA.outer(), jA.outer()), iB.outer()), jB.outer());
        if (batched) o.bind("b", "blockIdx.z");
        o.bind(i.outer(), "blockIdx.y");
        o.bind(j.outer(), "blockIdx.x");
        o.bind(thread, "threadIdx.x");
        o.unroll(iB.inner());
        o.unroll(jB.inner());

        a.computeAt(o, thread);
        Stage.Parts k = a.split("k", K_STEP);
        if (batched) a.reorder(k.outer().name(), k.inner().name(), "b", "i", "j");
        else a.reorder(k.outer().name(), k.inner().name(), "i", "j");
        a.unroll(k.inner());
        if (batched) a.unroll("b");
        a.unroll("i");
        a.unroll("j");

        for (String operand : List.of("A", "B")) {
            Tensor t = a.inputs().stream().filter(x -> x.name().equals(operand)).findFirst().orElseThrow();
            Stage panel = s.cacheRead(t, a);
            panel.setScope("shared");
            panel.computeAt(a, k.outer());
            List<LoopAxis> axes = panel.leafAxes();
            LoopAxis all = axes.get(0);
            for (int d = 1; d < axes.size(); d++) all = panel.fuse(all, axes.get(d));
            Stage.Parts p = panel.split(all, THREADS);
            panel.bind(p.inner(), "threadIdx.x");
            panel.unroll(p.outer());
        }

        // The guard-free kernel for a symbolic number of rows that fills whole blocks (two kernels, chosen at launch).
        List<dev.tessera.ir.Axis> axes = o.op().axes();
        if (axes.get(axes.size() - 2).extent() instanceof Var rows) o.specialize(rows.name(), tiles.rows());
    }
}
