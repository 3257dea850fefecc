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

/** rfactor, cache_read and cache_write: the stages they make, their misuse errors, and their trace records. */
class DataflowPrimitivesTest {
    Tensor a, b, acc, c;
    Schedule s;

    @BeforeEach
    void matmul() {
        a = Te.placeholder("A", DType.F32, 16, 10);
        b = Te.placeholder("B", DType.F32, 10, 32);
        Axis k = Te.reduceAxis("k", 10);
        acc = Te.compute("acc", List.of(Te.c(16), Te.c(32)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        c = Te.compute("C", List.of(Te.c(16), Te.c(32)), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1)).mul(2.0));
        s = Schedule.create(c);
    }

    @Test void rfactorOfASplitReductionMakesAStageWithTheFactoredLoopSpatial() {
        Stage st = s.stage("acc");
        Stage.Parts k = st.split("k", 4);
        Stage rf = st.rfactor(k.inner());
        assertEquals("acc.rf", rf.name());
        assertEquals(List.of("acc.rf", "acc", "C"), s.stageNames());
        assertEquals(List.of("i", "j", "k.inner", "k.outer"), rf.leafNames());
        assertEquals(List.of(Te.c(16), Te.c(32), Te.c(4)), rf.op().outputs().get(0).shape());
        assertTrue(rf.isReduction());
        // The stage now reduces over the factored loop alone, reading the partial results.
        assertEquals(List.of("i", "j", "k.inner"), st.leafNames());
        assertEquals(List.of(rf.op().outputs().get(0)), st.inputs());
        assertTrue(rf.inputs().contains(a) && !st.inputs().contains(a));
    }

    @Test void rfactorOfTheWholeAxisLeavesAnElementwiseStage() {
        Stage rf = s.stage("acc").rfactor("k");
        assertTrue(!rf.isReduction());
        assertEquals(List.of("i", "j", "k"), rf.leafNames());
    }

    @Test void rfactorMisuse() {
        fails(() -> s.stage("C").rfactor("i"), "rfactor(C, i)", "is not a reduction");
        fails(() -> s.stage("acc").rfactor("j"), "j is a spatial loop", "[k]");
        fails(() -> s.stage("acc").rfactor("x"), "has no loop 'x'", "[k]");
        s.stage("acc").split("i", 4);
        fails(() -> s.stage("acc").rfactor("k"), "apply rfactor before other loop transformations of acc");
    }

    @Test void rfactorAgainFoldsThePartialResultsInASecondStage() {
        Stage st = s.stage("acc");
        st.rfactor(st.split("k", 4).inner());
        Stage second = st.rfactor(st.split("k.inner", 2).inner());
        assertEquals("acc.rf1", second.name());
        assertEquals(List.of("acc.rf", "acc.rf1", "acc", "C"), s.stageNames());
        assertEquals(List.of(s.stage("acc.rf").op().outputs().get(0)), second.inputs());
        assertEquals(List.of("i", "j", "k.inner.inner"), st.leafNames());
        assertEquals(List.of(Te.c(16), Te.c(32), Te.c(2)), second.op().outputs().get(0).shape());
    }

    @Test void rewritesThatRemakeAStagesLoopsComeBeforeComputingOtherStagesAtThem() {
        Stage st = s.stage("acc");
        Stage rf = st.rfactor(st.split("k", 4).inner());
        rf.computeAt(st, "i");
        fails(() -> st.rfactor("k.inner"), "rfactor(acc, k.inner)", "acc.rf is computed at loop i of acc", "apply rfactor first, then compute_at");
        s.stage("acc").computeAt(s.stage("C"), "j");
        fails(() -> s.stage("C").cacheWrite(), "cache_write(C)", "acc is computed at loop j of C", "apply cache_write first");
    }

    @Test void rfactorAfterAnAnnotationIsRejected() {
        s.stage("acc").parallel("i");
        fails(() -> s.stage("acc").rfactor("k"), "apply rfactor before annotating the loops of acc", "i is parallel");
    }

    @Test void cacheWriteMovesTheDefinitionIntoALocalStage() {
        Stage local = s.stage("acc").cacheWrite();
        assertEquals("acc.local", local.name());
        assertTrue(local.isReduction());
        assertTrue(!s.stage("acc").isReduction());
        assertEquals(List.of("i", "j"), s.stage("acc").leafNames());
        assertEquals(List.of("acc.local", "acc", "C"), s.stageNames());
    }

    @Test void cacheWriteMisuse() {
        s.stage("acc").split("i", 4);
        fails(() -> s.stage("acc").cacheWrite(), "cache_write(acc)", "apply cache_write before splitting");
        s.stage("C").cacheWrite();
        fails(() -> s.stage("C").cacheWrite(), "the new stage name C.local is taken");
    }

    @Test void cacheReadRedirectsTheNamedReaders() {
        Stage cache = s.cacheRead(b, s.stage("acc"));
        assertEquals("B.cache", cache.name());
        assertEquals(List.of("B.cache", "acc", "C"), s.stageNames());
        assertEquals(List.of(a, cache.op().outputs().get(0)), s.stage("acc").inputs());
        assertEquals(List.of("i0", "i1"), cache.leafNames());
        Stage second = s.cacheRead(b, s.stage("B.cache"));
        assertEquals("B.cache1", second.name());
    }

    @Test void cacheReadMisuse() {
        fails(() -> s.cacheRead(b, s.stage("C")), "cache_read(B, [C])", "stage C does not read B", "[acc]");
        fails(() -> s.apply(new Step.CacheRead("Z", List.of("acc"))), "no tensor named 'Z'", "[A, B, acc, C]");
        fails(() -> s.apply(new Step.CacheRead("B", List.of())), "name at least one stage that reads B");
    }

    @Test void tracesWithTheNewStepsRoundTripThroughJsonAndReplay() {
        Stage st = s.stage("acc");
        st.rfactor(st.split("k", 4).inner());
        s.cacheRead(b, s.stage("acc.rf"));
        s.stage("C").cacheWrite();
        String json = TraceJson.write(s.trace());
        assertTrue(json.contains("\"step\":\"rfactor\"") && json.contains("\"step\":\"cache_read\"") && json.contains("\"step\":\"cache_write\""), json);
        Schedule replayed = Schedule.replay(List.of(c), TraceJson.read(json));
        assertEquals(s.stageNames(), replayed.stageNames());
        assertEquals(s.trace(), replayed.trace());
    }

    @Test void specializeAndStorageAlignMisuse() {
        Tensor x = Te.placeholder("x", DType.F32, Te.shapeVar("n"), Te.c(8));
        Tensor y = Te.compute("y", List.of(x.shape().get(0), Te.c(8)), List.of("i", "j"), v -> x.at(v.get(0), v.get(1)).add(1.0));
        Tensor z = Te.compute("z", List.of(x.shape().get(0), Te.c(8)), List.of("i", "j"), v -> y.at(v.get(0), v.get(1)).mul(2.0));
        Schedule sch = Schedule.create(z);
        fails(() -> sch.stage("y").specialize("n", 4), "specialize applies to the whole kernel; name an output stage [z]");
        fails(() -> sch.stage("z").specialize("m", 4), "no shape variable 'm'", "[n]");
        fails(() -> sch.stage("z").specialize("n", 1), "the divisor must be at least 2");
        sch.stage("z").specialize("n", 4);
        fails(() -> sch.stage("z").specialize("n", 4), "already in the schedule");
        sch.stage("z").specialize("n", 8);
        fails(() -> sch.stage("z").specialize("n", 16), "at most 2 specializations");
        fails(() -> sch.stage("z").storageAlign("i", 16, 0), "z is an output");
        fails(() -> sch.stage("y").storageAlign("q", 16, 0), "q is not a storage dimension of y", "[i, j]");
        fails(() -> sch.stage("y").storageAlign("i", 16, 16), "0 <= offset < factor");
        fails(() -> sch.stage("z").reorderStorage("j", "i"), "reorder_storage(z, j, i)", "z is an output");
        fails(() -> sch.stage("y").reorderStorage("j"), "name each storage dimension of y once", "[i, j]");
        fails(() -> sch.stage("y").reorderStorage("j", "j"), "name each storage dimension of y once");
        fails(() -> sch.stage("y").reorderStorage("j", "q"), "name each storage dimension of y once");
        sch.stage("y").reorderStorage("j", "i");
        assertEquals(List.of(1, 0), java.util.Arrays.stream(sch.stage("y").storageOrder()).boxed().toList());
        Schedule replayed = Schedule.replay(List.of(z), TraceJson.read(TraceJson.write(sch.trace())));
        assertTrue(TraceJson.write(sch.trace()).contains("\"step\":\"reorder_storage\""));
        assertEquals(List.of(1, 0), java.util.Arrays.stream(replayed.stage("y").storageOrder()).boxed().toList());
        fails(() -> s.stage("acc").prefetch(a, "q", 4), "prefetch(acc, A, q, distance=4)", "has no loop 'q'");
        fails(() -> s.stage("acc").prefetch(a, "k", 0), "the distance must be at least 1");
        fails(() -> s.stage("C").prefetch(a, "i", 2), "C does not read A", "[acc]");
        fails(() -> s.stage("acc").tileLevels(java.util.Map.of("i", List.of(4L, 3L))), "each factor must be a multiple of the next");
    }
}
