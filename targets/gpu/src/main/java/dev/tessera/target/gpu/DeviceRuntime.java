package dev.tessera.target.gpu;

import dev.tessera.target.Target;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The few operations the GPU launcher needs from a device API (the CUDA driver, OpenCL): build a
 * module from generated source, own device memory, copy, launch, time. One runtime is one device
 * with one context and one in-order queue (stream). Everything it hands out is closed by
 * try-with-resources, and closing the runtime frees whatever is still open.
 */
public interface DeviceRuntime extends AutoCloseable {
    /** The device as a target: kind ({@code "cuda"} or {@code "opencl"}), name, arch and limits. */
    Target target();

    /**
     * Compiles generated kernel source for this device. A compile error is a
     * {@link dev.tessera.TesseraUserError} that carries the compiler's log.
     */
    DeviceModule build(String source, List<String> kernelNames);

    /** Allocates {@code bytes} (at least 1) of device memory, aligned to at least 16 bytes (generated vector accesses rely on it). */
    DeviceBuffer allocate(long bytes);

    /** Copies {@code host} (its whole size) to the start of {@code dst}; blocks until done. */
    void copyToDevice(MemorySegment host, DeviceBuffer dst);

    /** Copies the start of {@code src} into {@code host} (its whole size); blocks until done. */
    void copyToHost(DeviceBuffer src, MemorySegment host);

    /**
     * Enqueues one launch of {@code kernel}: {@code grid} blocks (work-groups) of {@code block}
     * threads in each of three dimensions, {@code args} in the kernel's parameter order.
     */
    void launch(DeviceModule module, String kernel, List<KernelArg> args, long[] grid, long[] block);

    /** Waits until everything enqueued has finished; reports a failed launch as an error. */
    void synchronize();

    /**
     * Runs {@code work} (which enqueues launches) between two device events and returns the
     * device time between them in milliseconds, after waiting for both.
     */
    double timeMillis(Runnable work);

    @Override void close();

    /** A compiled program: its kernels by name. Closing it unloads it. */
    interface DeviceModule extends AutoCloseable {
        @Override void close();
    }

    /** Device memory of a fixed size. Closing it frees it; a closed buffer is never passed again. */
    interface DeviceBuffer extends AutoCloseable {
        long bytes();
        @Override void close();
    }

    /** One kernel argument: a device buffer, or a 64-bit integer (symbolic shape values). */
    sealed interface KernelArg {
        record Buffer(DeviceBuffer buffer) implements KernelArg {}
        record Int64(long value) implements KernelArg {}
    }
}
