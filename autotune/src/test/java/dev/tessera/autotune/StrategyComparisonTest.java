package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TailStrategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The trials-to-95 % metric on synthetic logs: medians over seeds, the evolutionary/random ratio, runs that never get there, ties and errors. */
class StrategyComparisonTest {
    static final long ERROR = -1;
    static final double FLOPS = 1e6; // GFLOP/s = 1e6 / ns

    /** The records of one run, one per trial: a median time in ns, or {@link #ERROR}. */
    static List<TuningRecord> run(String strategy, long seed, long... times) {
        return run("hash", strategy, seed, times);
    }

    static List<TuningRecord> run(String hash, String strategy, long seed, long... times) {
        var target = new TuningRecord.TargetInfo("llvm", "znver4", "+avx512f", 512, 2, "llvm:znver4:1:512:2");
        var workload = new TuningWorkload("matmul", List.of(100L, 100L, 50L), "f32", Map.of(), hash, FLOPS);
        List<TuningRecord> out = new ArrayList<>();
        for (int trial = 0; trial < times.length; trial++) {
            List<Step> trace = List.of(new Step.Split("matmul", "j", trial + 2, 0, TailStrategy.GUARD));
            var provenance = new TuningRecord.Provenance(strategy, seed, trial, Map.of());
            out.add(times[trial] == ERROR
                    ? new TuningRecord(1, workload, target, trace, null, new TuningRecord.Failure(TuningRecord.ErrorCode.TIMEOUT, "slow"), provenance, "t", "v")
                    : new TuningRecord(1, workload, target, trace, new TuningRecord.Timing(times[trial], times[trial], times[trial], 3), null, provenance, "t", "v"));
        }
        return out;
    }

    @SafeVarargs
    static List<TuningRecord> logs(List<TuningRecord>... runs) { return Arrays.stream(runs).flatMap(List::stream).toList(); }

    static StrategyComparison.Run runOf(StrategyComparison c, String strategy, long seed) {
        return c.runs().stream().filter(r -> r.strategy().equals(strategy) && r.seed() == seed).findFirst().orElseThrow();
    }

    static StrategyComparison.StrategyMedian medianOf(StrategyComparison c, String strategy) {
        return c.strategies().stream().filter(m -> m.strategy().equals(strategy)).findFirst().orElseThrow();
    }

    @Test void eachRunIsMeasuredAgainstTheBestOfAnyRunAndTheMediansGiveTheRatio() {
        // the best, 1000 ns (1000 GFLOP/s), is random seed 2's; 95 % of it is any time up to 1052 ns
        StrategyComparison c = StrategyComparison.of(logs(
                run("evolutionary", 1, 3000, 1040, 1100),
                run("evolutionary", 2, 3000, 2000, 1052, 1001),
                run("evolutionary", 3, 3000, 2000, 2000, 2000, 1010),
                run("random", 1, 3000, 3000, 3000, 3000, 3000, 1050),
                run("random", 2, 3000, 3000, 3000, 1000),
                run("random", 3, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 1053, 1030)), 95);

        assertEquals(1000.0, c.bestThroughput(), 1e-9);
        assertEquals("random seed 2 trial 3", c.bestRun());
        assertEquals(List.of(2, 3, 5, 6, 4, 9), c.runs().stream().map(StrategyComparison.Run::trialsToReach).toList(),
                "1053 ns is 94.97 %: random seed 3 gets there at its 9th trial, not its 8th");
        assertEquals(3.0, medianOf(c, "evolutionary").low());
        assertEquals(3.0, medianOf(c, "evolutionary").high());
        assertEquals(6.0, medianOf(c, "random").low());
        StrategyComparison.Ratio ratio = c.ratios().get(0);
        assertEquals("evolutionary", ratio.numerator());
        assertEquals("random", ratio.denominator());
        assertEquals(0.5, ratio.low());
        assertEquals(0.5, ratio.high());
        String table = c.table();
        assertTrue(table.contains("evolutionary / random (median trials): 0.50"), table);
        assertTrue(table.contains("target 95 % of it: 950.0 GFLOP/s"), table);
        List<Double> bestSoFar = runOf(c, "evolutionary", 1).bestSoFar();
        assertEquals(3, bestSoFar.size());
        assertEquals(1e6 / 3000, bestSoFar.get(0), 1e-9);
        assertEquals(1e6 / 1040, bestSoFar.get(1), 1e-9);
        assertEquals(1e6 / 1040, bestSoFar.get(2), 1e-9, "best so far after each trial");
    }

    @Test void aRunThatNeverReachesTheTargetMakesTheMedianAndRatioBoundsWhenItMatters() {
        List<TuningRecord> evolutionary = logs(run("evolutionary", 1, 1000, 900), run("evolutionary", 2, 2000, 2000, 2000, 950));
        // random seed 2 never gets within 95 % of 900 ns (947 ns) in its 10 trials
        StrategyComparison c = StrategyComparison.of(logs(evolutionary, run("random", 1, 2000, 2000, 940),
                run("random", 2, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 960)), 95);
        assertNull(runOf(c, "random", 2).trialsToReach());
        assertEquals(10, runOf(c, "random", 2).trials());
        StrategyComparison.StrategyMedian random = medianOf(c, "random");
        assertEquals(1, random.reached());
        assertEquals((3 + 11) / 2.0, random.low(), "the unfinished run needs at least 11 trials");
        assertNull(random.high(), "and maybe never");
        assertEquals((2 + 5) / 2.0, medianOf(c, "evolutionary").low(), "seed 1 at trial 2 (900 ns); seed 2's 950 ns misses 947 ns");
        assertNull(medianOf(c, "evolutionary").high());
        StrategyComparison.Ratio ratio = c.ratios().get(0);
        assertEquals(0.0, ratio.low());
        assertNull(ratio.high(), "both medians unbounded: the ratio says nothing");
        assertTrue(c.table().contains("evolutionary / random (median trials): unknown (neither median is bounded"), c.table());
        assertTrue(c.table().contains("never (> 10)"), c.table());
        assertTrue(c.table().contains(">= 7.0"), c.table());

        // with a third seed that reaches early, random's median is exact again: the unfinished run is above it
        c = StrategyComparison.of(logs(evolutionary, run("evolutionary", 3, 900), run("random", 1, 2000, 2000, 940),
                run("random", 2, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 960), run("random", 3, 2000, 2000, 2000, 2000, 900)), 95);
        assertEquals(5.0, medianOf(c, "random").low());
        assertEquals(5.0, medianOf(c, "random").high());
        assertEquals(2.0, medianOf(c, "evolutionary").low());
        assertEquals(2.0 / 5, c.ratios().get(0).low());
        assertEquals(2.0 / 5, c.ratios().get(0).high());
    }

    @Test void whenOnlyRandomsMedianIsUnboundedTheRatioIsAnUpperBound() {
        StrategyComparison c = StrategyComparison.of(logs(run("evolutionary", 1, 1000), run("evolutionary", 2, 2000, 1000),
                run("random", 1, 2000, 2000, 2000, 2000), run("random", 2, 2000, 2000, 2000, 2000, 2000, 2000)), 95);
        assertEquals(1.5, medianOf(c, "evolutionary").low());
        assertEquals((5 + 7) / 2.0, medianOf(c, "random").low());
        assertEquals(0.0, c.ratios().get(0).low());
        assertEquals(1.5 / 6, c.ratios().get(0).high(), 1e-12);
        assertTrue(c.table().contains("evolutionary / random (median trials): <= 0.25"), c.table());
    }

    @Test void aTimeExactlyAtTheThresholdAndTiesForTheBestCountAsReached() {
        // best 950 ns, found by two runs; 95 % of its throughput is exactly 1000 ns
        StrategyComparison c = StrategyComparison.of(logs(run("evolutionary", 1, 1001, 1000), run("evolutionary", 2, 950),
                run("random", 1, 2000, 2000, 950)), 95);
        assertEquals(List.of(2, 1, 3), c.runs().stream().map(StrategyComparison.Run::trialsToReach).toList());
        assertEquals(1e6 / 950, c.bestThroughput(), 1e-9);
        assertEquals("evolutionary seed 2 trial 0", c.bestRun(), "the first run in order among equals");
    }

    @Test void errorRecordsCostATrialButNeitherReachTheTargetNorSetTheBest() {
        StrategyComparison c = StrategyComparison.of(logs(run("evolutionary", 1, ERROR, ERROR, 1000), run("random", 1, 1000, ERROR)), 95);
        StrategyComparison.Run evolutionary = runOf(c, "evolutionary", 1);
        assertEquals(3, evolutionary.trialsToReach());
        assertEquals(2, evolutionary.errors());
        assertEquals(List.of(0.0, 0.0, 1000.0), evolutionary.bestSoFar());
        assertEquals(2, runOf(c, "random", 1).trials());
        assertEquals(1000.0, c.bestThroughput(), 1e-9);

        var onlyErrors = assertThrows(TesseraUserError.class, () -> StrategyComparison.of(run("random", 1, ERROR, ERROR), 95));
        assertTrue(onlyErrors.getMessage().contains("no run of matmul 100x100x50 f32"), onlyErrors.getMessage());
    }

    @Test void otherWorkloadsAndRepeatedTrialsAreReportedNotMixedIn() {
        StrategyComparison c = StrategyComparison.of(logs(run("evolutionary", 1, 1000), run("other", "random", 1, 10),
                run("random", 1, 2000, 1000), run("random", 1, 500)), 95);
        assertEquals(1000.0, c.bestThroughput(), 1e-9, "the other workload's 10 ns and the repeated trial's 500 ns are not the best");
        assertEquals(1, c.otherWorkloads().size());
        assertEquals(List.of("random seed 1 has trial 0 twice (two runs of one seed in one log without --resume?); the first is kept"), c.problems());
        assertTrue(c.table().contains("not compared (another workload or target): matmul 100x100x50 f32 on znver4, 2 cores (1 records)"), c.table());
    }

    @Test void theSvgDrawsOneLinePerRunColouredByStrategyAndTheTargetLevel() {
        String svg = StrategyComparison.of(logs(run("evolutionary", 1, 1000), run("evolutionary", 2, 2000, 1000),
                run("random", 1, 2000, 1000), run("random", 2, 1000)), 95).svg();
        assertEquals(4, svg.split("<polyline", -1).length - 1);
        assertTrue(svg.contains(">evolutionary</text>") && svg.contains(">random</text>"), svg);
        assertEquals(1, svg.split(">random</text>", -1).length - 1, "one legend entry per strategy");
        assertTrue(svg.contains("stroke-dasharray") && svg.contains(">95 % of best</text>"), svg);
    }
}
