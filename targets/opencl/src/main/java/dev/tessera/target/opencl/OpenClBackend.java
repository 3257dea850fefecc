package dev.tessera.target.opencl;

import dev.tessera.target.Target;
import dev.tessera.target.gpu.CSourceGenerator;
import dev.tessera.target.gpu.DeviceRuntime;
import dev.tessera.target.gpu.GpuBackend;
import dev.tessera.target.gpu.OpenClSource;
import java.util.List;

/** The OpenCL backend: OpenCL C kernels, built and run on the device {@link OpenClRuntime} selects. */
public final class OpenClBackend extends GpuBackend {
    @Override public String name() { return "opencl"; }
    @Override protected CSourceGenerator dialect() { return new OpenClSource(); }
    @Override protected DeviceRuntime openRuntime() { return OpenClRuntime.open(null); }

    /** A modest OpenCL 1.2 GPU: 256 work-items per group, 32 KiB of local memory. */
    @Override protected Target typicalTarget() {
        return new Target("opencl", "typical OpenCL 1.2 GPU", "", 128, 16, new Target.GpuLimits("OpenCL C 1.2", 256,
                List.of(256L, 256L, 256L), List.of(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE), 32 * 1024, 1));
    }
}
