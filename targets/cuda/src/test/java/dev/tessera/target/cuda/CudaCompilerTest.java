package dev.tessera.target.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.TesseraUserError;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** CUDA C compiles to cubins for real (NVRTC or nvcc), with no GPU needed. */
class CudaCompilerTest {
    private static final int EM_CUDA = 190;

    private static void assumeCompiler() {
        var reason = CudaCompiler.unavailableReason();
        assumeTrue(reason.isEmpty(), () -> "skipped: " + reason.orElseThrow());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sm_80", "sm_90"})
    void compilesKernelsToACudaElf(String arch) {
        assumeCompiler();
        var compiled = CudaCompiler.compile(Kernels.SOURCE, arch);
        byte[] cubin = compiled.cubin();
        assertTrue(cubin.length > 64, "cubin of " + cubin.length + " bytes");
        assertEquals(0x7f, cubin[0]);
        assertEquals("ELF", new String(cubin, 1, 3, StandardCharsets.US_ASCII));
        // e_machine, little-endian at offset 18: the image is GPU code, not a host object.
        assertEquals(EM_CUDA, (cubin[18] & 0xff) | (cubin[19] & 0xff) << 8);
        String symbols = new String(cubin, StandardCharsets.ISO_8859_1);
        for (String kernel : new String[] {"add", "block_sum", "warp_sum"})
            assertTrue(symbols.contains(".text." + kernel), "cubin has no section for kernel " + kernel);
        assertTrue(compiled.compiler().matches("(nvrtc|nvcc) \\d+\\.\\d+"), compiled.compiler());
    }

    @Test
    void syntaxErrorCarriesTheCompilerDiagnostic() {
        assumeCompiler();
        var error = assertThrows(TesseraUserError.class, () -> CudaCompiler.compile(Kernels.BROKEN, "sm_80"));
        assertTrue(error.getMessage().contains("expected an expression"), error.getMessage());
        assertTrue(error.getMessage().contains("sm_80"), error.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"compute_80", "sm80", "90", "sm_", "sm_9x"})
    void badArchitectureListsExamples(String arch) {
        var error = assertThrows(TesseraUserError.class, () -> CudaCompiler.compile(Kernels.SOURCE, arch));
        assertTrue(error.getMessage().contains("'" + arch + "'"), error.getMessage());
        assertTrue(error.getMessage().contains("sm_80") && error.getMessage().contains("sm_90"), error.getMessage());
    }
}
