package dev.tessera.schedule;

import static dev.tessera.schedule.ScheduleErrorTest.fails;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The prepack step: the packed layout it makes, its trace JSON, and the errors for misuse. */
class PrepackScheduleTest {
    Tensor a, b, acc, c;
    Schedule s;

    @BeforeEach
    void matmul() {
        a = Te.placeholder("A", DType.F32, 16, 8);
        b = Te.placeholder("B", DType.F32, 8, 36);
        Axis k = Te.reduceAxis("k", 8);
        acc = Te.compute("acc", List.of(Te.c(16), Te.c(36)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        c = Te.compute("C", List.of(Te.c(16), Te.c(36)), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1)).mul(2.0));
        s = Schedule.create(c);
    }

    @Test void panelsOfBAreAStageInTheSplitLayoutThatTheReaderReads() {
        Stage packed = s.prepackPanels(b, 1, 16);
        assertEquals("B.packed", packed.name());
        assertTrue(packed.isPrepacked());
        assertEquals(List.of("i1.outer", "i0", "i1.inner"), packed.op().axes().stream().map(Axis::name).toList());
        assertEquals("[3, 8, 16]", packed.op().outputs().get(0).shape().toString());
        assertEquals(List.of("A", "B.packed"), s.stage("acc").inputs().stream().map(Tensor::name).toList());
        assertEquals(List.of(packed), s.prepackedStages());
    }

    @Test void traceJsonRoundTripReplaysTheSameSchedule() {
        s.prepack(b, List.of(new Step.LayoutSplit("i1", 16)), List.of("i1.outer", "i0", "i1.inner"));
        s.stage("B.packed").parallel("i1.outer");
        String json = TraceJson.write(s.trace());
        assertTrue(json.contains("{\"step\":\"prepack\",\"tensor\":\"B\",\"splits\":[{\"dim\":\"i1\",\"factor\":16}],\"order\":[\"i1.outer\",\"i0\",\"i1.inner\"]}"), json);
        List<Step> back = TraceJson.read(json);
        assertEquals(s.trace(), back);
        Schedule replayed = Schedule.replay(List.of(c), back);
        assertEquals(s.trace(), replayed.trace());
        assertTrue(replayed.stage("B.packed").isPrepacked());
    }

    @Test void misuseNamesWhatIsWrongAndWhatIsLegal() {
        fails(() -> s.prepackPanels(acc, 1, 16), "prepack(acc", "acc is a computed stage, prepacked as it stands", "reorder_storage");
        fails(() -> s.prepack(b, List.of(new Step.LayoutSplit("i2", 16)), List.of()), "B has no dimension 'i2'", "[i0, i1]");
        fails(() -> s.prepack(b, List.of(new Step.LayoutSplit("i1", 0)), List.of()), "split factors must be at least 1");
        fails(() -> s.prepack(b, List.of(new Step.LayoutSplit("i1", 16)), List.of("i0", "i1")), "the order must name each packed dimension once",
                "[i1.outer, i0, i1.inner]");
        Stage packed = s.prepackPanels(b, 1, 16);
        fails(() -> s.prepackPanels(b, 1, 16), "B is already prepacked as B.packed; a constant is packed once");
        String legal = "legal for it: split, fuse, reorder, tile, vectorize, unroll, parallel, compute_root";
        fails(() -> packed.computeAt(s.stage("C"), "i"), "compute_at(B.packed, C, i)", "is prepacked", legal);
        fails(packed::computeInline, "compute_inline(B.packed)", legal);
        fails(() -> packed.bind("i0", "threadIdx.x"), "bind(B.packed, i0, threadIdx.x)", legal);
        fails(() -> packed.setScope("shared"), "set_scope(B.packed, shared)", legal);
        fails(() -> s.apply(new Step.CacheWrite("B.packed")), "cache_write(B.packed)", legal);
        fails(() -> s.apply(new Step.StorageAlign("B.packed", "i0", 16, 0)), "storage_align", legal);
        fails(() -> s.apply(new Step.ReorderStorage("B.packed", List.of("i0", "i1", "i2"))), "reorder_storage", legal);
        // A copy stage between the constant and its packed stage would run on every call.
        fails(() -> s.cacheRead(b, packed), "B.packed is prepacked and reads the constant inputs themselves");
    }

    @Test void aStageOfConstantInputsAloneIsPrepackedAsItStands() {
        Stage stage = s.prepack(s.stage("acc"));
        assertTrue(stage.isPrepacked());
        assertEquals(List.of(stage), s.prepackedStages());
        assertEquals(List.of("acc"), s.stage("C").inputs().stream().map(Tensor::name).toList());
        String json = TraceJson.write(s.trace());
        assertTrue(json.contains("{\"step\":\"prepack\",\"tensor\":\"acc\",\"splits\":[],\"order\":[]}"), json);
        assertTrue(Schedule.replay(List.of(c), TraceJson.read(json)).stage("acc").isPrepacked());
        fails(() -> s.prepack(stage), "acc is already prepacked");
        fails(() -> stage.computeAt(s.stage("C"), "i"), "compute_at(acc, C, i)", "is prepacked");
    }

    @Test void aPrepackedStageReadsConstantInputsThatNothingElseReads() {
        fails(() -> s.prepack(s.stage("C")), "C is an output of the kernel", "a stage computed from such inputs alone");
        // A stage of constants alone (an iota) reads no input: nothing to pack.
        Tensor iota = Te.compute("iota", List.of(Te.c(8), Te.c(36)), List.of("k", "j"), v -> Te.cast(DType.F32, v.get(0)));
        Tensor sum = Te.compute("sum", List.of(Te.c(8), Te.c(36)), List.of("k", "j"), v -> iota.at(v.get(0), v.get(1)).add(b.at(v.get(0), v.get(1))));
        Schedule withIota = Schedule.create(sum);
        fails(() -> withIota.prepack(withIota.stage("iota")), "iota reads no kernel input, so there is nothing to pack");
        // t from B, v from B and t, the output w from v: v reads what the kernel computes; t's input B is also read by v.
        Tensor t = Te.compute("t", List.of(Te.c(8), Te.c(36)), List.of("k", "j"), v -> b.at(v.get(0), v.get(1)).mul(3.0));
        Tensor v2 = Te.compute("v", List.of(Te.c(8), Te.c(36)), List.of("k", "j"), v -> b.at(v.get(0), v.get(1)).add(t.at(v.get(0), v.get(1))));
        Tensor w = Te.compute("w", List.of(Te.c(8), Te.c(36)), List.of("k", "j"), v -> v2.at(v.get(0), v.get(1)).mul(2.0));
        Schedule other = Schedule.create(w);
        fails(() -> other.prepack(other.stage("v")), "v reads t, which the kernel computes on every call");
        fails(() -> other.prepack(other.stage("t")), "B is also read by v", "prepack a stage that is the only reader of its inputs");
        s.stage("acc").computeAt(s.stage("C"), "i");
        fails(() -> s.prepack(s.stage("acc")), "acc is computed at another stage's loop", "prepack it before compute_inline or compute_at");
    }
}
