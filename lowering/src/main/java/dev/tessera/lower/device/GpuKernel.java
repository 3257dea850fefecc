package dev.tessera.lower.device;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Stmt;
import java.util.List;

/**
 * One GPU kernel of a {@link DeviceProgram}: its global buffers and i64 shape parameters (in
 * argument order), its launch shape (the grid in blocks, as expressions over the shape parameters
 * evaluated by the host; the block in threads, constant), the per-block and per-thread arrays it
 * declares, and its body. In the body, loops bound to a block or thread index stand for one
 * iteration per block or thread.
 */
public record GpuKernel(String name, List<BufferRef> buffers, List<Var> shapeParams, List<Expr> grid, List<Long> block,
                        List<ScopedBuffer> scratch, Stmt body) {
    public GpuKernel {
        buffers = List.copyOf(buffers);
        shapeParams = List.copyOf(shapeParams);
        grid = List.copyOf(grid);
        block = List.copyOf(block);
        scratch = List.copyOf(scratch);
        if (grid.size() != 3 || block.size() != 3) throw new IllegalArgumentException("grid and block have three dimensions");
    }

    /** Threads per block. */
    public long threadsPerBlock() { return block.get(0) * block.get(1) * block.get(2); }

    /** Shared memory per block, in bytes. */
    public long sharedBytes() {
        return scratch.stream().filter(b -> b.scope() == MemoryScope.SHARED)
                .mapToLong(b -> b.elements() * b.buffer().elementType().bytes()).sum();
    }

    /** Local (per-thread) arrays, in bytes per thread. */
    public long localBytesPerThread() {
        return scratch.stream().filter(b -> b.scope() == MemoryScope.LOCAL)
                .mapToLong(b -> b.elements() * b.buffer().elementType().bytes()).sum();
    }

    /** An array the kernel declares: per block (shared) or per thread (local), of a constant size. */
    public record ScopedBuffer(BufferRef buffer, MemoryScope scope, long elements) {}
}
