package dev.tessera.target.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Var;
import dev.tessera.schedule.RandomGpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HalfPrecisionCases;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.VectorizedCases;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * On a CUDA GPU: user-defined f16 and bf16 operators under random GPU schedules, and vectorized
 * kernels of every dtype (aligned {@code float4} accesses, per-lane fallbacks, predicated tails),
 * run and compared with the reference interpreter. Skipped, with the reason, without a GPU or a
 * CUDA compiler.
 */
class CudaHalfAndVectorTest {
    static CudaBackend backend;
    static Target target;

    @BeforeAll
    static void gpu() {
        var noGpu = CudaRuntime.unavailableReason();
        assumeTrue(noGpu.isEmpty(), () -> "skipped: " + noGpu.orElseThrow());
        var noCompiler = CudaCompiler.unavailableReason();
        assumeTrue(noCompiler.isEmpty(), () -> "skipped: " + noCompiler.orElseThrow());
        backend = new CudaBackend();
        target = backend.runtime().target();
    }

    static Stream<HalfPrecisionCases.Case> halfPrecision() {
        return HalfPrecisionCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("halfPrecision")
    void halfPrecisionOperatorsMatchTheReference(HalfPrecisionCases.Case c) {
        int compiled = 0;
        for (long seed = 0; compiled < 6 && seed < 60; seed++) {
            Schedule s = RandomGpuSchedules.sample(c.outputs(), seed);
            CompiledKernel k;
            try {
                k = backend.compile(s, c.name(), target);
            } catch (TesseraUserError e) {
                continue; // a sample lowering rejects
            }
            for (long rows : new long[] {5, 33})
                assertNull(ReferenceCheck.firstMismatch(c.inputs(), c.outputs(), k, rows, seed, c.toleranceScale()),
                        c.name() + " seed " + seed + " rows " + rows + "\n  trace: " + TraceJson.write(s.trace()));
            compiled++;
        }
    }

    static Stream<VectorizedCases.Case> vectorized() {
        return VectorizedCases.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectorized")
    void vectorizedKernelsMatchTheReference(VectorizedCases.Case c) {
        CompiledKernel k = backend.compile(c.schedule(), c.name(), target);
        boolean symbolic = c.inputs().stream().map(Tensor::shape).flatMap(List::stream).anyMatch(e -> e instanceof Var);
        for (long n : symbolic ? new long[] {37, 5, 64} : new long[] {-1})
            assertNull(ReferenceCheck.firstMismatch(c.inputs(), c.outputs(), k, n, 11), c.name() + (symbolic ? " n = " + n : ""));
    }
}
