package dev.tessera.target.opencl;

import static dev.tessera.target.opencl.ClCalls.create;
import static dev.tessera.target.opencl.ClCalls.run;

import dev.tessera.TesseraUserError;
import dev.tessera.target.Target;
import dev.tessera.target.gpu.DeviceRuntime;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_event;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_platform_id;
import org.jocl.cl_program;

/**
 * A {@link DeviceRuntime} for one OpenCL device through JOCL: one context, one in-order command
 * queue with profiling, OpenCL C built from source, {@code cl_mem} buffers, and launches checked
 * against the device's limits before they reach the driver. Open one with {@link #open(String)};
 * list what is there with {@link #devices()}.
 */
public final class OpenClRuntime implements DeviceRuntime {
    /** The environment variable that selects the device when {@link #open(String)} gets null. */
    public static final String DEVICE_ENV = "TESSERA_OPENCL_DEVICE";

    static final String INSTALL_HINT = "To run on the CPU with PoCL on Debian/Ubuntu: "
            + "apt-get install pocl-opencl-icd ocl-icd-libopencl1 (then `clinfo -l` lists the device).";

    /** Copies move at most this many bytes per call: a ByteBuffer is indexed by int. */
    private static final long COPY_CHUNK = 1L << 30;

    /** One OpenCL device as {@code tessera devices} lists it. */
    public record Device(String platform, String name, String type, String version) {
        @Override public String toString() { return platform + ": " + name + " (" + type + ", " + version + ")"; }
    }

    /** A device with the handles needed to open it. */
    private record Found(cl_platform_id platform, cl_device_id device, long type, Device description) {}

    /** What probing the machine gave: the devices, or why OpenCL cannot be used at all. */
    private sealed interface Probe {
        record Loaded(List<Found> devices) implements Probe {}
        record Unavailable(String reason) implements Probe {}
    }

    // CL's static initializer loads the natives once; after it fails, later calls only say "Could
    // not initialize class org.jocl.CL", so the first, informative failure is kept.
    private static volatile String libraryFailure;

    private final Found found;
    private final cl_context context;
    private final cl_command_queue queue;
    private final Target target;
    private final boolean cl12;
    private final Set<OpenClBuffer> buffers = ConcurrentHashMap.newKeySet();
    private final Set<OpenClModule> modules = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Opens a device. {@code selector} is {@code ""} for the first GPU (else the first device),
     * {@code "cpu"}, {@code "gpu"} or {@code "accelerator"} for the first of that type, or text
     * the device or platform name contains (any case). With {@code null}, the value of
     * {@value #DEVICE_ENV} is used. No OpenCL, or no matching device, is a {@link TesseraUserError}
     * that lists the devices found.
     */
    public static OpenClRuntime open(String selector) {
        String from = "selector";
        if (selector == null) {
            selector = System.getenv(DEVICE_ENV);
            from = DEVICE_ENV;
        }
        String wanted = selector == null ? "" : selector.strip();
        List<Found> all = switch (probe()) {
            case Probe.Unavailable(String reason) -> throw new TesseraUserError("OpenCL is not available: " + reason + ". " + INSTALL_HINT);
            case Probe.Loaded(List<Found> devices) -> devices;
        };
        if (all.isEmpty())
            throw new TesseraUserError("OpenCL is not available: no OpenCL platform or device was found. " + INSTALL_HINT);
        String asked = from + " '" + wanted + "'";
        Found f = select(all, wanted).orElseThrow(() -> new TesseraUserError(
                "no OpenCL device matches " + asked + "; devices found:\n" + listing(all)
                        + "\nUse \"cpu\", \"gpu\", \"accelerator\" or part of a device or platform name. " + INSTALL_HINT));
        return new OpenClRuntime(f);
    }

    /** Every OpenCL device on this machine; empty (not an error) when OpenCL is absent. */
    public static List<Device> devices() {
        return switch (probe()) {
            case Probe.Unavailable u -> List.of();
            case Probe.Loaded(List<Found> devices) -> devices.stream().map(Found::description).toList();
        };
    }

    /** Why OpenCL cannot be used here (no library, no ICD, no device), or empty when it can. */
    public static Optional<String> unavailableReason() {
        return switch (probe()) {
            case Probe.Unavailable(String reason) -> Optional.of(reason + ". " + INSTALL_HINT);
            case Probe.Loaded(List<Found> devices) -> devices.isEmpty()
                    ? Optional.of("no OpenCL platform or device was found. " + INSTALL_HINT) : Optional.empty();
        };
    }

    private static Probe probe() {
        String failure = libraryFailure;
        if (failure != null) return new Probe.Unavailable(failure);
        try {
            return new Probe.Loaded(enumerate());
        } catch (LinkageError e) {
            // UnsatisfiedLinkError: JOCL's own natives or libOpenCL.so could not be loaded.
            libraryFailure = "the OpenCL library could not be loaded (" + e + ")";
            return new Probe.Unavailable(libraryFailure);
        } catch (TesseraUserError e) {
            return new Probe.Unavailable(e.getMessage());
        }
    }

    private static List<Found> enumerate() {
        int[] count = new int[1];
        int status = CL.clGetPlatformIDs(0, null, count);
        // The ICD loader without any installed driver answers "platform not found".
        if (status == CL.CL_PLATFORM_NOT_FOUND_KHR || count[0] == 0) return List.of();
        if (status != CL.CL_SUCCESS) throw ClCalls.failure("clGetPlatformIDs", status);
        cl_platform_id[] platforms = new cl_platform_id[count[0]];
        run("clGetPlatformIDs", () -> CL.clGetPlatformIDs(platforms.length, platforms, null));
        List<Found> found = new ArrayList<>();
        for (cl_platform_id p : platforms) {
            String platformName = ClCalls.string(ClCalls.info("clGetPlatformInfo",
                    (s, v, r) -> CL.clGetPlatformInfo(p, CL.CL_PLATFORM_NAME, s, v, r)));
            int[] n = new int[1];
            status = CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, 0, null, n);
            if (status == CL.CL_DEVICE_NOT_FOUND || n[0] == 0) continue;
            if (status != CL.CL_SUCCESS) throw ClCalls.failure("clGetDeviceIDs", status);
            cl_device_id[] ids = new cl_device_id[n[0]];
            run("clGetDeviceIDs", () -> CL.clGetDeviceIDs(p, CL.CL_DEVICE_TYPE_ALL, ids.length, ids, null));
            for (cl_device_id d : ids) {
                long type = deviceInfo(d, CL.CL_DEVICE_TYPE).getLong(0);
                found.add(new Found(p, d, type, new Device(platformName, deviceString(d, CL.CL_DEVICE_NAME),
                        typeName(type), deviceString(d, CL.CL_DEVICE_VERSION))));
            }
        }
        return found;
    }

    private static Optional<Found> select(List<Found> all, String selector) {
        String s = selector.toLowerCase(Locale.ROOT);
        if (s.isEmpty())
            return all.stream().filter(f -> (f.type() & CL.CL_DEVICE_TYPE_GPU) != 0).findFirst().or(() -> all.stream().findFirst());
        Long type = switch (s) {
            case "cpu" -> CL.CL_DEVICE_TYPE_CPU;
            case "gpu" -> CL.CL_DEVICE_TYPE_GPU;
            case "accelerator" -> CL.CL_DEVICE_TYPE_ACCELERATOR;
            default -> null;
        };
        if (type != null) return all.stream().filter(f -> (f.type() & type) != 0).findFirst();
        return all.stream().filter(f -> f.description().name().toLowerCase(Locale.ROOT).contains(s)
                || f.description().platform().toLowerCase(Locale.ROOT).contains(s)).findFirst();
    }

    private static String listing(List<Found> all) {
        return all.stream().map(f -> "  " + f.description()).collect(Collectors.joining("\n"));
    }

    private static String typeName(long type) {
        List<String> names = new ArrayList<>();
        if ((type & CL.CL_DEVICE_TYPE_CPU) != 0) names.add("cpu");
        if ((type & CL.CL_DEVICE_TYPE_GPU) != 0) names.add("gpu");
        if ((type & CL.CL_DEVICE_TYPE_ACCELERATOR) != 0) names.add("accelerator");
        if ((type & CL.CL_DEVICE_TYPE_CUSTOM) != 0) names.add("custom");
        return names.isEmpty() ? "other" : String.join("+", names);
    }

    private static ByteBuffer deviceInfo(cl_device_id d, int param) {
        return ClCalls.info("clGetDeviceInfo", (s, v, r) -> CL.clGetDeviceInfo(d, param, s, v, r));
    }

    private static String deviceString(cl_device_id d, int param) {
        return ClCalls.string(deviceInfo(d, param));
    }

    @SuppressWarnings("deprecation") // clCreateCommandQueue: the one constructor OpenCL 1.2 devices have too.
    private OpenClRuntime(Found found) {
        this.found = found;
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, found.platform());
        this.context = create("clCreateContext",
                err -> CL.clCreateContext(props, 1, new cl_device_id[] {found.device()}, null, null, err));
        try {
            this.queue = create("clCreateCommandQueue",
                    err -> CL.clCreateCommandQueue(context, found.device(), CL.CL_QUEUE_PROFILING_ENABLE, err));
        } catch (TesseraUserError e) {
            CL.clReleaseContext(context);
            throw e;
        }
        String cVersion = openClCVersion(deviceString(found.device(), CL.CL_DEVICE_OPENCL_C_VERSION));
        this.cl12 = cVersion.compareTo("OpenCL C 1.2") >= 0;
        this.target = new Target("opencl", found.description().name(), "", 128,
                (int) Math.max(1, ClCalls.uint(deviceInfo(found.device(), CL.CL_DEVICE_MAX_COMPUTE_UNITS))),
                limits(found.device(), cVersion));
    }

    /** "OpenCL C 1.2 pocl" → "OpenCL C 1.2": the vendor suffix is no part of the language version. */
    private static String openClCVersion(String reported) {
        Matcher m = Pattern.compile("OpenCL C \\d+\\.\\d+").matcher(reported);
        return m.find() ? m.group() : reported;
    }

    private static Target.GpuLimits limits(cl_device_id d, String cVersion) {
        long maxGroup = ClCalls.sizeT(deviceInfo(d, CL.CL_DEVICE_MAX_WORK_GROUP_SIZE), 0);
        ByteBuffer items = deviceInfo(d, CL.CL_DEVICE_MAX_WORK_ITEM_SIZES);
        List<Long> blockDims = new ArrayList<>();
        for (int i = 0; i < 3; i++) blockDims.add(i < ClCalls.sizeTCount(items) ? ClCalls.sizeT(items, i) : 1L);
        long localMem = deviceInfo(d, CL.CL_DEVICE_LOCAL_MEM_SIZE).getLong(0);
        // OpenCL bounds only the global size (by size_t), not the number of work-groups; the
        // sub-group width is a per-kernel query, so the warp size stays 1 here.
        return new Target.GpuLimits(cVersion, (int) Math.min(Integer.MAX_VALUE, maxGroup), blockDims,
                List.of(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE), localMem, 1);
    }

    @Override public Target target() { return target; }

    /** The device as listed by {@link #devices()}. */
    public Device device() { return found.description(); }

    @Override
    public DeviceModule build(String source, List<String> kernelNames) {
        ensureOpen();
        cl_program program = create("clCreateProgramWithSource",
                err -> CL.clCreateProgramWithSource(context, 1, new String[] {source}, null, err));
        var kernels = new LinkedHashMap<String, OpenClModule.Kernel>();
        try {
            // Argument info lets launch check buffers against values before the driver sees them.
            String options = cl12 ? "-cl-std=CL1.2 -cl-kernel-arg-info" : "";
            int status;
            try {
                status = CL.clBuildProgram(program, 1, new cl_device_id[] {found.device()}, options, null, null);
            } catch (org.jocl.CLException e) {
                status = e.getStatus();
            }
            if (status == CL.CL_BUILD_PROGRAM_FAILURE || status == CL.CL_COMPILE_PROGRAM_FAILURE) {
                String log = buildLog(program);
                throw new TesseraUserError("OpenCL C build failed on " + found.description().name() + ":\n"
                        + log + "\n" + excerpt(source, log));
            }
            if (status != CL.CL_SUCCESS) throw ClCalls.failure("clBuildProgram", status);
            for (String name : kernelNames) {
                if (!programKernels(program).contains(name))
                    throw new TesseraUserError("kernel '" + name + "' is not in the OpenCL program; it has "
                            + programKernels(program));
                cl_kernel k = create("clCreateKernel(" + name + ")", err -> CL.clCreateKernel(program, name, err));
                kernels.put(name, new OpenClModule.Kernel(name, k, params(k),
                        ClCalls.sizeT(ClCalls.info("clGetKernelWorkGroupInfo",
                                (s, v, r) -> CL.clGetKernelWorkGroupInfo(k, found.device(), CL.CL_KERNEL_WORK_GROUP_SIZE, s, v, r)), 0)));
            }
        } catch (RuntimeException e) {
            OpenClModule.release(program, kernels.values());
            throw e;
        }
        var module = new OpenClModule(this, program, kernels);
        modules.add(module);
        return module;
    }

    private static List<OpenClModule.Param> params(cl_kernel k) {
        int count = (int) ClCalls.uint(ClCalls.info("clGetKernelInfo",
                (s, v, r) -> CL.clGetKernelInfo(k, CL.CL_KERNEL_NUM_ARGS, s, v, r)));
        List<OpenClModule.Param> params = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int index = i;
            int[] space = new int[1];
            int status = CL.clGetKernelArgInfo(k, i, CL.CL_KERNEL_ARG_ADDRESS_QUALIFIER, Sizeof.cl_uint, Pointer.to(space), null);
            // Without argument info (OpenCL 1.1, or a driver that keeps none) launches go unchecked.
            if (status != CL.CL_SUCCESS) {
                params.add(new OpenClModule.Param(OpenClModule.Space.UNKNOWN, ""));
                continue;
            }
            String type = ClCalls.string(ClCalls.info("clGetKernelArgInfo",
                    (s, v, r) -> CL.clGetKernelArgInfo(k, index, CL.CL_KERNEL_ARG_TYPE_NAME, s, v, r)));
            params.add(new OpenClModule.Param(switch (space[0]) {
                case CL.CL_KERNEL_ARG_ADDRESS_GLOBAL -> OpenClModule.Space.GLOBAL;
                case CL.CL_KERNEL_ARG_ADDRESS_CONSTANT -> OpenClModule.Space.CONSTANT;
                case CL.CL_KERNEL_ARG_ADDRESS_LOCAL -> OpenClModule.Space.LOCAL;
                case CL.CL_KERNEL_ARG_ADDRESS_PRIVATE -> OpenClModule.Space.PRIVATE;
                default -> OpenClModule.Space.UNKNOWN;
            }, type));
        }
        return List.copyOf(params);
    }

    private String buildLog(cl_program program) {
        return ClCalls.string(ClCalls.info("clGetProgramBuildInfo",
                (s, v, r) -> CL.clGetProgramBuildInfo(program, found.device(), CL.CL_PROGRAM_BUILD_LOG, s, v, r)));
    }

    /**
     * The source lines around the first {@code <line>:<column>:} on a log line that mentions an
     * error (Clang-based compilers such as PoCL's write that), numbered; else the first lines.
     */
    static String excerpt(String source, String log) {
        String[] lines = source.split("\n", -1);
        Matcher m = Pattern.compile("(?m)^(?=.*error).*?:(\\d+):\\d+:").matcher(log);
        int errorLine = m.find() ? Integer.parseInt(m.group(1)) : 0;
        int from = errorLine > 0 ? Math.max(1, errorLine - 3) : 1;
        int to = Math.min(lines.length, errorLine > 0 ? errorLine + 3 : 10);
        var out = new StringBuilder(errorLine > 0 ? "source around line " + errorLine + ":\n" : "source:\n");
        for (int i = from; i <= to; i++)
            out.append(i == errorLine ? ">" : " ").append(String.format("%4d | ", i)).append(lines[i - 1]).append('\n');
        return out.toString();
    }

    private static List<String> programKernels(cl_program program) {
        String names = ClCalls.string(ClCalls.info("clGetProgramInfo",
                (s, v, r) -> CL.clGetProgramInfo(program, CL.CL_PROGRAM_KERNEL_NAMES, s, v, r)));
        return names.isEmpty() ? List.of() : Arrays.stream(names.split(";")).map(String::strip).sorted().toList();
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        ensureOpen();
        long size = Math.max(1, bytes);
        cl_mem mem = create("clCreateBuffer(" + size + " bytes)",
                err -> CL.clCreateBuffer(context, CL.CL_MEM_READ_WRITE, size, null, err));
        var buffer = new OpenClBuffer(this, mem, size);
        buffers.add(buffer);
        return buffer;
    }

    @Override
    public void copyToDevice(MemorySegment host, DeviceBuffer dst) {
        cl_mem mem = checkCopy(host, dst, "copyToDevice");
        chunks(host, false, (offset, data) -> run("clEnqueueWriteBuffer",
                () -> CL.clEnqueueWriteBuffer(queue, mem, true, offset, data.remaining(), Pointer.to(data), 0, null, null)));
    }

    @Override
    public void copyToHost(DeviceBuffer src, MemorySegment host) {
        if (host.isReadOnly()) throw new TesseraUserError("copyToHost needs a writable host segment");
        cl_mem mem = checkCopy(host, src, "copyToHost");
        chunks(host, true, (offset, data) -> run("clEnqueueReadBuffer",
                () -> CL.clEnqueueReadBuffer(queue, mem, true, offset, data.remaining(), Pointer.to(data), 0, null, null)));
    }

    private cl_mem checkCopy(MemorySegment host, DeviceBuffer buffer, String use) {
        ensureOpen();
        OpenClBuffer b = own(buffer);
        cl_mem mem = b.mem(use);
        if (host.byteSize() > b.bytes())
            throw new TesseraUserError(use + ": the host segment has " + host.byteSize()
                    + " bytes but the device buffer only " + b.bytes());
        return mem;
    }

    /** One blocking transfer of the bytes in {@code data} at {@code offset} in the buffer. */
    @FunctionalInterface
    private interface Transfer {
        void run(long offset, ByteBuffer data);
    }

    /**
     * Runs {@code transfer} over {@code host} in chunks a ByteBuffer can address. Native memory is
     * handed to the driver directly; heap segments (which may not be viewable as a direct buffer)
     * go through a native staging chunk, copied back afterwards when {@code intoHost}.
     */
    private static void chunks(MemorySegment host, boolean intoHost, Transfer transfer) {
        for (long offset = 0; offset < host.byteSize(); offset += COPY_CHUNK) {
            MemorySegment part = host.asSlice(offset, Math.min(COPY_CHUNK, host.byteSize() - offset));
            if (part.isNative()) {
                transfer.run(offset, part.asByteBuffer());
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staging = arena.allocate(part.byteSize());
                if (!intoHost) staging.copyFrom(part);
                transfer.run(offset, staging.asByteBuffer());
                if (intoHost) part.copyFrom(staging);
            }
        }
    }

    @Override
    public void launch(DeviceModule module, String kernel, List<KernelArg> args, long[] grid, long[] block) {
        ensureOpen();
        OpenClModule.Kernel k = own(module).kernel(kernel);
        long[] global = checkShape(k, grid, block);
        if (args.size() != k.params().size())
            throw new TesseraUserError("kernel '" + kernel + "' takes " + k.params().size() + " arguments "
                    + k.params() + ", got " + args.size());
        // Resolve every argument before touching the kernel, so a closed buffer fails cleanly.
        List<Runnable> setters = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            int index = i;
            String call = "clSetKernelArg(" + kernel + ", " + i + ")";
            OpenClModule.Param param = k.params().get(i);
            boolean fits = switch (args.get(i)) {
                case KernelArg.Buffer b -> param.takesBuffer();
                case KernelArg.Int64 v -> param.takesValue();
            };
            if (!fits)
                throw new TesseraUserError("kernel '" + kernel + "' parameter " + i + " is " + param
                        + ", which cannot take " + args.get(i) + "; parameters: " + k.params());
            switch (args.get(i)) {
                case KernelArg.Buffer(DeviceBuffer b) -> {
                    cl_mem mem = own(b).mem("launch of kernel '" + kernel + "' (argument " + i + ")");
                    setters.add(() -> run(call, () -> CL.clSetKernelArg(k.handle(), index, Sizeof.cl_mem, Pointer.to(mem))));
                }
                case KernelArg.Int64(long v) ->
                    setters.add(() -> run(call, () -> CL.clSetKernelArg(k.handle(), index, Sizeof.cl_long, Pointer.to(new long[] {v}))));
            }
        }
        // Arguments are state of the cl_kernel until the enqueue copies them: one launch at a time per kernel.
        synchronized (k) {
            setters.forEach(Runnable::run);
            run("clEnqueueNDRangeKernel(" + kernel + ")",
                    () -> CL.clEnqueueNDRangeKernel(queue, k.handle(), 3, null, global, block.clone(), 0, null, null));
        }
    }

    /** Checks grid and block against the device and kernel limits; returns the global size. */
    private long[] checkShape(OpenClModule.Kernel k, long[] grid, long[] block) {
        if (grid == null || block == null || grid.length != 3 || block.length != 3)
            throw new TesseraUserError("grid and block need three dimensions each, got grid "
                    + Arrays.toString(grid) + " and block " + Arrays.toString(block));
        for (int i = 0; i < 3; i++)
            if (grid[i] < 1 || block[i] < 1)
                throw new TesseraUserError("grid and block dimensions must be at least 1, got grid "
                        + Arrays.toString(grid) + " and block " + Arrays.toString(block));
        Target.GpuLimits limits = target.gpu();
        long threads;
        try {
            threads = Math.multiplyExact(Math.multiplyExact(block[0], block[1]), block[2]);
        } catch (ArithmeticException e) {
            threads = Long.MAX_VALUE;
        }
        String device = found.description().name();
        if (threads > limits.maxThreadsPerBlock())
            throw new TesseraUserError("block " + Arrays.toString(block) + " has " + threads + " work-items; "
                    + device + " allows at most " + limits.maxThreadsPerBlock()
                    + " per work-group (CL_DEVICE_MAX_WORK_GROUP_SIZE)");
        for (int i = 0; i < 3; i++)
            if (block[i] > limits.maxBlockDims().get(i))
                throw new TesseraUserError("block " + Arrays.toString(block) + ": dimension " + i + " is " + block[i]
                        + " but " + device + " allows at most " + limits.maxBlockDims()
                        + " (CL_DEVICE_MAX_WORK_ITEM_SIZES)");
        if (threads > k.maxWorkGroupSize())
            throw new TesseraUserError("block " + Arrays.toString(block) + " has " + threads + " work-items; kernel '"
                    + k.name() + "' allows at most " + k.maxWorkGroupSize() + " on " + device
                    + " (CL_KERNEL_WORK_GROUP_SIZE, limited by its registers or local memory)");
        long[] global = new long[3];
        try {
            for (int i = 0; i < 3; i++) global[i] = Math.multiplyExact(grid[i], block[i]);
        } catch (ArithmeticException e) {
            throw new TesseraUserError("grid " + Arrays.toString(grid) + " times block " + Arrays.toString(block)
                    + " overflows the global work size");
        }
        return global;
    }

    @Override
    public void synchronize() {
        ensureOpen();
        run("clFinish", () -> CL.clFinish(queue));
    }

    @Override
    public double timeMillis(Runnable work) {
        ensureOpen();
        cl_event before = new cl_event();
        cl_event after = new cl_event();
        long wallStart = System.nanoTime();
        run("clEnqueueMarkerWithWaitList", () -> CL.clEnqueueMarkerWithWaitList(queue, 0, null, before));
        try {
            work.run();
            run("clEnqueueMarkerWithWaitList", () -> CL.clEnqueueMarkerWithWaitList(queue, 0, null, after));
            run("clFinish", () -> CL.clFinish(queue));
            long wallNanos = System.nanoTime() - wallStart;
            long start = commandEnd(before);
            long end = commandEnd(after);
            // Some drivers keep no profiling info for markers (status, or zeros); then the wall
            // clock around the work and the final clFinish is the best measure there is.
            if (start <= 0 || end <= 0 || end < start) return wallNanos / 1e6;
            return (end - start) / 1e6;
        } finally {
            release(before);
            release(after);
        }
    }

    private static long commandEnd(cl_event event) {
        long[] value = new long[1];
        int status = CL.clGetEventProfilingInfo(event, CL.CL_PROFILING_COMMAND_END, Sizeof.cl_ulong, Pointer.to(value), null);
        return status == CL.CL_SUCCESS ? value[0] : -1;
    }

    private static void release(cl_event event) {
        // An event the marker call never filled in has a null native pointer: nothing to release.
        if (event.getNativePointer() != 0) run("clReleaseEvent", () -> CL.clReleaseEvent(event));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            // Finish queued work first so nothing still runs on memory released below.
            CL.clFinish(queue);
            for (OpenClModule m : List.copyOf(modules)) m.close();
            for (OpenClBuffer b : List.copyOf(buffers)) b.close();
        } finally {
            CL.clReleaseCommandQueue(queue);
            CL.clReleaseContext(context);
        }
    }

    void forget(OpenClBuffer buffer) { buffers.remove(buffer); }

    void forget(OpenClModule module) { modules.remove(module); }

    /** Open buffers and modules, for tests of {@link #close()}. */
    int openObjects() { return buffers.size() + modules.size(); }

    private void ensureOpen() {
        if (closed.get()) throw new TesseraUserError("the OpenCL runtime for " + found.description().name() + " was closed");
    }

    private OpenClBuffer own(DeviceBuffer buffer) {
        if (buffer instanceof OpenClBuffer b && b.owner == this) return b;
        throw new TesseraUserError("the buffer was not allocated by this OpenCL runtime: " + buffer);
    }

    private OpenClModule own(DeviceModule module) {
        if (module instanceof OpenClModule m && m.owner == this) return m;
        throw new TesseraUserError("the module was not built by this OpenCL runtime: " + module);
    }
}
