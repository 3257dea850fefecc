package dev.tessera.target.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.TesseraUserError;
import dev.tessera.target.Target;
import dev.tessera.target.gpu.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntUnaryOperator;

/**
 * A {@link DeviceRuntime} on one NVIDIA GPU through the CUDA driver API: the device's primary
 * context, one stream, modules compiled by {@link CudaCompiler} for the device's architecture.
 * Methods may be called from any thread (the context is made current in each call) but are
 * serialised; closing the runtime frees every buffer and module still open.
 */
public final class CudaRuntime implements DeviceRuntime {
    private final CudaDriver driver;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final Target target;
    private final Set<CudaBuffer> buffers = new LinkedHashSet<>();
    private final Set<CudaModule> modules = new LinkedHashSet<>();
    private boolean closed;

    private CudaRuntime(CudaDriver driver, int device, MemorySegment context, MemorySegment stream, Target target) {
        this.driver = driver;
        this.device = device;
        this.context = context;
        this.stream = stream;
        this.target = target;
    }

    /** Why no CUDA device can be opened here (no driver, no GPU), or empty when one can. */
    public static Optional<String> unavailableReason() {
        String reason = CudaDriver.unavailableReason();
        if (reason != null) return Optional.of(reason);
        return deviceCount() == 0
                ? Optional.of("no CUDA device: the NVIDIA driver is installed but reports no GPU; use --target opencl or llvm")
                : Optional.empty();
    }

    private static int deviceCount() {
        try (var arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            CudaDriver.get().check(CudaDriver.get().cuDeviceGetCount, count);
            return count.get(JAVA_INT, 0);
        }
    }

    /**
     * Opens GPU {@code deviceOrdinal} (0 is the first). No driver, no device or a bad ordinal is a
     * {@link TesseraUserError} saying so.
     */
    public static CudaRuntime open(int deviceOrdinal) {
        var reason = unavailableReason();
        if (reason.isPresent()) throw new TesseraUserError(reason.get());
        int count = deviceCount();
        if (deviceOrdinal < 0 || deviceOrdinal >= count)
            throw new TesseraUserError("no CUDA device " + deviceOrdinal + ": this machine has " + count
                    + " (ordinals 0.." + (count - 1) + ")");
        CudaDriver driver = CudaDriver.get();
        try (var arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            MemorySegment deviceOut = arena.allocate(JAVA_INT);
            driver.check(driver.cuDeviceGet, deviceOut, deviceOrdinal);
            int device = deviceOut.get(JAVA_INT, 0);
            Target target = describe(driver, device, arena);
            // The primary context is the one the CUDA runtime API and other libraries share, so
            // buffers made here stay valid for them, and no context leaks if close() is missed.
            driver.check(driver.cuDevicePrimaryCtxRetain, out, device);
            MemorySegment context = out.get(ADDRESS, 0);
            try {
                driver.check(driver.cuCtxSetCurrent, context);
                driver.check(driver.cuStreamCreate, out, 0);
                return new CudaRuntime(driver, device, context, out.get(ADDRESS, 0), target);
            } catch (RuntimeException e) {
                driver.cuDevicePrimaryCtxRelease.call(device);
                throw e;
            }
        }
    }

    private static Target describe(CudaDriver driver, int device, Arena arena) {
        MemorySegment name = arena.allocate(256);
        driver.check(driver.cuDeviceGetName, name, 256, device);
        MemorySegment value = arena.allocate(JAVA_INT);
        IntUnaryOperator attribute = id -> {
            driver.check(driver.cuDeviceGetAttribute, value, id, device);
            return value.get(JAVA_INT, 0);
        };
        var blockDims = new ArrayList<Long>();
        var gridDims = new ArrayList<Long>();
        for (int axis = 0; axis < 3; axis++) {
            blockDims.add((long) attribute.applyAsInt(CudaDriver.MAX_BLOCK_DIM_X + axis));
            gridDims.add((long) attribute.applyAsInt(CudaDriver.MAX_GRID_DIM_X + axis));
        }
        var limits = new Target.GpuLimits(
                "sm_" + attribute.applyAsInt(CudaDriver.COMPUTE_CAPABILITY_MAJOR) + attribute.applyAsInt(CudaDriver.COMPUTE_CAPABILITY_MINOR),
                attribute.applyAsInt(CudaDriver.MAX_THREADS_PER_BLOCK), blockDims, gridDims,
                attribute.applyAsInt(CudaDriver.MAX_SHARED_MEMORY_PER_BLOCK), attribute.applyAsInt(CudaDriver.WARP_SIZE));
        return new Target("cuda", name.getString(0), "", 128, attribute.applyAsInt(CudaDriver.MULTIPROCESSOR_COUNT), limits);
    }

    @Override
    public Target target() {
        return target;
    }

    /** A loaded module and its kernels by name. */
    private final class CudaModule implements DeviceModule {
        final MemorySegment handle;
        final Map<String, MemorySegment> kernels;
        boolean closed;

        CudaModule(MemorySegment handle, Map<String, MemorySegment> kernels) {
            this.handle = handle;
            this.kernels = kernels;
        }

        CudaRuntime owner() {
            return CudaRuntime.this;
        }

        @Override
        public void close() {
            synchronized (CudaRuntime.this) {
                if (closed || CudaRuntime.this.closed) return;
                makeCurrent();
                closed = true;
                modules.remove(this);
                driver.check(driver.cuModuleUnload, handle);
            }
        }
    }

    /** Device memory: a CUdeviceptr and its size. */
    private final class CudaBuffer implements DeviceBuffer {
        final long address;
        final long bytes;
        boolean closed;

        CudaBuffer(long address, long bytes) {
            this.address = address;
            this.bytes = bytes;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        CudaRuntime owner() {
            return CudaRuntime.this;
        }

        @Override
        public void close() {
            synchronized (CudaRuntime.this) {
                if (closed || CudaRuntime.this.closed) return;
                makeCurrent();
                closed = true;
                buffers.remove(this);
                driver.check(driver.cuMemFree, address);
            }
        }
    }

    @Override
    public synchronized DeviceModule build(String source, List<String> kernelNames) {
        makeCurrent();
        byte[] cubin = CudaCompiler.compile(source, target.gpu().arch()).cubin();
        try (var arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            // 16-byte alignment, as the ELF image would have in a file mapped by the driver.
            MemorySegment image = arena.allocate(cubin.length, 16).copyFrom(MemorySegment.ofArray(cubin));
            driver.check(driver.cuModuleLoadData, out, image);
            MemorySegment module = out.get(ADDRESS, 0);
            var kernels = new LinkedHashMap<String, MemorySegment>();
            try {
                for (String name : kernelNames) {
                    int status = driver.cuModuleGetFunction.call(out, module, arena.allocateFrom(name));
                    if (status == CudaDriver.CUDA_ERROR_NOT_FOUND)
                        throw new TesseraUserError("the compiled CUDA module has no kernel '" + name + "' (kernels requested: "
                                + kernelNames + "); kernels must be extern \"C\" __global__ functions of that name");
                    if (status != 0) throw new CudaException(driver.cuModuleGetFunction.name(), status, driver.describe(status));
                    kernels.put(name, out.get(ADDRESS, 0));
                }
            } catch (RuntimeException e) {
                driver.cuModuleUnload.call(module);
                throw e;
            }
            var result = new CudaModule(module, Map.copyOf(kernels));
            modules.add(result);
            return result;
        }
    }

    @Override
    public synchronized DeviceBuffer allocate(long bytes) {
        makeCurrent();
        long size = Math.max(bytes, 1);
        try (var arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            int status = driver.cuMemAlloc.call(out, size);
            if (status == CudaDriver.CUDA_ERROR_OUT_OF_MEMORY)
                throw new TesseraUserError("out of GPU memory allocating " + size + " bytes on " + target.cpu());
            if (status != 0) throw new CudaException(driver.cuMemAlloc.name(), status, driver.describe(status));
            var buffer = new CudaBuffer(out.get(JAVA_LONG, 0), size);
            buffers.add(buffer);
            return buffer;
        }
    }

    @Override
    public synchronized void copyToDevice(MemorySegment host, DeviceBuffer dst) {
        makeCurrent();
        CudaBuffer buffer = open(dst, "copy to");
        if (host.byteSize() > buffer.bytes)
            throw new TesseraUserError("cannot copy " + host.byteSize() + " bytes to a device buffer of " + buffer.bytes + " bytes");
        if (host.byteSize() == 0) return;
        try (var arena = Arena.ofConfined()) {
            // The driver reads through a raw pointer, so heap memory is staged in native memory first.
            MemorySegment source = host.isNative() ? host : arena.allocate(host.byteSize()).copyFrom(host);
            driver.check(driver.cuMemcpyHtoDAsync, buffer.address, source, host.byteSize(), stream);
            driver.check(driver.cuStreamSynchronize, stream);
        }
    }

    @Override
    public synchronized void copyToHost(DeviceBuffer src, MemorySegment host) {
        makeCurrent();
        CudaBuffer buffer = open(src, "copy from");
        if (host.byteSize() > buffer.bytes)
            throw new TesseraUserError("cannot copy " + host.byteSize() + " bytes from a device buffer of " + buffer.bytes + " bytes");
        if (host.byteSize() == 0) return;
        if (host.isReadOnly()) throw new TesseraUserError("cannot copy from the device into a read-only host segment");
        try (var arena = Arena.ofConfined()) {
            MemorySegment destination = host.isNative() ? host : arena.allocate(host.byteSize());
            driver.check(driver.cuMemcpyDtoHAsync, destination, buffer.address, host.byteSize(), stream);
            driver.check(driver.cuStreamSynchronize, stream);
            if (destination != host) host.copyFrom(destination);
        }
    }

    @Override
    public synchronized void launch(DeviceModule module, String kernel, List<KernelArg> args, long[] grid, long[] block) {
        makeCurrent();
        if (!(module instanceof CudaModule m) || m.owner() != this)
            throw new TesseraUserError("the module was not built by this CUDA runtime");
        if (m.closed) throw new TesseraUserError("the module was closed; build it again before launching '" + kernel + "'");
        MemorySegment function = m.kernels.get(kernel);
        if (function == null)
            throw new TesseraUserError("no kernel '" + kernel + "' in the module; it has " + m.kernels.keySet());
        int[] gridDims = dims(grid, "grid", target.gpu().maxGridDims());
        int[] blockDims = dims(block, "block", target.gpu().maxBlockDims());
        long threads = (long) blockDims[0] * blockDims[1] * blockDims[2];
        if (threads > target.gpu().maxThreadsPerBlock())
            throw new TesseraUserError("a block of " + threads + " threads (" + block[0] + "x" + block[1] + "x" + block[2]
                    + ") exceeds maxThreadsPerBlock " + target.gpu().maxThreadsPerBlock() + " on " + target.cpu());
        try (var arena = Arena.ofConfined()) {
            // cuLaunchKernel takes one pointer per parameter to that parameter's value; buffers
            // pass their CUdeviceptr and shape values their int64, both 8 bytes.
            MemorySegment pointers = arena.allocate(ADDRESS, Math.max(args.size(), 1));
            for (int i = 0; i < args.size(); i++) {
                long value = switch (args.get(i)) {
                    case KernelArg.Buffer(DeviceBuffer b) -> open(b, "pass as argument " + i + " of '" + kernel + "'").address;
                    case KernelArg.Int64(long v) -> v;
                };
                pointers.setAtIndex(ADDRESS, i, arena.allocateFrom(JAVA_LONG, value));
            }
            driver.check(driver.cuLaunchKernel, function, gridDims[0], gridDims[1], gridDims[2],
                    blockDims[0], blockDims[1], blockDims[2], 0, stream, pointers, MemorySegment.NULL);
        }
    }

    private static int[] dims(long[] sizes, String what, List<Long> limits) {
        if (sizes == null || sizes.length != 3)
            throw new TesseraUserError(what + " needs three dimensions (x, y, z), got "
                    + (sizes == null ? "none" : Arrays.toString(sizes)));
        int[] result = new int[3];
        for (int axis = 0; axis < 3; axis++) {
            if (sizes[axis] < 1)
                throw new TesseraUserError(what + " dimension " + "xyz".charAt(axis) + " must be at least 1, got " + sizes[axis]);
            if (sizes[axis] > limits.get(axis))
                throw new TesseraUserError(what + " dimension " + "xyz".charAt(axis) + " of " + sizes[axis]
                        + " exceeds the device's max" + (what.equals("grid") ? "Grid" : "Block") + "Dims " + limits);
            result[axis] = (int) sizes[axis];
        }
        return result;
    }

    @Override
    public synchronized void synchronize() {
        makeCurrent();
        driver.check(driver.cuStreamSynchronize, stream);
    }

    @Override
    public synchronized double timeMillis(Runnable work) {
        makeCurrent();
        try (var arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            driver.check(driver.cuEventCreate, out, 0);
            MemorySegment start = out.get(ADDRESS, 0);
            try {
                driver.check(driver.cuEventCreate, out, 0);
                MemorySegment end = out.get(ADDRESS, 0);
                try {
                    driver.check(driver.cuEventRecord, start, stream);
                    work.run();
                    makeCurrent(); // work may have switched contexts (another runtime)
                    driver.check(driver.cuEventRecord, end, stream);
                    driver.check(driver.cuEventSynchronize, end);
                    MemorySegment millis = arena.allocate(JAVA_FLOAT);
                    driver.check(driver.cuEventElapsedTime, millis, start, end);
                    return millis.get(JAVA_FLOAT, 0);
                } finally {
                    driver.cuEventDestroy.call(end);
                }
            } finally {
                driver.cuEventDestroy.call(start);
            }
        }
    }

    /**
     * Frees every buffer and module still open, destroys the stream and releases the primary
     * context. Failures here are ignored: a faulted context fails every call, and the fault was
     * already reported by the call that saw it.
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        driver.cuCtxSetCurrent.call(context);
        for (CudaBuffer b : buffers) driver.cuMemFree.call(b.address);
        for (CudaModule m : modules) driver.cuModuleUnload.call(m.handle);
        buffers.clear();
        modules.clear();
        driver.cuStreamDestroy.call(stream);
        driver.cuDevicePrimaryCtxRelease.call(device);
    }

    private void makeCurrent() {
        if (closed) throw new TesseraUserError("the CUDA runtime for " + target.cpu() + " is closed");
        driver.check(driver.cuCtxSetCurrent, context);
    }

    private CudaBuffer open(DeviceBuffer buffer, String use) {
        if (!(buffer instanceof CudaBuffer b) || b.owner() != this)
            throw new TesseraUserError("cannot " + use + " a buffer that was not allocated by this CUDA runtime");
        if (b.closed) throw new TesseraUserError("cannot " + use + " a closed device buffer (" + b.bytes + " bytes)");
        return b;
    }
}
