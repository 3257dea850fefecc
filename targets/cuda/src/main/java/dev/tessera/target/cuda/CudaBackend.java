package dev.tessera.target.cuda;

import dev.tessera.target.Target;
import dev.tessera.target.gpu.CSourceGenerator;
import dev.tessera.target.gpu.CudaSource;
import dev.tessera.target.gpu.DeviceRuntime;
import dev.tessera.target.gpu.GpuBackend;
import java.util.List;

/** The CUDA backend: CUDA C kernels, compiled to a cubin for the device's architecture and run through the driver API. */
public final class CudaBackend extends GpuBackend {
    @Override public String name() { return "cuda"; }
    @Override protected CSourceGenerator dialect() { return new CudaSource(); }
    @Override protected DeviceRuntime openRuntime() { return CudaRuntime.open(0); }

    /** An sm_80 device (A100 class): 1024 threads per block, 48 KiB of static shared memory, warps of 32. */
    @Override protected Target typicalTarget() { return typical("sm_80"); }

    /** A typical device of the given architecture, for compiling source without one. */
    public static Target typical(String arch) {
        return new Target("cuda", "typical " + arch + " GPU", "", 128, 108, new Target.GpuLimits(arch, 1024,
                List.of(1024L, 1024L, 64L), List.of(2147483647L, 65535L, 65535L), 48 * 1024, 32));
    }
}
