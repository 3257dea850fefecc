package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.lower.Lower;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tunable schedules: knobs, their defaults (the default schedule), every choice applying and lowering, and errors. */
class TunableSchedulesTest {

    private static String trace(OperatorInstance inst, java.util.function.Consumer<Schedule> apply) {
        Schedule s = Schedule.create(inst.outputs());
        apply.accept(s);
        return TraceJson.write(s.trace());
    }

    @Test
    void theDefaultConfigurationIsTheDefaultSchedule() {
        for (Operator base : Operators.all()) {
            for (Operator op : OperatorVariants.of(base)) {
                for (DType t : op.dtypes()) {
                    for (String shape : op.testShapes()) {
                        long[] args = op.parseShape(shape);
                        OperatorInstance inst = op.build(args, t);
                        List<Knob> knobs = op.knobs(args);
                        assertFalse(knobs.isEmpty(), op.name() + " has a tunable schedule");
                        assertEquals(knobs.size(), new HashSet<>(knobs.stream().map(Knob::name).toList()).size(), op.name() + ": knob names are unique");
                        Map<String, Long> defaults = new HashMap<>();
                        for (Knob k : knobs) defaults.put(k.name(), k.defaultValue());
                        String want = trace(inst, op::applyDefaultSchedule);
                        assertEquals(want, trace(inst, s -> op.applyTunedSchedule(s, args, Map.of())), op.describe() + " " + t + " " + shape);
                        assertEquals(want, trace(inst, s -> op.applyTunedSchedule(s, args, defaults)), op.describe() + " " + t + " " + shape);
                    }
                }
            }
        }
    }

    @Test
    void everyKnobChoiceAppliesAndLowers() {
        for (Operator base : Operators.all()) {
            for (Operator op : OperatorVariants.of(base)) {
                long[] args = op.parseShape(op.testShapes().get(0));
                List<OperatorInstance> instances = List.of(op.build(args), op.buildSymbolic(args));
                for (Knob k : op.knobs(args)) {
                    for (long v : k.choices()) {
                        for (OperatorInstance inst : instances) {
                            Schedule s = Schedule.create(inst.outputs());
                            op.applyTunedSchedule(s, args, Map.of(k.name(), v));
                            Lower.lower(s, op.name());
                        }
                    }
                }
            }
        }
    }

    @Test
    void randomConfigurationsApplyAndLower() {
        Random rnd = new Random(7);
        for (Operator op : Operators.all()) {
            for (String shape : op.testShapes()) {
                long[] args = op.parseShape(shape);
                for (int trial = 0; trial < 8; trial++) {
                    Map<String, Long> config = new HashMap<>();
                    for (Knob k : op.knobs(args)) config.put(k.name(), k.choices().get(rnd.nextInt(k.choices().size())));
                    Schedule s = Schedule.create(op.build(args).outputs());
                    op.applyTunedSchedule(s, args, config);
                    assertTrue(Lower.lower(s, op.name()) != null, op.name() + " " + config);
                }
            }
        }
    }

    @Test
    void matmulKnobsChangeTheRegisterTile() {
        Operator op = Operators.get("matmul");
        long[] args = {64, 64, 64};
        Schedule s = Schedule.create(op.build(args).outputs());
        op.applyTunedSchedule(s, args, Map.of("tile_rows", 6L, "tile_vectors", 2L, "panel_order", 1L, "unroll_k", 4L));
        assertEquals(List.of("i.outer", "j.outer", "i.inner", "j.inner.outer", "j.inner.inner"), s.stage("matmul").leafNames());
        assertEquals(List.of("k.outer", "k.inner", "i", "j.outer", "j.inner"), s.stage("matmul_acc").leafNames());
        String ir = dev.tessera.lower.IRPrinter.print(Lower.lower(s, "matmul"));
        assertTrue(ir.contains("allocate matmul_acc[f32 * 192]"), "a 6 x 32 accumulator: " + ir);
        // f64: the same knobs count vectors of 8 lanes, so the default tile is 4 x 32.
        Schedule d = Schedule.create(op.build(args, DType.F64).outputs());
        op.applyDefaultSchedule(d);
        assertTrue(dev.tessera.lower.IRPrinter.print(Lower.lower(d, "matmul")).contains("allocate matmul_acc[f64 * 128]"));
    }

    @Test
    void badConfigurationsAreUserErrors() {
        Operator op = Operators.get("matmul");
        long[] args = {8, 8, 8};
        Schedule s = Schedule.create(op.build(args).outputs());
        String unknown = assertThrows(TesseraUserError.class, () -> op.applyTunedSchedule(s, args, Map.of("tile_cols", 2L))).getMessage();
        assertEquals("matmul has no schedule knob 'tile_cols'; its knobs: [tile_rows, tile_vectors, panel_order, unroll_k, pack_b, prepack_b]", unknown);
        String value = assertThrows(TesseraUserError.class, () -> op.applyTunedSchedule(s, args, Map.of("tile_rows", 5L))).getMessage();
        assertEquals("knob tile_rows = 5 is not one of its choices [1, 2, 4, 6, 8]", value);
    }
}
