package dev.tessera.schedule;

/**
 * How a loop runs: in order, across the thread pool, as one vector, copied out, or (on a GPU
 * target) as one index of the launch grid: a block index or a thread index in one of three
 * dimensions.
 */
public enum LoopKind {
    SERIAL, PARALLEL, VECTORIZED, UNROLLED,
    BLOCK_X, BLOCK_Y, BLOCK_Z, THREAD_X, THREAD_Y, THREAD_Z;

    /** Whether the loop is bound to a block (work-group) index. */
    public boolean isGpuBlock() { return this == BLOCK_X || this == BLOCK_Y || this == BLOCK_Z; }

    /** Whether the loop is bound to a thread (work-item within a group) index. */
    public boolean isGpuThread() { return this == THREAD_X || this == THREAD_Y || this == THREAD_Z; }

    /** Whether the loop is bound to a GPU index of either kind. */
    public boolean isGpu() { return isGpuBlock() || isGpuThread(); }

    /** The grid dimension of a GPU-bound loop: 0 for x, 1 for y, 2 for z. */
    public int gpuDimension() {
        return switch (this) {
            case BLOCK_X, THREAD_X -> 0;
            case BLOCK_Y, THREAD_Y -> 1;
            case BLOCK_Z, THREAD_Z -> 2;
            default -> throw new IllegalStateException(this + " is not bound to a GPU index");
        };
    }

    /** The CUDA spelling of a GPU-bound loop's index, e.g. {@code threadIdx.x}; what {@code bind} takes. */
    public String threadTag() {
        if (!isGpu()) throw new IllegalStateException(this + " is not bound to a GPU index");
        return (isGpuBlock() ? "blockIdx." : "threadIdx.") + "xyz".charAt(gpuDimension());
    }

    /** The kind for a {@code bind} tag ({@code blockIdx.x} ... {@code threadIdx.z}), or null. */
    public static LoopKind ofThreadTag(String tag) {
        for (LoopKind k : values()) if (k.isGpu() && k.threadTag().equals(tag)) return k;
        return null;
    }
}
