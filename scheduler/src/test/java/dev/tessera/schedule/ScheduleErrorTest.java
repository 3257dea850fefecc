package dev.tessera.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every invalid schedule request raises a TesseraUserError naming the step and what would be legal. */
class ScheduleErrorTest {
    Tensor a, b, acc, c, unrelated;
    Schedule s;

    @BeforeEach
    void matmul() {
        a = Te.placeholder("A", DType.F32, 16, 8);
        b = Te.placeholder("B", DType.F32, 8, 32);
        Axis k = Te.reduceAxis("k", 8);
        acc = Te.compute("acc", List.of(Te.c(16), Te.c(32)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        c = Te.compute("C", List.of(Te.c(16), Te.c(32)), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1)).mul(2.0));
        s = Schedule.create(c);
    }

    static void fails(Executable e, String... fragments) {
        TesseraUserError err = assertThrows(TesseraUserError.class, e);
        for (String f : fragments) assertTrue(err.getMessage().contains(f), "message '" + err.getMessage() + "' lacks '" + f + "'");
    }

    @Test void unknownAxisListsTheLoops() {
        fails(() -> s.stage("C").split("x", 4), "split(C, x, factor=4)", "has no loop 'x'", "[i, j]");
    }

    @Test void unknownStageListsTheStages() {
        fails(() -> s.stage("D"), "no stage named 'D'", "[acc, C]");
    }

    @Test void factorMustBePositive() {
        fails(() -> s.stage("C").split("i", 0), "give exactly one positive factor or number of parts");
    }

    @Test void splitAxisIsNoLongerALoop() {
        s.stage("C").split("i", 4);
        fails(() -> s.stage("C").split("i", 2), "has no loop 'i'", "[i.outer, i.inner, j]");
    }

    @Test void fuseNeedsAdjacentLoopsOuterFirst() {
        fails(() -> s.stage("C").fuse("j", "i"), "only adjacent loops can be fused", "swap the arguments");
    }

    @Test void fuseCannotMixSpatialAndReduction() {
        fails(() -> s.stage("acc").fuse("j", "k"), "cannot fuse a spatial axis with a reduction axis");
    }

    @Test void parallelReductionAxisWouldRace() {
        fails(() -> s.stage("acc").parallel("k"), "parallel(acc, k)", "would race", "[i, j]");
    }

    @Test void vectorizeReductionAxis() {
        fails(() -> s.stage("acc").vectorize("k"), "vectorize(acc, k)", "cannot be vectorized", "[i, j]");
    }

    @Test void loopHasOneKind() {
        s.stage("C").parallel("i");
        fails(() -> s.stage("C").vectorize("i"), "already marked parallel");
    }

    @Test void computeAtAStageThatDoesNotUseIt() {
        Tensor other = Te.compute("other", List.of(Te.c(16)), List.of("i"), v -> a.at(v.get(0), 0));
        Schedule two = Schedule.create(c, other);
        fails(() -> two.stage("acc").computeAt(two.stage("other"), "i"), "other does not use acc", "[C]");
    }

    @Test void computeAtUnknownLoopListsLegalLevels() {
        fails(() -> s.stage("acc").computeAt(s.stage("C"), "x"), "legal levels: root, inline, or one of [i, j]");
    }

    @Test void outputsStayAtRoot() {
        fails(() -> s.stage("C").computeInline(), "is an output", "legal: compute_root");
        fails(() -> s.stage("C").computeAt(s.stage("C"), "i"), "is an output");
    }

    @Test void reductionsCannotBeInlined() {
        fails(() -> s.stage("acc").computeInline(), "is a reduction and cannot be inlined", "compute_at");
    }

    @Test void tailStrategyLegality() {
        fails(() -> s.stage("C").split("i", 4, TailStrategy.ROUND_UP), "round_up is not legal on output stage C", "legal: guard, shift_inward");
        fails(() -> s.stage("acc").split("k", 3, TailStrategy.SHIFT_INWARD), "not legal on reduction axis k");
        fails(() -> s.stage("acc").split("i", 3, TailStrategy.SHIFT_INWARD), "shift_inward is not legal on reduction stage acc");
        fails(() -> s.stage("acc").splitParts("i", 3, TailStrategy.ROUND_UP), "round_up needs a split by factor");
        s.stage("acc").split("j", 8);
        fails(() -> s.stage("acc").split("j.inner", 3, TailStrategy.ROUND_UP), "accumulate some points twice", "round_up a root axis [i]");
    }

    @Test void failedStepsAreNotRecorded() {
        s.stage("C").split("i", 4);
        assertThrows(TesseraUserError.class, () -> s.stage("C").split("nope", 4));
        assertEquals(1, s.trace().size());
    }

    @Test void badTraceJsonIsAUserError() {
        fails(() -> TraceJson.read("[{\"step\":\"twist\",\"stage\":\"C\"}]"), "not a valid schedule trace");
        fails(() -> TraceJson.read("{"), "not a valid schedule trace");
        fails(() -> TraceJson.read("[{\"step\":\"split\",\"stage\":\"C\",\"axis\":\"i\",\"factor\":4,\"nparts\":0,\"tail\":\"sideways\"}]"),
                "unknown tail strategy 'sideways'", "guard, shift_inward, round_up");
    }

    @Test void replayingAnInvalidTraceNamesTheStep() {
        List<Step> trace = List.of(new Step.Split("C", "q", 4, 0, TailStrategy.GUARD));
        fails(() -> Schedule.replay(List.of(c), trace), "split(C, q, factor=4)", "[i, j]");
    }

    @Test void traceRoundTripsThroughJson() {
        Stage cs = s.stage("C");
        var t = cs.tile("i", "j", 4, 8);
        cs.vectorize(t.yInner());
        cs.parallel(t.xOuter());
        s.stage("acc").computeAt(cs, t.yOuter());
        s.stage("acc").split("k", 3);
        String json = TraceJson.write(s.trace());
        Schedule replayed = Schedule.replay(List.of(c), TraceJson.read(json));
        assertEquals(s.trace(), replayed.trace());
        assertEquals(json, TraceJson.write(replayed.trace()));
        for (Stage st : s.stages()) assertEquals(st.leafNames(), replayed.stage(st.name()).leafNames());
    }
}
