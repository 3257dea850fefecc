package dev.tessera.target.llvm;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Var;
import dev.tessera.lower.Lower;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.Attribute;
import dev.tessera.ops.Knob;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@link DifferentialTest} leaves out, compiled by LLVM and compared with the reference
 * interpreter: every operator's default schedule and a few random configurations of its tunable
 * schedule, on its test shapes and a symbolic leading dimension, in every dtype and attribute
 * variant (the defaults, then each other attribute value alone), plus random schedules of the
 * variants DifferentialTest does not build (other dtypes and attributes). Tolerances by dtype:
 * f32 1e-4 (relative and absolute), f64 1e-10.
 */
class OperatorVariantsTest {
    /** Random knob configurations per variant. */
    static final int CONFIGS = Integer.getInteger("tessera.variants.configs", 2);
    /** Random schedules per non-default variant. */
    static final int RANDOM = Integer.getInteger("tessera.variants.schedules", 6);

    static Stream<Arguments> operators() { return Operators.all().stream().map(op -> Arguments.of(op.name())); }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void defaultAndTunedSchedulesOfEveryVariantMatchTheReference(String name) {
        Operator base = Operators.get(name);
        int compiled = 0;
        for (Operator op : variants(base)) {
            for (DType dtype : op.dtypes()) {
                boolean isDefault = op.attributeValues().equals(base.attributeValues()) && dtype.equals(op.dtypes().get(0));
                long[] first = op.parseShape(op.testShapes().get(0));
                List<OperatorInstance> instances = new ArrayList<>();
                for (String shape : op.testShapes()) instances.add(op.build(op.parseShape(shape), dtype));
                instances.add(op.buildSymbolic(first, dtype));
                String what = op.describe() + " " + dtype;
                for (OperatorInstance inst : instances)
                    compiled += check(what + " default schedule", inst, s -> op.applyDefaultSchedule(s), 1);
                Random rnd = new Random(name.hashCode() * 31L + dtype.hashCode());
                for (int c = 0; c < CONFIGS; c++) {
                    Map<String, Long> config = new LinkedHashMap<>();
                    int which = c % instances.size();
                    // Knob choices can depend on the shape (conv2d's panel_rows): draw them for the instance's own shape.
                    long[] shapeArgs = which < op.testShapes().size() ? op.parseShape(op.testShapes().get(which)) : first;
                    for (Knob k : op.knobs(shapeArgs)) config.put(k.name(), k.choices().get(rnd.nextInt(k.choices().size())));
                    OperatorInstance inst = instances.get(which);
                    compiled += check(what + " tuned " + config, inst, s -> op.applyTunedSchedule(s, shapeArgs, config), c);
                }
                if (!isDefault) {
                    for (long seed = 0; seed < RANDOM; seed++) {
                        OperatorInstance inst = instances.get((int) (seed % instances.size()));
                        Schedule sampled = RandomSchedules.sample(inst.outputs(), seed);
                        compiled += check(what + " random seed " + seed, inst, s -> {
                            for (var step : sampled.trace()) s.apply(step);
                        }, seed);
                    }
                }
            }
        }
        System.out.printf("%s: %d kernels of its variants compiled and matched the reference%n", name, compiled);
    }

    static List<Operator> variants(Operator op) {
        List<Operator> out = new ArrayList<>(List.of(op));
        for (Attribute a : op.attributes())
            for (String v : a.values())
                if (!v.equals(a.defaultValue())) out.add(op.withAttributes(Map.of(a.name(), v)));
        return out;
    }

    /** Compiles the instance under the schedule {@code apply} builds and compares every output; returns 1. */
    private static int check(String what, OperatorInstance inst, Consumer<Schedule> apply, long seed) {
        Schedule s = Schedule.create(inst.outputs());
        apply.accept(s);
        boolean symbolic = !inst.shapeVars().isEmpty();
        CompiledKernel k;
        try {
            k = LlvmBackend.instance().compile(Lower.lower(s, "variant"), Target.host());
        } catch (RuntimeException e) {
            throw new AssertionError(what + " " + Arrays.toString(inst.shapeArgs()) + ": " + e + "\n  trace: " + TraceJson.write(s.trace()), e);
        }
        for (long lead : symbolic ? DifferentialTest.SYMBOLIC_SIZES : new long[] {-1}) {
            String problem = runAndCompare(inst, k, lead, seed);
            if (problem != null)
                throw new AssertionError(what + " " + Arrays.toString(inst.shapeArgs()) + (symbolic ? " leading size " + lead : "") + ": " + problem
                        + "\n  trace: " + TraceJson.write(s.trace()));
        }
        return 1;
    }

    private static String runAndCompare(OperatorInstance inst, CompiledKernel k, long leadingSize, long seed) {
        Map<Var, Long> bind = new HashMap<>();
        Map<Tensor, TensorValue> inputs = new LinkedHashMap<>();
        long inputSeed = seed * 31 + 11;
        for (Tensor t : inst.inputs()) inputs.put(t, TensorValue.random(t.dtype(), inputSeed++, dev.tessera.target.ReferenceCheck.shape(t, leadingSize, bind)));
        Map<Tensor, TensorValue> want = ReferenceInterpreter.run(inst.outputs(), inputs);
        List<HostBuffer> args = new ArrayList<>();
        try {
            for (Tensor t : inst.inputs()) args.add(HostBuffer.of(t.dtype(), inputs.get(t).data(), dev.tessera.target.ReferenceCheck.shape(t, leadingSize, bind)));
            for (Tensor t : inst.outputs()) args.add(HostBuffer.allocate(t.dtype(), dev.tessera.target.ReferenceCheck.shape(t, leadingSize, bind)));
            k.call(args);
            for (int o = 0; o < inst.outputs().size(); o++) {
                Tensor t = inst.outputs().get(o);
                double tol = t.dtype().equals(DType.F64) ? 1e-10 : 1e-4;
                TensorValue got = TensorValue.of(t.dtype(), args.get(inst.inputs().size() + o).toDoubles(), dev.tessera.target.ReferenceCheck.shape(t, leadingSize, bind));
                String m = want.get(t).firstMismatch(got, tol, tol);
                if (m != null) return "output " + t.name() + ": " + m;
            }
            return null;
        } finally {
            for (HostBuffer b : args) b.close();
        }
    }
}
