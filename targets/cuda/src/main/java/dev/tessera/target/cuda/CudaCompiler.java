package dev.tessera.target.cuda;

import dev.tessera.TesseraUserError;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Compiles CUDA C source to a cubin for one GPU architecture ({@code sm_80}, {@code sm_90}):
 * with NVRTC when a {@code libnvrtc} loads, else with {@code nvcc} when one is installed. Neither
 * needs a GPU or a driver, so sources are checked for real on any machine with a CUDA toolkit.
 */
public final class CudaCompiler {
    private static final Pattern ARCH = Pattern.compile("sm_\\d+");

    private CudaCompiler() {}

    /**
     * A compiled program: the cubin (an ELF image for {@code cuModuleLoadData}; the caller owns
     * the array), the compiler that made it ({@code "nvrtc 12.9"}, {@code "nvcc 13.0"}) and its
     * log (warnings; often empty).
     */
    public record Compiled(byte[] cubin, String compiler, String log) {}

    /** Why nothing can compile CUDA here, or empty when NVRTC or nvcc is available. */
    public static Optional<String> unavailableReason() {
        if (Nvrtc.instance() != null || Nvcc.instance() != null) return Optional.empty();
        return Optional.of("no CUDA compiler: neither NVRTC (libnvrtc.so.*, on the library path or in"
                + " $CUDA_HOME/lib64 or /usr/local/cuda/lib64) nor nvcc (on the PATH or in /usr/local/cuda/bin) was found");
    }

    /** The compiler {@link #compile} would use ({@code "nvrtc 12.9"}), or empty. */
    public static Optional<String> compilerName() {
        if (Nvrtc.instance() != null) return Optional.of(Nvrtc.instance().version());
        return Optional.ofNullable(Nvcc.instance()).map(Nvcc::version);
    }

    /**
     * Compiles {@code source} for {@code arch}. Kernels the caller looks up by name should be
     * {@code extern "C"} so their names are not mangled. A compile error, an unsupported or
     * malformed architecture, or a machine without a compiler is a {@link TesseraUserError}.
     */
    public static Compiled compile(String source, String arch) {
        if (arch == null || !ARCH.matcher(arch).matches())
            throw new TesseraUserError("bad CUDA architecture '" + arch + "': expected sm_ and the compute capability"
                    + " digits, e.g. sm_80 (A100), sm_86, sm_89, sm_90 (H100)");
        if (source == null) throw new IllegalArgumentException("no CUDA source");
        if (Nvrtc.instance() != null) return Nvrtc.instance().compile(source, arch);
        if (Nvcc.instance() != null) return Nvcc.instance().compile(source, arch);
        throw new TesseraUserError(unavailableReason().orElseThrow() + "; install the CUDA toolkit or use --target opencl or llvm");
    }
}
