package dev.tessera.target.cuda;

import dev.tessera.target.Target;
import dev.tessera.target.gpu.GpuBackend;
import dev.tessera.target.gpu.GpuDifferentialSuite;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The GPU differential suite on this machine's CUDA GPU: every operator under random GPU schedules,
 * compiled by NVRTC (or nvcc) for the device's architecture, run through the driver API and compared
 * with the reference interpreter. Skipped, with the reason, where there is no CUDA driver or GPU.
 */
class CudaDifferentialTest extends GpuDifferentialSuite {
    static CudaBackend backend;
    static Target target;

    @Override protected void assumeDevice() {
        Optional<String> reason = CudaRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no CUDA GPU: " + reason.orElse(""));
        Optional<String> compiler = CudaCompiler.unavailableReason();
        Assumptions.assumeTrue(compiler.isEmpty(), () -> "no CUDA compiler: " + compiler.orElse(""));
        if (backend == null) {
            backend = new CudaBackend();
            target = backend.runtime().target();
        }
    }

    @Override protected GpuBackend backend() { return backend; }

    @Override protected Target target() { return target; }
}
