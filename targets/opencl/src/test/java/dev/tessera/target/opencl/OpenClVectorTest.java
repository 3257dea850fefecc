package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Var;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.VectorizedCases;
import dev.tessera.target.gpu.DeviceRuntime.KernelArg;
import dev.tessera.target.gpu.OpenClSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Vectorized GPU kernels on the OpenCL device (PoCL in CI): every dtype at 2 to 16 lanes, tails of
 * predicated lanes, misaligned and gathered loads, selects, broadcasts and a vector reduction,
 * compared with the reference interpreter; vector lets, scatters and vector casts written as device IR.
 */
class OpenClVectorTest {
    static OpenClBackend backend;
    static Target target;

    @BeforeAll
    static void device() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        backend = new OpenClBackend();
        target = backend.runtime().target();
    }

    static Stream<VectorizedCases.Case> cases() {
        return VectorizedCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void vectorizedKernelsMatchTheReference(VectorizedCases.Case c) {
        CompiledKernel k = backend.compile(c.schedule(), c.name(), target);
        boolean symbolic = c.inputs().stream().map(Tensor::shape).flatMap(java.util.List::stream).anyMatch(e -> e instanceof Var);
        // 37 and 5 leave a partial vector at the end; 5 also a partial block.
        for (long n : symbolic ? new long[] {37, 5, 64} : new long[] {-1})
            assertNull(ReferenceCheck.firstMismatch(c.inputs(), c.outputs(), k, n, 11), c.name() + (symbolic ? " n = " + n : ""));
    }

    @Test
    void vectorLetsScattersAndVectorCastsRun() {
        String source = new OpenClSource().generate(VectorizedCases.vectorLets());
        assertTrue(source.contains("const float v[4] = {") && source.contains("const bool m[4] = {"), source);
        float[] a = {0.5f, 1.25f, 2f, 3.5f, -1f, 1.5f, 1.75f, 0.3f};
        var rt = backend.runtime();
        try (Arena arena = Arena.ofConfined(); var module = rt.build(source, List.of("vector_lets"));
             var da = rt.allocate(32); var dc = rt.allocate(32); var dd = rt.allocate(16)) {
            rt.copyToDevice(arena.allocateFrom(ValueLayout.JAVA_FLOAT, a), da);
            rt.launch(module, "vector_lets", List.of(new KernelArg.Buffer(da), new KernelArg.Buffer(dc), new KernelArg.Buffer(dd)),
                    new long[] {1, 1, 1}, new long[] {2, 1, 1});
            rt.synchronize();
            MemorySegment c = arena.allocate(32), d = arena.allocate(16);
            rt.copyToHost(dc, c);
            rt.copyToHost(dd, d);
            for (int t = 0; t < 2; t++) {
                for (int k = 0; k < 4; k++) {
                    float v = 2 * a[4 * t + k];
                    assertEquals(v > 3 ? -1f : v, c.getAtIndex(ValueLayout.JAVA_FLOAT, t + 2 * k), "C[" + (t + 2 * k) + "]");
                    assertEquals(Float.floatToFloat16(v), d.getAtIndex(ValueLayout.JAVA_SHORT, 4 * t + k), "D[" + (4 * t + k) + "]");
                }
            }
        }
    }
}
