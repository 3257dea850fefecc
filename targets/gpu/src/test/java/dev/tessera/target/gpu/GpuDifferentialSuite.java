package dev.tessera.target.gpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.RandomGpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GPU differential suite, one per GPU backend: every built-in operator under random valid GPU
 * schedules (block and thread bindings, shared-memory and per-thread staging, register
 * accumulation, cache_read of inputs, reductions shared by a block's threads, vectors of
 * neighbours per thread), compiled by the backend, run on its device, and compared with the
 * reference interpreter on concrete shapes and a symbolic leading dimension. A failure names the
 * operator, seed, shape and the schedule trace. A subclass names the backend and the device, and
 * skips with the reason where there is none.
 */
public abstract class GpuDifferentialSuite {
    static final int SCHEDULES = Integer.getInteger("tessera.gpu.differential.schedules", 12);
    static final long[] SYMBOLIC_SIZES = {5, 13};

    /** Skips the test, saying why, where this backend's device is missing (each operator's test reports it). */
    protected abstract void assumeDevice();

    /** The backend under test, with its device present. */
    protected abstract GpuBackend backend();

    /** The device's target. */
    protected abstract Target target();

    public static Stream<Arguments> operators() {
        return Operators.all().stream().map(op -> Arguments.of(op.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void randomGpuSchedulesMatchTheReference(String name) {
        assumeDevice();
        Operator op = Operators.get(name);
        List<long[]> shapes = op.testShapes().stream().map(op::parseShape).toList();
        int compiled = 0, rejected = 0, vectorized = 0;
        int wanted = Math.min(SCHEDULES, Math.max(3, op.differentialSchedules() / 16));
        for (long seed = 0; compiled < wanted; seed++) {
            assertTrue(seed < 20L * wanted, name + ": lowering rejected " + rejected + " of " + seed + " samples");
            int variant = (int) (seed % 3);
            boolean symbolic = variant == 2;
            long[] shape = shapes.get(symbolic ? 0 : variant);
            OperatorInstance inst = symbolic ? op.buildSymbolic(shape) : op.build(shape);
            Schedule s = RandomGpuSchedules.sample(inst.outputs(), seed);
            if (Boolean.getBoolean("tessera.gpu.differential.trace")) System.err.println(name + " seed " + seed + " " + TraceJson.write(s.trace()));
            CompiledKernel k;
            try {
                k = backend().compile(s, name, target());
            } catch (TesseraUserError e) {
                String m = e.getMessage();
                assertTrue(m.contains("reads it outside that loop") || m.contains("constant size") || m.contains("limit of"),
                        failure(name, seed, shape, symbolic, s, m));
                rejected++;
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError(failure(name, seed, shape, symbolic, s, "compile failed: " + e), e);
            }
            for (long lead : symbolic ? SYMBOLIC_SIZES : new long[] {-1}) {
                String problem = runAndCompare(inst, k, lead, seed);
                if (problem != null) throw new AssertionError(failure(name, seed, shape, symbolic, s, (symbolic ? "leading size " + lead + ": " : "") + problem));
            }
            compiled++;
            if (s.trace().stream().anyMatch(step -> step instanceof dev.tessera.schedule.Step.Vectorize)) vectorized++;
        }
        System.out.printf("%s: %d random GPU schedules (%d vectorized) ran on %s and matched the reference (%d rejected by lowering)%n",
                name, compiled, vectorized, target().cpu(), rejected);
    }

    private static String failure(String op, long seed, long[] shape, boolean symbolic, Schedule s, String what) {
        return op + " seed " + seed + " shape " + java.util.Arrays.toString(shape) + (symbolic ? " (symbolic leading dimension)" : "")
                + ": " + what + "\n  trace: " + TraceJson.write(s.trace());
    }

    static String runAndCompare(OperatorInstance inst, CompiledKernel k, long leadingSize, long seed) {
        return dev.tessera.target.ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, leadingSize, seed);
    }
}
