package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.Target;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TunerTest {
    static final TuningTask MATMUL = TuningTask.operator("matmul", Map.of(), new long[] {16, 16, 16}, "f32");
    static final Measurer.Options FAST = new Measurer.Options(1, 3, 60_000);
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    /** A definition no operator has: the sum of squares of each row plus its first element. */
    public static final class RowEnergy implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() {
            Tensor x = Te.placeholder("x", DType.F32, 12, 10);
            Axis k = Te.reduceAxis("k", 10);
            Tensor sq = Te.compute("sq", List.of(Te.c(12), Te.c(10)), List.of("i", "j"), v -> x.at(v.get(0), v.get(1)).mul(x.at(v.get(0), v.get(1))));
            Tensor e = Te.compute("energy", List.of(Te.c(12)), List.of("i"), v -> Te.sum(sq.at(v.get(0), k.var()), k));
            return List.of(e);
        }
    }

    static List<String> traces(Path log) {
        return TuningLog.read(log).records().stream().map(r -> TraceJson.write(r.trace())).toList();
    }

    @Test void aRunStoppedPartwayAndResumedEndsWithTheSameRecordsAndNoDuplicates(@TempDir Path dir) throws Exception {
        Tuner.Options opts = Tuner.Options.of("random", 6, 11);
        Path whole = dir.resolve("whole.jsonl"), killed = dir.resolve("killed.jsonl");
        try (Measurer m = new InProcessMeasurer(FAST)) {
            Tuner.run(MATMUL, whole, opts, m, null, QUIET);
            Tuner.Result first = Tuner.run(MATMUL, killed, opts.stoppingAfter(4), m, null, QUIET);
            assertEquals(4, first.measured());
            List<String> before = traces(killed);
            // the kill also cut the line being written
            Files.writeString(killed, "{\"schemaVersion\":1,\"workload\":{\"op\":\"mat", StandardOpenOption.APPEND);
            Tuner.Result resumed = Tuner.run(MATMUL, killed, opts.resuming(), m, null, QUIET);
            assertEquals(2, resumed.measured(), "only the missing trials are measured");
            assertEquals(6, resumed.trials());
            List<String> after = traces(killed);
            assertEquals(before, after.subList(0, 4), "nothing lost");
            assertEquals(traces(whole), after, "same trials as an uninterrupted run");
            assertEquals(after.size(), new HashSet<>(after).size(), "no duplicates");
            assertEquals(List.of(0, 1, 2, 3, 4, 5), TuningLog.read(killed).records().stream().map(r -> r.provenance().trial()).toList());
            assertEquals(1, TuningLog.read(killed).problems().size());
            // resuming a finished run measures nothing
            assertEquals(0, Tuner.run(MATMUL, killed, opts.resuming(), m, null, QUIET).measured());
        }
    }

    @Test void pinnedKnobsHoldTheirValueInEveryTrial(@TempDir Path dir) {
        Path log = dir.resolve("pinned.jsonl");
        Map<String, Long> pinned = Map.of("tile_vectors", 2L, "prepack_b", 1L);
        try (Measurer m = new InProcessMeasurer(FAST)) {
            Tuner.Options opts = new Tuner.Options("evolutionary", 10, 3, false, List.of(), 4, -1, "template", pinned);
            Tuner.run(MATMUL, log, opts, m, null, QUIET);
        }
        List<TuningRecord> recs = TuningLog.read(log).records();
        assertEquals(10, recs.size());
        for (TuningRecord r : recs) {
            // Measured with B packed once ahead of the timed calls, and checked against the reference.
            assertTrue(r.ok(), r.error() + " " + r.provenance());
            assertEquals(2L, r.provenance().knobs().get("tile_vectors"), r.provenance().toString());
            assertEquals(1L, r.provenance().knobs().get("prepack_b"), r.provenance().toString());
        }
        assertTrue(recs.stream().map(r -> r.provenance().knobs()).distinct().count() > 1, "the other knobs are searched");

        OperatorInstance inst = MATMUL.build();
        String unknown = assertThrows(TesseraUserError.class,
                () -> SearchSpace.forTask(MATMUL, inst, "template", Target.host(), Map.of("tile_cols", 2L))).getMessage();
        assertTrue(unknown.contains("matmul has no schedule knob 'tile_cols'; its knobs: [tile_rows"), unknown);
        String value = assertThrows(TesseraUserError.class,
                () -> SearchSpace.forTask(MATMUL, inst, "template", Target.host(), Map.of("tile_rows", 5L))).getMessage();
        assertEquals("knob tile_rows = 5 is not one of its choices [1, 2, 4, 6, 8]", value);
        String automatic = assertThrows(TesseraUserError.class,
                () -> SearchSpace.forTask(MATMUL, inst, "automatic", Target.host(), Map.of("tile_rows", 4L))).getMessage();
        assertEquals("--knob pins knobs of an operator's template space; the automatic space has none", automatic);
    }

    @Test void aLongRunResumedWithSmallBatchesReplaysItsEarlierTrialsAndGoesOn(@TempDir Path dir) {
        // 55 earlier trials proposed again one per batch are not 55 idle batches (the run used to give up after 50).
        OperatorInstance inst = MATMUL.build();
        TuningWorkload workload = MATMUL.workload(inst);
        TuningRecord.TargetInfo target = TuningRecord.TargetInfo.of(Target.host());
        SearchSpace space = SearchSpace.forTask(MATMUL, inst, "auto", Target.host());
        java.util.Random rnd = new java.util.Random(9);
        List<String> keys = new ArrayList<>();
        Path log = dir.resolve("long.jsonl");
        while (keys.size() < 55) {
            Candidate c = space.sample(rnd);
            String key = TuningRecord.key(workload.structuralHash(), target.fingerprint(), c.trace());
            if (keys.contains(key)) continue;
            keys.add(key);
            TuningLog.append(log, new TuningRecord(TuningRecord.SCHEMA_VERSION, workload, target, c.trace(), new TuningRecord.Timing(1000, 900, 1100, 3), null,
                    new TuningRecord.Provenance("random", 9, keys.size() - 1, c.knobs()), "2026-01-01T00:00:00Z", Version.TESSERA));
        }
        try (Measurer m = new InProcessMeasurer(FAST)) {
            Tuner.Result r = Tuner.run(MATMUL, log, new Tuner.Options("random", 58, 9, true, List.of(), 1, -1), m, null, QUIET);
            assertEquals(3, r.measured());
            assertEquals(58, r.trials());
        }
        List<TuningRecord> recs = TuningLog.read(log).records();
        assertEquals(keys, recs.subList(0, 55).stream().map(TuningRecord::key).toList());
        assertEquals(58, new HashSet<>(recs.stream().map(TuningRecord::key).toList()).size());
    }

    @Test void hangingAndCrashingCandidatesBecomeErrorRecordsAndTheRunContinues(@TempDir Path dir) {
        Path log = dir.resolve("t.jsonl");
        try (WorkerProcessMeasurer m = new WorkerProcessMeasurer(new Measurer.Options(1, 3, 15_000), List.of("-Dtessera.autotune.inject=hang:2"))) {
            Tuner.Result r = Tuner.run(MATMUL, log, Tuner.Options.of("random", 3, 5), m, null, QUIET);
            assertEquals(3, r.trials());
            List<TuningRecord> recs = TuningLog.read(log).records();
            assertTrue(recs.get(0).ok(), String.valueOf(recs.get(0).error()));
            assertEquals(TuningRecord.ErrorCode.TIMEOUT, recs.get(1).error().code());
            assertTrue(recs.get(2).ok(), "a fresh worker measured the next candidate: " + recs.get(2).error());
            assertEquals(2, m.workersStarted());
        }
        Path log2 = dir.resolve("crash.jsonl");
        try (WorkerProcessMeasurer m = new WorkerProcessMeasurer(new Measurer.Options(1, 3, 60_000), List.of("-Dtessera.autotune.inject=crash:1"))) {
            Tuner.Result r = Tuner.run(MATMUL, log2, Tuner.Options.of("random", 2, 5), m, null, QUIET);
            List<TuningRecord> recs = TuningLog.read(log2).records();
            assertEquals(2, recs.size());
            assertEquals(TuningRecord.ErrorCode.CRASH, recs.get(0).error().code());
            assertTrue(recs.get(0).error().message().contains("code 134"), recs.get(0).error().message());
            assertEquals(2, r.errors(), "the injected crash hits the first request of every worker");
        }
    }

    @Test void aWrongAnswerIsRecordedAsSuch(@TempDir Path dir) {
        // a measurer that corrupts nothing cannot produce one; check the reference comparison through a measurer that lies about its task
        TuningTask other = TuningTask.operator("matmul", Map.of(), new long[] {16, 16, 16}, "f32");
        Measurer lying = new Measurer() {
            final InProcessMeasurer real = new InProcessMeasurer(FAST);
            @Override public Outcome measure(TuningTask task, Target target, List<dev.tessera.schedule.Step> trace) {
                return trace.size() % 2 == 0 ? Outcome.failed(TuningRecord.ErrorCode.WRONG_ANSWER, "injected") : real.measure(other, target, trace);
            }
        };
        Tuner.Result r = Tuner.run(MATMUL, dir.resolve("t.jsonl"), Tuner.Options.of("random", 4, 3), lying, null, QUIET);
        assertEquals(4, r.trials());
        assertTrue(TuningLog.read(dir.resolve("t.jsonl")).records().stream().allMatch(x -> x.ok() || x.error().code() == TuningRecord.ErrorCode.WRONG_ANSWER));
    }

    @Test void anOperatorWithNoTemplateIsTunedThroughTheAutomaticSpace(@TempDir Path dir) {
        TuningTask task = TuningTask.custom(RowEnergy.class);
        Path log = dir.resolve("t.jsonl");
        List<Integer> progress = new ArrayList<>();
        try (Measurer m = new InProcessMeasurer(FAST)) {
            Tuner.Options opts = new Tuner.Options("evolutionary", 14, 1, false, List.of(), 4, -1);
            Tuner.Result r = Tuner.run(task, log, opts, m, (done, total, last, best, errors, invalid, ns, n) -> progress.add(done), QUIET);
            assertEquals(14, r.trials());
            assertNotNull(r.best());
        }
        List<TuningRecord> recs = TuningLog.read(log).records();
        assertEquals(14, recs.size());
        assertEquals("RowEnergy", recs.get(0).workload().op());
        assertTrue(recs.stream().allMatch(x -> x.ok()), "candidates are checked against the reference: " + recs.stream().filter(x -> !x.ok()).map(TuningRecord::error).toList());
        assertEquals(14, new HashSet<>(traces(log)).size());
        assertEquals(14, progress.size());
        assertEquals(List.of(1, 2, 3), progress.subList(0, 3));
    }

    @Test void gridSearchVisitsATemplateSpaceInOrderAndRefusesAnAutomaticOne(@TempDir Path dir) {
        try (Measurer m = new InProcessMeasurer(FAST)) {
            Tuner.Result r = Tuner.run(MATMUL, dir.resolve("g.jsonl"), Tuner.Options.of("grid", 3, 0), m, null, QUIET);
            assertEquals(3, r.trials());
            List<TuningRecord> recs = TuningLog.read(dir.resolve("g.jsonl")).records();
            assertEquals(List.of(1L, 2L, 4L), recs.stream().map(x -> x.provenance().knobs().get("tile_rows")).toList());
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.tessera.TesseraUserError.class,
                    () -> Tuner.run(TuningTask.custom(RowEnergy.class), dir.resolve("x.jsonl"), Tuner.Options.of("grid", 3, 0), m, null, QUIET));
            assertTrue(e.getMessage().contains("use --strategy random or evolutionary"), e.getMessage());
        }
    }

    @Test void applyBestPicksTheFastestRecordForThisTargetThenACompatibleOneThenTheDefault() {
        Operator op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {16, 16, 16});
        String hash = dev.tessera.lower.Workload.hash(inst.outputs());
        Target here = Target.host();
        String fp = here.fingerprint();
        TuningRecord slow = TuningLogTest.record(hash, fp, 5000, 0), fast = TuningLogTest.record(hash, fp, 1000, 1),
                failed = TuningLogTest.record(hash, fp, -1, 2), otherWorkload = TuningLogTest.record("other", fp, 10, 3);
        TuningRecord fastest = withTarget(TuningLogTest.record(hash, fp, 10, 4), here, "elsewhere");
        List<String> warnings = new ArrayList<>();

        ApplyBest.Choice c = ApplyBest.choose(op, inst, DType.F32, here, List.of(slow, failed, fast, otherWorkload, fastest), warnings::add);
        assertEquals(ApplyBest.Source.EXACT_TARGET, c.source());
        assertEquals(fast, c.record());
        assertEquals(fast.trace(), c.schedule().trace());
        assertTrue(warnings.isEmpty());

        c = ApplyBest.choose(op, inst, DType.F32, here, List.of(fastest, failed), warnings::add);
        assertEquals(ApplyBest.Source.COMPATIBLE_TARGET, c.source());
        assertEquals(fastest, c.record());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("compatible target"), warnings.get(0));

        c = ApplyBest.choose(op, inst, DType.F32, here, List.of(failed, otherWorkload), warnings::add);
        assertEquals(ApplyBest.Source.DEFAULT_SCHEDULE, c.source());
        assertNull(c.record());
        assertTrue(c.message().contains("default schedule"), c.message());
    }

    @Test void implementationChoiceWeighsConv2dAgainstWinogradByTheirBestRecords() {
        Operator conv = Operators.get("conv2d");
        long[] shape = {1, 8, 6, 6, 8, 3, 3, 1, 1};
        Operator f2 = Operators.configured("conv2d_winograd"), f4 = Operators.configured("conv2d_winograd[output_tile=4]");
        Target here = Target.host();
        TuningRecord direct = plain(conv, shape, 5000, 0), winograd2 = plain(f2, shape, 3000, 1),
                winograd4Elsewhere = withTarget(plain(f4, shape, 1000, 2), here, "elsewhere"), winograd4 = plain(f4, shape, 2000, 3);
        List<String> warnings = new ArrayList<>();

        // A record measured here beats a faster one of a compatible target.
        ApplyBest.Implementation i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(direct, winograd2, winograd4Elsewhere), warnings::add);
        assertEquals("conv2d_winograd[output_tile=2]", i.operator().describe());
        assertEquals(winograd2, i.choice().record());
        assertEquals(dev.tessera.lower.Workload.hash(i.instance().outputs()), winograd2.workload().structuralHash());
        assertTrue(i.message().startsWith("conv2d_winograd[output_tile=2] (computes conv2d by another algorithm): using record"), i.message());
        assertTrue(i.message().contains("the others' best: conv2d 0.005 ms, conv2d_winograd[output_tile=4] 0.001 ms (a compatible target's)"), i.message());
        assertTrue(warnings.isEmpty(), warnings.toString());

        i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(direct, winograd2, winograd4), warnings::add);
        assertEquals("conv2d_winograd[output_tile=4]", i.operator().describe());

        // The operator's own record wins when it is the fastest, or the only one; any record beats a default schedule.
        i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(plain(conv, shape, 900, 4), winograd2, winograd4), warnings::add);
        assertEquals(conv, i.operator());
        assertTrue(i.message().startsWith("conv2d: using record"), i.message());
        i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(direct), warnings::add);
        assertEquals(conv, i.operator());
        assertTrue(i.message().endsWith("conv2d_winograd[output_tile=2] no record, conv2d_winograd[output_tile=4] no record"), i.message());

        // No record for any: the operator asked for, under its default schedule.
        i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(), warnings::add);
        assertEquals(conv, i.operator());
        assertEquals(ApplyBest.Source.DEFAULT_SCHEDULE, i.choice().source());

        // A compatible target's record of an alternative, the only one: chosen, with the warning.
        i = ApplyBest.chooseImplementation(conv, shape, DType.F32, here, List.of(winograd4Elsewhere), warnings::add);
        assertEquals(f4.describe(), i.operator().describe());
        assertEquals(1, warnings.size());

        // A stride-2 layer has no alternative: the plain choice, with its plain message.
        long[] strided = {1, 8, 6, 6, 8, 3, 3, 2, 1};
        i = ApplyBest.chooseImplementation(conv, strided, DType.F32, here, List.of(winograd2), warnings::add);
        assertEquals(conv, i.operator());
        assertTrue(i.message().startsWith("no usable tuning record for conv2d"), i.message());
    }

    /** A successful record of {@code op} on {@code shape} measured here, with an empty trace (the naive schedule, which every operator replays). */
    private static TuningRecord plain(Operator op, long[] shape, long medianNs, int trial) {
        TuningRecord r = TuningLogTest.record(dev.tessera.lower.Workload.hash(op.build(shape).outputs()), Target.host().fingerprint(), medianNs, trial);
        return new TuningRecord(r.schemaVersion(), r.workload(), r.target(), List.of(), r.timing(), r.error(), r.provenance(), r.timestamp(), r.tesseraVersion());
    }

    private static TuningRecord withTarget(TuningRecord r, Target like, String cpu) {
        var t = new TuningRecord.TargetInfo(like.kind(), cpu, like.features(), like.vectorBits(), like.cores(), "llvm:" + cpu);
        return new TuningRecord(r.schemaVersion(), r.workload(), t, r.trace(), r.timing(), r.error(), r.provenance(), r.timestamp(), r.tesseraVersion());
    }
}
