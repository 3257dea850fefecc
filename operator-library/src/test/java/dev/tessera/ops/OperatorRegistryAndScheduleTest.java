package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tessera.TesseraUserError;
import dev.tessera.schedule.Attachment;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import java.util.List;
import org.junit.jupiter.api.Test;

class OperatorRegistryAndScheduleTest {

    @Test
    void registryListsTheOperatorsAndNamesThemOnAMiss() {
        List<String> names = Operators.names();
        assertTrue(names.containsAll(List.of("add", "reduce_sum", "softmax", "matmul", "conv2d", "batch_matmul", "dense", "conv2d_nhwc",
                "depthwise_conv2d", "pool2d", "relu", "gelu", "multiply", "reduce_mean", "reduce_max", "transpose", "log_softmax", "layernorm", "capsule_squash", "capsule_routing", "capsule_conv2d")), names.toString());
        assertEquals(names.size(), new java.util.HashSet<>(names).size(), "names are unique: " + names);
        for (String n : names) assertTrue(n.matches("[a-z][a-z0-9_]*"), "snake_case: " + n);
        String msg = assertThrows(TesseraUserError.class, () -> Operators.get("gemm")).getMessage();
        assertEquals("unknown operator 'gemm'; known operators: " + String.join(", ", names), msg);
        assertTrue(msg.startsWith("unknown operator 'gemm'; known operators: add, reduce_sum, softmax, matmul, conv2d, "), msg);
    }

    @Test
    void shapeArgumentsAreValidated() {
        String count = assertThrows(TesseraUserError.class, () -> Operators.get("matmul").build(new long[] {4, 4})).getMessage();
        assertTrue(count.contains("matmul takes 3 shape arguments M,N,K, got 2"), count);
        String neg = assertThrows(TesseraUserError.class, () -> Operators.get("add").build(new long[] {4, 0})).getMessage();
        assertTrue(neg.contains("shape argument N must be positive, got 0"), neg);
        Operators.get("conv2d").build(new long[] {1, 1, 4, 4, 1, 3, 3, 1, 0}); // pad may be 0
        String padNeg = assertThrows(TesseraUserError.class, () -> Operators.get("conv2d").build(new long[] {1, 1, 4, 4, 1, 3, 3, 1, -1})).getMessage();
        assertTrue(padNeg.contains("pad must be non-negative"), padNeg);
        String big = assertThrows(TesseraUserError.class, () -> Operators.get("conv2d").build(new long[] {1, 1, 2, 2, 1, 5, 5, 1, 1})).getMessage();
        assertTrue(big.contains("does not fit"), big);
        String text = assertThrows(TesseraUserError.class, () -> Operators.get("add").parseShape("4,x")).getMessage();
        assertTrue(assertThrows(TesseraUserError.class, () -> Operators.get("add").parseShape("4,n")).getMessage().contains("M,N"));
        assertEquals(List.of(4L, 5L), java.util.Arrays.stream(Operators.get("add").parseShape(" 4x5 ")).boxed().toList());
        assertTrue(text.contains("not a list of integers"), text);
    }

    @Test
    void workAndTrafficFollowTheShapes() {
        assertEquals(2.0 * 8 * 16 * 32, Operators.get("matmul").flops(new long[] {8, 16, 32}));
        assertEquals(4.0 * (8 * 32 + 32 * 16 + 8 * 16), Operators.get("matmul").bytes(new long[] {8, 16, 32}));
        // 1x1 output spatial: (4 + 2 - 3)/2 + 1 = 2
        assertEquals(2.0 * 1 * 2 * 2 * 2 * 3 * 3 * 3, Operators.get("conv2d").flops(new long[] {1, 3, 4, 4, 2, 3, 3, 2, 1}));
        for (Operator op : Operators.all()) {
            long[] s = op.parseShape(op.defaultShapes().get(0));
            assertTrue(op.flops(s) >= 0 && op.bytes(s) > 0, op.name());
            assertTrue(op.name().equals("transpose") || op.flops(s) > 0, op.name() + " does arithmetic");
            assertEquals(2 * op.bytes(s), op.bytes(s, dev.tessera.ir.DType.F64), op.name() + ": f64 moves twice the bytes");
        }
    }

    @Test
    void everyDefaultScheduleAppliesAndRoundTripsThroughJson() {
        for (Operator base : Operators.all()) {
            for (Operator op : OperatorVariants.of(base)) {
                for (dev.tessera.ir.DType t : op.dtypes()) {
                    for (String shape : op.defaultShapes()) check(op, op.build(op.parseShape(shape), t));
                    // the test shapes are small and awkward: splits have partial (guarded) tails
                    for (String shape : op.testShapes()) check(op, op.build(op.parseShape(shape), t));
                    check(op, op.buildSymbolic(op.parseShape(op.defaultShapes().get(0)), t));
                }
            }
        }
    }

    private static void check(Operator op, OperatorInstance inst) {
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        List<Step> trace = s.trace();
        assertFalse(trace.isEmpty(), op.name());
        String json = TraceJson.write(trace);
        List<Step> back = TraceJson.read(json);
        assertEquals(trace, back, op.name());
        Schedule replayed = Schedule.replay(inst.outputs(), back);
        assertEquals(json, TraceJson.write(replayed.trace()), op.name());
        for (Stage st : replayed.stages()) assertEquals(s.stage(st.name()).leafNames(), st.leafNames(), op.name() + "/" + st.name());
        Stage out = replayed.stage(inst.output());
        assertTrue(out.leafAxes().stream().anyMatch(a -> out.loopKind(a) == LoopKind.PARALLEL), op.name() + " has a parallel loop");
        assertTrue(replayed.stages().stream().anyMatch(st -> st.leafAxes().stream().anyMatch(a -> st.loopKind(a) == LoopKind.VECTORIZED)),
                op.name() + " has a vectorized loop");
    }

    @Test
    void traceJsonKeepsTheStepTags() {
        List<Step> trace = List.of(new Step.Vectorize("add", "j"));
        assertTrue(TraceJson.write(trace).contains("\"step\":\"vectorize\""));
        assertEquals(trace, TraceJson.read(TraceJson.write(trace)));
    }

    @Test
    void matmulDefaultScheduleAccumulatesPerTile() {
        OperatorInstance inst = Operators.get("matmul").build(new long[] {64, 64, 64});
        Schedule s = Schedule.create(inst.outputs());
        Operators.get("matmul").applyDefaultSchedule(s);
        assertEquals(List.of("B.cache", "matmul_acc", "matmul"), s.stageNames());
        Stage out = s.stage("matmul"), acc = s.stage("matmul_acc");
        assertEquals(List.of("j.outer", "i.outer", "i.inner", "j.inner.outer", "j.inner.inner"), out.leafNames());
        Attachment.At at = assertInstanceOf(Attachment.At.class, acc.attachment());
        assertEquals("i.outer", at.axis().name());
        assertEquals(out, at.consumer());
        assertEquals(List.of("k", "i", "j.outer", "j.inner"), acc.leafNames());
        assertEquals(LoopKind.UNROLLED, acc.loopKind(acc.axis("i")));
        assertEquals(LoopKind.VECTORIZED, acc.loopKind(acc.axis("j.inner")));
        assertEquals(LoopKind.PARALLEL, out.loopKind(out.axis("j.outer")));
        // The accumulator is one 4x64 tile (registers after LLVM's scalar replacement), not a matrix.
        String ir = dev.tessera.lower.IRPrinter.print(dev.tessera.lower.Lower.lower(s, "matmul"));
        assertTrue(ir.contains("allocate matmul_acc[f32 * 256]"), ir);
        // B is packed one 64 x 64 panel (K x 64 columns) at a time.
        assertTrue(ir.contains("allocate B.cache[f32 * 4096]"), ir);
    }

    @Test
    void softmaxStagesAreNamedAndFusedIntoTheRowLoop() {
        OperatorInstance inst = Operators.get("softmax").build(new long[] {8, 32});
        Schedule s = Schedule.create(inst.outputs());
        Operators.get("softmax").applyDefaultSchedule(s);
        assertEquals(List.of("softmax_max.rf", "softmax_max", "softmax_exp", "softmax_sum.rf", "softmax_sum", "softmax"), s.stageNames());
        assertEquals("softmax_exp", assertInstanceOf(Attachment.At.class, s.stage("softmax_max").attachment()).consumer().name());
        assertEquals("softmax", assertInstanceOf(Attachment.At.class, s.stage("softmax_sum").attachment()).consumer().name());
        // The row reductions accumulate 16 partial results in a vector.
        assertEquals(LoopKind.VECTORIZED, s.stage("softmax_sum.rf").loopKind(s.stage("softmax_sum.rf").axis("k.inner")));
    }
}
