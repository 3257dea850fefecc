package dev.tessera.target.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Var;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.Knob;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.PrepackedKernel;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Kernels whose weights are prepacked (matmul, dense, conv2d, conv2d_winograd's transformed weights, with their prepack knob) compute what
 * the reference interpreter computes, both packed once ahead of calls and through the plain call;
 * the packed copy is what later calls read; and misuse of the runtime API is a user error.
 */
class PrepackTest {
    static Stream<Arguments> workloads() {
        return Stream.of(
                Arguments.of("matmul", "40,40,24", "prepack_b", ""),
                Arguments.of("dense", "7,21,5", "prepack_b", ""),
                Arguments.of("dense", "16,16,9", "prepack_b", ""),
                Arguments.of("conv2d", "1,8,14,14,16,3,3,1,1", "prepack_weight", ""),
                Arguments.of("conv2d", "2,4,5,4,4,2,2,1,1,2,2", "prepack_weight", ""),
                Arguments.of("conv2d", "1,20,9,9,40,3,3,1,1", "prepack_weight", "layout"),
                Arguments.of("conv2d", "2,4,5,4,4,2,2,1,1,2,2", "prepack_weight", "layout"),
                Arguments.of("conv2d_winograd", "1,20,9,7,40,3,3,1,1", "prepack_weight", ""),
                Arguments.of("conv2d_winograd", "2,3,6,6,17,3,3,1,0", "prepack_weight", ""));
    }

    /** {@code direct}: a knob set to 1 in every trial besides the prepack knob (conv2d's direct layout), or empty. */
    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("workloads")
    void prepackedWeightsUnderRandomTilesMatchTheReference(String opName, String shapeText, String knob, String direct) {
        Operator op = Operators.get(opName);
        long[] shape = java.util.Arrays.stream(shapeText.split(",")).mapToLong(Long::parseLong).toArray();
        Random rnd = new Random(7);
        for (int trial = 0; trial < 3; trial++) {
            Map<String, Long> config = new HashMap<>();
            for (Knob k : op.knobs(shape)) config.put(k.name(), k.choices().get(rnd.nextInt(k.choices().size())));
            config.put(knob, 1L);
            if (!direct.isEmpty()) config.put(direct, 1L);
            for (boolean symbolic : new boolean[] {false, true}) {
                OperatorInstance inst = symbolic ? op.buildSymbolic(shape) : op.build(shape);
                Schedule s = Schedule.create(inst.outputs());
                op.applyTunedSchedule(s, shape, config);
                CompiledKernel k = LlvmBackend.instance().compile(s, opName, Target.host());
                assertTrue(k.hasPrepackedStages(), "the knob prepacks: " + s.trace());
                for (long lead : symbolic ? new long[] {3, 5} : new long[] {-1}) {
                    String where = opName + " " + config + (symbolic ? " symbolic, leading " + lead : "");
                    assertNull(ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, lead, 42), "plain call, " + where);
                    assertNull(prepackedMismatch(inst, k, lead, 42), "prepacked, " + where);
                }
            }
        }
    }

    @Test void timingAsCalledPacksTheConstantsFromTheWholeArgumentListOnce() {
        Operator op = Operators.get("matmul");
        long[] shape = {20, 36, 12};
        OperatorInstance inst = op.build(shape);
        Schedule s = Schedule.create(inst.outputs());
        op.applyTunedSchedule(s, shape, Map.of("prepack_b", 1L));
        CompiledKernel k = LlvmBackend.instance().compile(s, "matmul", Target.host());
        Map<Tensor, TensorValue> values = seeded(inst, -1, 5);
        Tensor a = inst.inputs().get(0), b = inst.inputs().get(1), c = inst.outputs().get(0);
        HostBuffer bufA = buffer(a, values), bufB = buffer(b, values), bufC = HostBuffer.allocate(c.dtype(), 20, 36);
        try {
            List<HostBuffer> all = List.of(bufA, bufB, bufC);
            assertEquals(List.of(bufA, bufC), k.withoutConstants(all));
            assertEquals(4, k.timePrepacked(all, 1, 4).length);
            TensorValue want = ReferenceInterpreter.run(inst.outputs(), values).get(c);
            assertNull(want.firstMismatch(TensorValue.of(c.dtype(), bufC.toDoubles(), 20, 36), 1e-4, 1e-4), "the last timed call's output");
        } finally {
            bufA.close();
            bufB.close();
            bufC.close();
        }
    }

    @Test void callsReadThePackedCopyNotTheWeightBuffer() {
        Operator op = Operators.get("matmul");
        long[] shape = {20, 36, 12};
        OperatorInstance inst = op.build(shape);
        Schedule s = Schedule.create(inst.outputs());
        op.applyTunedSchedule(s, shape, Map.of("prepack_b", 1L, "tile_vectors", 2L));
        CompiledKernel k = LlvmBackend.instance().compile(s, "matmul", Target.host());
        assertEquals(List.of("B"), k.constantNames());
        Map<Tensor, TensorValue> values = seeded(inst, -1, 3);
        Tensor a = inst.inputs().get(0), b = inst.inputs().get(1), c = inst.outputs().get(0);
        TensorValue want = ReferenceInterpreter.run(inst.outputs(), values).get(c);
        HostBuffer bufA = buffer(a, values), bufB = buffer(b, values), bufC = HostBuffer.allocate(c.dtype(), 20, 36);
        try (PrepackedKernel p = k.prepack(Map.of("B", bufB))) {
            assertEquals(List.of("A", "matmul"), p.argumentNames());
            // The documented contract: B is read once, by prepack; changing or freeing it afterwards changes nothing.
            for (long i = 0; i < bufB.elementCount(); i++) bufB.set(i, 1000);
            bufB.close();
            p.call(bufA, bufC);
            assertNull(want.firstMismatch(TensorValue.of(c.dtype(), bufC.toDoubles(), 20, 36), 1e-4, 1e-4));
            p.call(bufA, bufC); // and again: the packed buffer is not consumed
            assertNull(want.firstMismatch(TensorValue.of(c.dtype(), bufC.toDoubles(), 20, 36), 1e-4, 1e-4));
            var e = assertThrows(TesseraUserError.class, () -> p.call(bufA));
            assertTrue(e.getMessage().contains("takes 2 arguments [A, matmul] (the constants [B] are packed), got 1"), e.getMessage());
            p.close();
            e = assertThrows(TesseraUserError.class, () -> p.call(bufA, bufC));
            assertTrue(e.getMessage().contains("is closed; prepack the constants [B] again"), e.getMessage());
        } finally {
            bufA.close();
            bufC.close();
        }
    }

    @Test void prepackArgumentsAreCheckedLikeCallArguments() {
        Operator op = Operators.get("matmul");
        long[] shape = {8, 16, 4};
        OperatorInstance inst = op.build(shape);
        Schedule s = Schedule.create(inst.outputs());
        op.applyTunedSchedule(s, shape, Map.of("prepack_b", 1L, "tile_vectors", 1L));
        CompiledKernel k = LlvmBackend.instance().compile(s, "matmul", Target.host());
        try (HostBuffer a = HostBuffer.allocate(dev.tessera.ir.DType.F32, 8, 4); HostBuffer wrongB = HostBuffer.allocate(dev.tessera.ir.DType.F32, 4, 15);
             HostBuffer f64B = HostBuffer.allocate(dev.tessera.ir.DType.F64, 4, 16)) {
            var e = assertThrows(TesseraUserError.class, () -> k.prepack(Map.of("A", a)));
            assertTrue(e.getMessage().contains("A is not a constant input; prepack takes [B]"), e.getMessage());
            e = assertThrows(TesseraUserError.class, () -> k.prepack(Map.of()));
            assertTrue(e.getMessage().contains("prepack is missing constant input B"), e.getMessage());
            e = assertThrows(TesseraUserError.class, () -> k.prepack(Map.of("B", wrongB)));
            assertTrue(e.getMessage().contains("argument B: expected shape [4, 16], got [4, 15]"), e.getMessage());
            e = assertThrows(TesseraUserError.class, () -> k.prepack(Map.of("B", f64B)));
            assertTrue(e.getMessage().contains("argument B: expected dtype f32, got f64"), e.getMessage());
            HostBuffer closed = HostBuffer.allocate(dev.tessera.ir.DType.F32, 4, 16);
            closed.close();
            e = assertThrows(TesseraUserError.class, () -> k.prepack(Map.of("B", closed)));
            assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        }
        Schedule plain = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(plain);
        CompiledKernel unpacked = LlvmBackend.instance().compile(plain, "matmul", Target.host());
        var e = assertThrows(TesseraUserError.class, () -> unpacked.prepack(Map.of()));
        assertTrue(e.getMessage().contains("has no prepacked stage"), e.getMessage());
    }

    /** Packs the constants once, then calls the prepacked kernel on the rest; the first mismatch with the reference, or null. */
    static String prepackedMismatch(OperatorInstance inst, CompiledKernel k, long lead, long seed) {
        Map<Tensor, TensorValue> values = seeded(inst, lead, seed);
        Map<Tensor, TensorValue> want = ReferenceInterpreter.run(inst.outputs(), values);
        Map<Var, Long> bind = new HashMap<>();
        List<HostBuffer> all = new ArrayList<>();
        Map<String, HostBuffer> constants = new LinkedHashMap<>();
        List<HostBuffer> rest = new ArrayList<>();
        try {
            for (Tensor t : inst.inputs()) {
                HostBuffer b = HostBuffer.of(t.dtype(), values.get(t).data(), ReferenceCheck.shape(t, lead, bind));
                all.add(b);
                if (k.constantNames().contains(t.name())) constants.put(t.name(), b);
                else rest.add(b);
            }
            List<HostBuffer> outs = new ArrayList<>();
            for (Tensor t : inst.outputs()) outs.add(HostBuffer.allocate(t.dtype(), ReferenceCheck.shape(t, lead, bind)));
            all.addAll(outs);
            rest.addAll(outs);
            try (PrepackedKernel p = k.prepack(constants)) {
                p.call(rest);
            }
            for (int o = 0; o < inst.outputs().size(); o++) {
                Tensor t = inst.outputs().get(o);
                String m = want.get(t).firstMismatch(TensorValue.of(t.dtype(), outs.get(o).toDoubles(), ReferenceCheck.shape(t, lead, bind)), 1e-4, 1e-4);
                if (m != null) return "output " + t.name() + ": " + m;
            }
            return null;
        } finally {
            for (HostBuffer b : all) b.close();
        }
    }

    private static Map<Tensor, TensorValue> seeded(OperatorInstance inst, long lead, long seed) {
        Map<Var, Long> bind = new HashMap<>();
        Map<Tensor, TensorValue> values = new LinkedHashMap<>();
        long inputSeed = seed * 31 + 7;
        for (Tensor t : inst.inputs()) values.put(t, TensorValue.random(t.dtype(), inputSeed++, ReferenceCheck.shape(t, lead, bind)));
        return values;
    }

    private static HostBuffer buffer(Tensor t, Map<Tensor, TensorValue> values) {
        return HostBuffer.of(t.dtype(), values.get(t).data(), ReferenceCheck.shape(t, -1, new HashMap<>()));
    }
}
