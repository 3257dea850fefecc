package dev.tessera.target.opencl;

import dev.tessera.target.Target;
import dev.tessera.target.gpu.GpuBackend;
import dev.tessera.target.gpu.GpuDifferentialSuite;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** The GPU differential suite on the OpenCL device (PoCL in CI). */
class OpenClDifferentialTest extends GpuDifferentialSuite {
    static OpenClBackend backend;
    static Target target;

    @Override protected void assumeDevice() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        if (backend == null) {
            backend = new OpenClBackend();
            target = backend.runtime().target();
        }
    }

    @Override protected GpuBackend backend() { return backend; }

    @Override protected Target target() { return target; }
}
