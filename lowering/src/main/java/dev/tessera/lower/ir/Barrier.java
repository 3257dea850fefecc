package dev.tessera.lower.ir;

/**
 * A GPU block barrier: every thread of the block waits here until all have arrived, and the
 * shared-memory writes made before it are visible to every thread after it (CUDA
 * {@code __syncthreads()}, OpenCL {@code barrier(CLK_LOCAL_MEM_FENCE)}). Inserted by
 * {@link dev.tessera.lower.passes.InjectBarriers} into device code only; in sequential semantics
 * (the loop interpreter) it does nothing.
 */
public record Barrier() implements Stmt {}
