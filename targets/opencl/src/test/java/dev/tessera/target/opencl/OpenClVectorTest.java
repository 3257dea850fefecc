package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Var;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.VectorizedCases;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Vectorized GPU kernels on the OpenCL device (PoCL in CI): every dtype at 2 to 16 lanes, tails of
 * predicated lanes, misaligned and gathered loads, selects, broadcasts and a vector reduction,
 * compared with the reference interpreter.
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
}
