package dev.tessera.target.gpu;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.IntImm;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.target.Target;
import java.util.List;

/** Checks the launch shape of every kernel of a program against what the target device allows. */
public final class LaunchLimits {
    private LaunchLimits() {}

    /**
     * Tessera's bound on a thread's own arrays. They live in registers when small and in slow local
     * memory otherwise; CUDA allows 512 KiB, but OpenCL on CPUs (PoCL) keeps them on a thread's stack,
     * where a few hundred KiB crash the process.
     */
    public static final long MAX_LOCAL_BYTES_PER_THREAD = 64 * 1024;

    /**
     * Raises a {@link TesseraUserError} naming the first limit a kernel exceeds: threads per block,
     * in all and per dimension, shared memory per block, local memory per thread, and blocks per grid dimension where the
     * grid is constant (a grid over symbolic sizes is checked at launch).
     */
    public static void check(DeviceProgram program, Target target) {
        Target.GpuLimits limits = target.gpu();
        if (limits == null) throw new IllegalArgumentException("target " + target.kind() + " is not a GPU");
        for (GpuKernel k : program.kernels()) {
            String kernel = "kernel " + k.name() + " of " + program.func().name();
            String device = target.cpu() + " (" + target.kind() + ", " + limits.arch() + ")";
            List<Long> b = k.block();
            if (k.threadsPerBlock() > limits.maxThreadsPerBlock())
                throw new TesseraUserError(kernel + " uses " + k.threadsPerBlock() + " threads per block (" + b.get(0) + " x " + b.get(1) + " x " + b.get(2)
                        + "), more than the limit of " + limits.maxThreadsPerBlock() + " threads per block of " + device
                        + ": bind smaller loops to threads (smaller thread tiles)");
            for (int d = 0; d < 3; d++)
                if (b.get(d) > limits.maxBlockDims().get(d))
                    throw new TesseraUserError(kernel + " uses " + b.get(d) + " threads in dimension " + "xyz".charAt(d)
                            + ", more than the limit of " + limits.maxBlockDims().get(d) + " (max block dimension " + "xyz".charAt(d) + ") of " + device);
            if (k.sharedBytes() > limits.sharedMemoryBytes())
                throw new TesseraUserError(kernel + " stages " + k.sharedBytes() + " bytes in shared memory per block, more than the limit of "
                        + limits.sharedMemoryBytes() + " bytes of shared memory per block of " + device
                        + ": stage smaller tiles (compute_at a deeper loop, or split the consumer by smaller factors)");
            if (k.localBytesPerThread() > MAX_LOCAL_BYTES_PER_THREAD)
                throw new TesseraUserError(kernel + " keeps " + k.localBytesPerThread() + " bytes of arrays per thread, more than the limit of "
                        + MAX_LOCAL_BYTES_PER_THREAD + " bytes of local memory per thread: compute the per-thread stages at a deeper loop, "
                        + "or split their consumer's loops by smaller factors");
            if (k.grid().stream().allMatch(e -> e instanceof IntImm))
                checkGrid(k, k.grid().stream().mapToLong(e -> ((IntImm) e).value()).toArray(), target);
        }
    }

    /** Checks a grid whose size is known at launch. */
    static void checkGrid(GpuKernel k, long[] grid, Target target) {
        for (int d = 0; d < 3; d++)
            if (grid[d] > target.gpu().maxGridDims().get(d))
                throw new TesseraUserError("kernel " + k.name() + " needs " + grid[d] + " blocks in dimension " + "xyz".charAt(d)
                        + ", more than the limit of " + target.gpu().maxGridDims().get(d) + " (max grid dimension " + "xyz".charAt(d) + ") of "
                        + target.cpu() + ": bind a larger loop to threads, or bind another loop to blockIdx." + "yzx".charAt(d));
    }
}
