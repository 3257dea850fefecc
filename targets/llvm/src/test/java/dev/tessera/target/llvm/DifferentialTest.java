package dev.tessera.target.llvm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import dev.tessera.lower.Lower;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.RandomSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The differential suite: every built-in operator under at least 200 random valid schedules
 * (splits with every tail strategy, reorders, fuses, vectorize/unroll/parallel, inline, root and
 * compute_at placements), compiled by LLVM and compared with the reference interpreter, on
 * several shapes: concrete ones, and a symbolic leading dimension bound to two sizes at call time.
 * Seeds are fixed; a failure names the operator, seed, shape and the schedule trace as JSON.
 */
class DifferentialTest {
    static final int SCHEDULES = Integer.getInteger("tessera.differential.schedules", 200);

    /** Leading sizes a symbolic instance is called with. */
    static final long[] SYMBOLIC_SIZES = {5, 13};

    static Stream<Arguments> operators() {
        return Operators.all().stream().map(op -> Arguments.of(op.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void randomSchedulesMatchTheReference(String name) {
        Operator op = Operators.get(name);
        List<long[]> shapes = op.testShapes().stream().map(op::parseShape).toList();
        int compiled = 0, rejected = 0, prepacked = 0;
        int wanted = Math.min(SCHEDULES, op.differentialSchedules());
        for (long seed = 0; compiled < wanted; seed++) {
            // Rotate: concrete shape 0, concrete shape 1, symbolic leading dimension.
            int variant = (int) (seed % 3);
            boolean symbolic = variant == 2;
            long[] shape = shapes.get(symbolic ? 0 : variant);
            OperatorInstance inst = symbolic ? op.buildSymbolic(shape) : op.build(shape);
            Schedule s = RandomSchedules.sample(inst.outputs(), seed);
            LoweredFunc f;
            try {
                f = Lower.lower(s, name);
            } catch (TesseraUserError e) {
                // The sampler makes each step legal; lowering still rejects a stage computed inside a loop that one of its readers is outside of.
                assertTrue(e.getMessage().contains("reads it outside that loop"), failure(name, seed, shape, symbolic, s, e.getMessage()));
                rejected++;
                continue;
            }
            CompiledKernel k;
            try {
                k = LlvmBackend.instance().compile(f, Target.host());
            } catch (RuntimeException e) {
                throw new AssertionError(failure(name, seed, shape, symbolic, s, "compile failed: " + e), e);
            }
            for (long lead : symbolic ? SYMBOLIC_SIZES : new long[] {-1}) {
                String problem = runAndCompare(inst, k, lead, seed);
                if (problem != null) throw new AssertionError(failure(name, seed, shape, symbolic, s, (symbolic ? "leading size " + lead + ": " : "") + problem));
            }
            if (!s.prepackedStages().isEmpty()) {
                prepacked += checkPackedOnce(inst, s, name, seed, shape, symbolic);
            }
            compiled++;
        }
        System.out.printf("%s: %d random schedules compiled and matched the reference (%d rejected by lowering; %d prepack an input, also run packed once)%n",
                name, compiled, rejected, prepacked);
    }

    /**
     * A sample that prepacks an input also runs the way a caller with constant weights does: packed
     * once, then called. Returns 1, or 0 when the kernel cannot take the packed copy in place of the
     * constant (a shape variable only the constant carries: the user error that says so).
     */
    private static int checkPackedOnce(OperatorInstance inst, Schedule s, String name, long seed, long[] shape, boolean symbolic) {
        CompiledKernel k = LlvmBackend.instance().compile(s, name, Target.host());
        for (long lead : symbolic ? SYMBOLIC_SIZES : new long[] {-1}) {
            String problem;
            try {
                problem = PrepackTest.prepackedMismatch(inst, k, lead, seed);
            } catch (TesseraUserError e) {
                assertTrue(e.getMessage().contains("cannot be bound"), failure(name, seed, shape, symbolic, s, "packed once: " + e.getMessage()));
                return 0;
            }
            if (problem != null) throw new AssertionError(failure(name, seed, shape, symbolic, s, "packed once" + (symbolic ? ", leading size " + lead : "") + ": " + problem));
        }
        return 1;
    }

    /** Operators a user writes: a tuple reduction (argmax) and mixed dtypes with casts and math, under random schedules. */
    static Stream<Arguments> customOperators() {
        return Stream.of(Arguments.of("argmax"), Arguments.of("mixed_dtypes"));
    }

    static OperatorInstance custom(String name) {
        dev.tessera.ir.Var rows = dev.tessera.dsl.Te.shapeVar("rows");
        if (name.equals("argmax")) {
            Tensor x = dev.tessera.dsl.Te.placeholder("x", dev.tessera.ir.DType.F32, rows, dev.tessera.dsl.Te.c(23));
            var k = dev.tessera.dsl.Te.reduceAxis("k", 23);
            var argmax = dev.tessera.ir.Reducer.of("argmax", List.of(dev.tessera.ir.DType.I64, dev.tessera.ir.DType.F32),
                    (a, b) -> List.of(dev.tessera.dsl.Te.select(b.get(1).gt(a.get(1)), b.get(0), a.get(0)), dev.tessera.dsl.Te.max(a.get(1), b.get(1))),
                    List.of(dev.tessera.dsl.Te.c(-1), dev.tessera.dsl.Te.lowest(dev.tessera.ir.DType.F32)));
            List<Tensor> out = dev.tessera.dsl.Te.computeMulti("argmax", List.of(rows), List.of("i"), v -> dev.tessera.dsl.Te.reduce(argmax,
                    List.of(k.var(), x.at(v.get(0), k.var())), List.of(k), dev.tessera.ir.IntImm.bool(true)));
            return new OperatorInstance(List.of(x), out, new long[] {-1});
        }
        Tensor h = dev.tessera.dsl.Te.placeholder("h", dev.tessera.ir.DType.F16, rows, dev.tessera.dsl.Te.c(19));
        Tensor n = dev.tessera.dsl.Te.placeholder("n", dev.tessera.ir.DType.I32, rows, dev.tessera.dsl.Te.c(19));
        Tensor out = dev.tessera.dsl.Te.compute("mixed", List.of(rows, dev.tessera.dsl.Te.c(19)), List.of("i", "j"), v -> {
            Expr hv = h.at(v.get(0), v.get(1)), nv = n.at(v.get(0), v.get(1));
            Expr q = nv.div(dev.tessera.dsl.Te.constant(dev.tessera.ir.DType.I32, 3)).add(nv.mod(dev.tessera.dsl.Te.constant(dev.tessera.ir.DType.I32, -4)));
            Expr f = dev.tessera.dsl.Te.sigmoid(hv).add(dev.tessera.dsl.Te.erf(hv)).mul(dev.tessera.dsl.Te.tanh(hv.cast(dev.tessera.ir.DType.F32)));
            return dev.tessera.dsl.Te.select(nv.gt(0), f.add(q.cast(dev.tessera.ir.DType.F32)), dev.tessera.dsl.Te.abs(f).neg());
        });
        return new OperatorInstance(List.of(h, n), List.of(out), new long[] {-1});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("customOperators")
    void userDefinedOperatorsMatchTheReference(String name) {
        int count = Math.max(1, SCHEDULES / 4);
        for (long seed = 0; seed < count; seed++) {
            OperatorInstance inst = custom(name);
            Schedule s = RandomSchedules.sample(inst.outputs(), seed);
            CompiledKernel k = LlvmBackend.instance().compile(Lower.lower(s, name), Target.host());
            for (long lead : SYMBOLIC_SIZES) {
                String problem = runAndCompare(inst, k, lead, seed);
                if (problem != null) throw new AssertionError(failure(name, seed, new long[0], true, s, "rows " + lead + ": " + problem));
            }
        }
        System.out.printf("%s: %d random schedules compiled and matched the reference%n", name, count);
    }

    private static String failure(String op, long seed, long[] shape, boolean symbolic, Schedule s, String what) {
        return op + " seed " + seed + " shape " + java.util.Arrays.toString(shape) + (symbolic ? " (symbolic leading dimension)" : "")
                + ": " + what + "\n  trace: " + TraceJson.write(s.trace());
    }

    static String runAndCompare(OperatorInstance inst, CompiledKernel k, long leadingSize, long seed) {
        return dev.tessera.target.ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, leadingSize, seed);
    }
}
