package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.ir.LoweredFunc;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * A kernel ready to run in this process. {@link #call} checks every argument against the kernel's
 * {@link KernelSignature} (count, dtype, rank, shape, aliasing, closed buffers) before the backend's
 * native entry runs, so each backend only implements {@link #invoke}.
 */
public abstract class CompiledKernel implements AutoCloseable {
    private final LoweredFunc func;
    private final KernelSignature signature;

    protected CompiledKernel(LoweredFunc func) {
        this.func = func;
        this.signature = new KernelSignature(func);
    }

    public LoweredFunc func() { return func; }
    public KernelSignature signature() { return signature; }

    /** Runs the kernel on its buffers: inputs then outputs, in {@link LoweredFunc#buffers()} order. */
    public final void call(List<HostBuffer> args) {
        long[] shapes = signature.check(args);
        MemorySegment[] segments = new MemorySegment[args.size()];
        for (int i = 0; i < segments.length; i++) segments[i] = args.get(i).segment();
        try {
            invoke(segments, shapes);
        } catch (IllegalStateException e) {
            // A buffer closed by another thread between the check and the native call: the FFM
            // runtime refuses to pass a closed segment, so nothing ran.
            for (int i = 0; i < segments.length; i++) {
                if (!segments[i].scope().isAlive())
                    throw new TesseraUserError("argument " + signature.argumentNames().get(i) + ": buffer was closed during the call", e);
            }
            throw e;
        }
    }

    /** Runs the kernel on its buffers: inputs then outputs, in {@link LoweredFunc#buffers()} order. */
    public final void call(HostBuffer... args) {
        call(Arrays.asList(args));
    }

    /**
     * Times {@code repeats} calls after {@code warmup} untimed ones and returns each call's time in
     * milliseconds; afterwards the output buffers hold what a call computes. Here the time is the
     * wall-clock time of {@link #call}; a backend whose kernels run on a device with its own memory
     * overrides this to time on buffers already resident there.
     */
    public double[] time(List<HostBuffer> args, int warmup, int repeats) {
        for (int i = 0; i < warmup; i++) call(args);
        double[] times = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            call(args);
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        if (warmup + repeats == 0) call(args);
        return times;
    }

    /**
     * Frees what the kernel holds on its device (a GPU's loaded module), for callers that compile
     * many kernels, such as the autotuner; a CPU kernel's code stays with the JIT and this does
     * nothing. A kernel from {@link Kernels#compile} is shared through its cache: close only kernels
     * compiled without it.
     */
    @Override public void close() {}

    /**
     * Runs the native entry. The arguments have been checked: one live segment per buffer parameter
     * and the value of each shape parameter in {@link LoweredFunc#shapeParams()} order.
     */
    protected abstract void invoke(MemorySegment[] buffers, long[] shapeValues);
}
