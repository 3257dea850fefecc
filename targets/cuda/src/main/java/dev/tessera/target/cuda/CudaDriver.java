package dev.tessera.target.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.List;

/**
 * The CUDA driver API functions the runtime calls, bound from {@code libcuda.so.1} with the FFM
 * API. The driver is loaded and initialised ({@code cuInit}) once per JVM; when that is impossible
 * the reason is kept and every later request for the driver reports it.
 *
 * <p>Symbols are the ABI names {@code cuda.h} maps its macros to ({@code cuMemAlloc} is
 * {@code cuMemAlloc_v2}); every name used here has been exported since CUDA 11, so an older
 * toolkit's driver works too.
 */
final class CudaDriver {
    static final String LIBRARY = "libcuda.so.1";

    // CUdevice_attribute values, from cuda.h (stable across versions).
    static final int MAX_THREADS_PER_BLOCK = 1;
    static final int MAX_BLOCK_DIM_X = 2;
    static final int MAX_GRID_DIM_X = 5;
    static final int MAX_SHARED_MEMORY_PER_BLOCK = 8;
    static final int WARP_SIZE = 10;
    static final int MULTIPROCESSOR_COUNT = 16;
    static final int COMPUTE_CAPABILITY_MAJOR = 75;
    static final int COMPUTE_CAPABILITY_MINOR = 76;

    static final int CUDA_ERROR_OUT_OF_MEMORY = 2;
    static final int CUDA_ERROR_NOT_FOUND = 500;

    private static final FunctionDescriptor STATUS_OF_INT = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
    private static final FunctionDescriptor STATUS_OF_POINTER = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor STATUS_OF_POINTER_INT = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor STATUS_OF_TWO_POINTERS = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);

    final NativeFunction cuInit, cuGetErrorName, cuGetErrorString, cuDeviceGetCount, cuDeviceGet,
            cuDeviceGetName, cuDeviceGetAttribute, cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease,
            cuCtxSetCurrent, cuStreamCreate, cuStreamDestroy, cuStreamSynchronize, cuModuleLoadData,
            cuModuleUnload, cuModuleGetFunction, cuMemAlloc, cuMemFree, cuMemcpyHtoDAsync,
            cuMemcpyDtoHAsync, cuLaunchKernel, cuEventCreate, cuEventRecord, cuEventSynchronize,
            cuEventElapsedTime, cuEventDestroy;

    private CudaDriver(SymbolLookup lib) {
        cuInit = bind(lib, STATUS_OF_INT, "cuInit");
        cuGetErrorName = bind(lib, FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorName");
        cuGetErrorString = bind(lib, FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), "cuGetErrorString");
        cuDeviceGetCount = bind(lib, STATUS_OF_POINTER, "cuDeviceGetCount");
        cuDeviceGet = bind(lib, STATUS_OF_POINTER_INT, "cuDeviceGet");
        cuDeviceGetName = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetName");
        cuDeviceGetAttribute = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), "cuDeviceGetAttribute");
        cuDevicePrimaryCtxRetain = bind(lib, STATUS_OF_POINTER_INT, "cuDevicePrimaryCtxRetain");
        cuDevicePrimaryCtxRelease = bind(lib, STATUS_OF_INT, "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease");
        cuCtxSetCurrent = bind(lib, STATUS_OF_POINTER, "cuCtxSetCurrent");
        cuStreamCreate = bind(lib, STATUS_OF_POINTER_INT, "cuStreamCreate");
        cuStreamDestroy = bind(lib, STATUS_OF_POINTER, "cuStreamDestroy_v2", "cuStreamDestroy");
        cuStreamSynchronize = bind(lib, STATUS_OF_POINTER, "cuStreamSynchronize");
        cuModuleLoadData = bind(lib, STATUS_OF_TWO_POINTERS, "cuModuleLoadData");
        cuModuleUnload = bind(lib, STATUS_OF_POINTER, "cuModuleUnload");
        cuModuleGetFunction = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS), "cuModuleGetFunction");
        // CUdeviceptr is unsigned long long and size_t is 64 bits on every platform CUDA supports.
        cuMemAlloc = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), "cuMemAlloc_v2");
        cuMemFree = bind(lib, FunctionDescriptor.of(JAVA_INT, JAVA_LONG), "cuMemFree_v2");
        cuMemcpyHtoDAsync = bind(lib, FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS), "cuMemcpyHtoDAsync_v2");
        cuMemcpyDtoHAsync = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS), "cuMemcpyDtoHAsync_v2");
        cuLaunchKernel = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS), "cuLaunchKernel");
        cuEventCreate = bind(lib, STATUS_OF_POINTER_INT, "cuEventCreate");
        cuEventRecord = bind(lib, STATUS_OF_TWO_POINTERS, "cuEventRecord");
        cuEventSynchronize = bind(lib, STATUS_OF_POINTER, "cuEventSynchronize");
        // cuda.h 12.8+ maps cuEventElapsedTime to _v2; older drivers export only the original.
        cuEventElapsedTime = bind(lib, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = bind(lib, STATUS_OF_POINTER, "cuEventDestroy_v2", "cuEventDestroy");
    }

    private static NativeFunction bind(SymbolLookup lib, FunctionDescriptor type, String... symbols) {
        return NativeFunction.bind(lib, LIBRARY, type, symbols);
    }

    /** The driver, or why there is none; decided once. */
    private record Loaded(CudaDriver driver, String unavailableReason) {}

    private static final Loaded LOADED = load();

    private static Loaded load() {
        var library = NativeFunction.open(List.of(LIBRARY), List.of());
        if (library.isEmpty())
            return new Loaded(null, "CUDA driver not found (" + LIBRARY + "): this machine has no NVIDIA driver;"
                    + " use --target opencl or llvm");
        CudaDriver driver;
        try {
            driver = new CudaDriver(library.get().lookup());
        } catch (NativeFunction.MissingSymbol e) {
            return new Loaded(null, "CUDA driver too old: " + e.getMessage() + "; update the NVIDIA driver"
                    + " or use --target opencl or llvm");
        }
        int status = driver.cuInit.call(0);
        if (status != 0)
            return new Loaded(null, "CUDA driver failed to initialise (cuInit: " + driver.describe(status)
                    + "); check that the NVIDIA kernel module is loaded and the GPU is visible,"
                    + " or use --target opencl or llvm");
        return new Loaded(driver, null);
    }

    /** Why the driver cannot be used, or null when it can. */
    static String unavailableReason() {
        return LOADED.unavailableReason();
    }

    /** The initialised driver; call only when {@link #unavailableReason()} is null. */
    static CudaDriver get() {
        if (LOADED.driver() == null) throw new IllegalStateException(LOADED.unavailableReason());
        return LOADED.driver();
    }

    /** {@code CUDA_ERROR_X (text)} for a CUresult, as the driver names and explains it. */
    String describe(int status) {
        try (var arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(ADDRESS), text = arena.allocate(ADDRESS);
            boolean named = cuGetErrorName.call(status, name) == 0;
            boolean explained = cuGetErrorString.call(status, text) == 0;
            String n = named ? NativeFunction.string(name.get(ADDRESS, 0)) : "CUresult " + status;
            return explained ? n + " (" + NativeFunction.string(text.get(ADDRESS, 0)) + ")" : n;
        }
    }

    /** Calls {@code function}; a non-zero CUresult becomes a {@link CudaException} naming it. */
    void check(NativeFunction function, Object... args) {
        int status = function.call(args);
        if (status != 0) throw new CudaException(function.name(), status, describe(status));
    }
}
