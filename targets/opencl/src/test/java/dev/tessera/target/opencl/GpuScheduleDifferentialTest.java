package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.gpu.GpuCompiledKernel;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The operators' own GPU schedules ({@code Operator.applyGpuSchedule}, what {@code --schedule
 * default} and the GPU bench run), built and run by the OpenCL device (PoCL in CI) and compared
 * with the reference interpreter: every operator on its first test shape, concrete and with a
 * symbolic leading dimension, and the matmul family's shared-memory tiles on shapes that leave
 * tails in every dimension.
 */
class GpuScheduleDifferentialTest {
    static OpenClBackend backend;
    static Target target;

    @BeforeAll
    static void device() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        backend = new OpenClBackend();
        target = backend.runtime().target();
    }

    static Stream<Arguments> operators() {
        return Operators.all().stream().map(op -> Arguments.of(op.name()));
    }

    static CompiledKernel compile(Operator op, OperatorInstance inst) {
        Schedule s = Schedule.create(inst.outputs());
        op.applyGpuSchedule(s);
        return backend.compile(s, op.name(), target);
    }

    static void check(String what, OperatorInstance inst, CompiledKernel k, long... leadingSizes) {
        for (long lead : leadingSizes)
            assertNull(ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, lead, 11), what + (lead > 0 ? " with leading size " + lead : ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void everyOperatorsGpuScheduleMatchesTheReference(String name) {
        Operator op = Operators.get(name);
        long[] shape = op.parseShape(op.testShapes().get(0));
        OperatorInstance concrete = op.build(shape);
        check(name + " " + Arrays.toString(shape), concrete, compile(op, concrete), -1);
        OperatorInstance symbolic = op.buildSymbolic(shape);
        check(name + " " + Arrays.toString(shape) + " (symbolic leading dimension)", symbolic, compile(op, symbolic), 5, 13);
    }

    /** Tails in M, N and K; one element; the 128 x 128 tile with partial blocks on both edges and a partial k step. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"matmul:67,45,33", "matmul:1,1,1", "matmul:130,129,9", "dense:67,45,33", "batch_matmul:2,67,45,33"})
    void theMatmulTilesAreExactOnAwkwardShapes(String spec) {
        String[] p = spec.split(":");
        Operator op = Operators.get(p[0]);
        OperatorInstance inst = op.build(op.parseShape(p[1]));
        check(spec, inst, compile(op, inst), -1);
    }

    @Test
    void aSymbolicRowCountRunsTheGuardFreeKernelWhenItFillsWholeTilesAndTheGuardedOneOtherwise() {
        Operator op = Operators.get("matmul");
        OperatorInstance inst = op.buildSymbolic(op.parseShape("1,45,33"));
        CompiledKernel k = compile(op, inst);
        assertEquals(2, ((GpuCompiledKernel) k).program().kernels().size());
        // 64-row tiles here (N < 128): 128 rows take the specialized kernel, 67 the general one.
        check("matmul M x 45 x 33", inst, k, 128, 67);
    }
}
