package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A tuning run on one target: proposes candidates with a strategy over the task's search space,
 * drops those that do not lower for the target, measures the rest and appends one record per
 * measurement to the log. With {@code resume}, traces already in the log for this workload and
 * target are not measured again and the run's earlier trials count towards {@code trials}; a
 * warm-start log's records for the workload on targets of the same kind only inform the search.
 */
public final class Tuner {
    /**
     * @param trials     measurements wanted for this (workload, target, strategy, seed), including earlier ones on resume
     * @param batchSize  candidates proposed at a time (the cost model retrains between batches)
     * @param stopAfter  test hook: stop (as if killed) after this many new measurements; negative for never
     */
    /** {@code pinned}: knobs of the template space held at one value while the others are searched. */
    public record Options(String strategy, int trials, long seed, boolean resume, List<Path> warmStart, int batchSize, int stopAfter, String space,
                          java.util.Map<String, Long> pinned) {
        public Options {
            warmStart = List.copyOf(warmStart);
            pinned = java.util.Map.copyOf(pinned);
            if (!List.of("auto", "template", "automatic").contains(space))
                throw new TesseraUserError("unknown search space '" + space + "'; spaces: auto (the template when the operator has knobs), template, automatic");
            if (trials < 1) throw new TesseraUserError("--trials must be at least 1, got " + trials);
            if (batchSize < 1) throw new TesseraUserError("batch size must be at least 1, got " + batchSize);
        }

        public Options(String strategy, int trials, long seed, boolean resume, List<Path> warmStart, int batchSize, int stopAfter) {
            this(strategy, trials, seed, resume, warmStart, batchSize, stopAfter, "auto");
        }

        public Options(String strategy, int trials, long seed, boolean resume, List<Path> warmStart, int batchSize, int stopAfter, String space) {
            this(strategy, trials, seed, resume, warmStart, batchSize, stopAfter, space, java.util.Map.of());
        }

        public static Options of(String strategy, int trials, long seed) { return new Options(strategy, trials, seed, false, List.of(), 8, -1); }

        public Options resuming() { return new Options(strategy, trials, seed, true, warmStart, batchSize, stopAfter, space, pinned); }

        public Options stoppingAfter(int n) { return new Options(strategy, trials, seed, resume, warmStart, batchSize, n, space, pinned); }

        public Options warmStartingFrom(List<Path> logs) { return new Options(strategy, trials, seed, resume, logs, batchSize, stopAfter, space, pinned); }
    }

    /** Called after every measurement. */
    public interface Progress {
        void update(int done, int total, TuningRecord last, TuningRecord best, int errors, int invalid, long elapsedNs, int measuredThisRun);
    }

    /** What a run did: its trial count (earlier ones included), new measurements, errors, invalid candidates skipped, and the best record for the workload. */
    public record Result(int trials, int measured, int errors, int invalid, TuningRecord best, TuningWorkload workload) {}

    private Tuner() {}

    /** A run on the host CPU. */
    public static Result run(TuningTask task, Path log, Options opts, Measurer measurer, Progress progress, PrintStream warnings) {
        return run(task, Target.host(), log, opts, measurer, progress, warnings);
    }

    /**
     * A run on {@code device}: the host CPU, or a GPU present on this machine (the automatic GPU
     * space; template spaces are CPU-only). Candidates that do not lower for the device or exceed
     * its launch limits are skipped as invalid.
     */
    public static Result run(TuningTask task, Target device, Path log, Options opts, Measurer measurer, Progress progress, PrintStream warnings) {
        OperatorInstance inst = task.build();
        TuningWorkload workload = task.workload(inst);
        TuningRecord.TargetInfo target = TuningRecord.TargetInfo.of(device);
        Backend backend = Backend.byName(device.kind());
        SearchSpace space = SearchSpace.forTask(task, inst, opts.space(), device, opts.pinned());
        if (device.isGpu() && SearchSpace.hasTemplate(task) && opts.space().equals("auto"))
            warnings.println("note: " + task.op() + "'s template space is CPU-only; on " + device.kind() + " the automatic GPU space is searched");
        SearchStrategy strategy = SearchStrategy.named(opts.strategy(), space);
        // The automatic space of an operator that has a template is another search: its records say so.
        String strategyName = space instanceof AutomaticSpace && SearchSpace.hasTemplate(task) ? strategy.name() + "/automatic" : strategy.name();
        TuningHistory history = new TuningHistory(inst);

        Set<String> done = new HashSet<>();
        int trial = 0, errors = 0;
        TuningRecord best = null;
        TuningLog.Contents existing = TuningLog.read(log);
        for (TuningLog.Problem p : existing.problems()) warnings.println("warning: " + log + " " + p + " (skipped)");
        for (TuningRecord r : existing.records()) {
            if (!r.workload().structuralHash().equals(workload.structuralHash()) || !r.target().fingerprint().equals(target.fingerprint())) continue;
            history.add(r);
            done.add(r.key());
            if (r.ok() && (best == null || r.timing().medianNs() < best.timing().medianNs())) best = r;
            if (opts.resume() && r.provenance().strategy().equals(strategyName) && r.provenance().seed() == opts.seed()) {
                trial = Math.max(trial, r.provenance().trial() + 1);
                if (!r.ok()) errors++;
            }
        }
        if (!opts.resume()) done.clear();
        // Keys of earlier records not yet proposed again: a resumed random or grid run proposes them first, and that is progress, not an idle batch.
        Set<String> earlier = new HashSet<>(done);
        for (Path w : opts.warmStart())
            for (TuningRecord r : TuningLog.readReporting(w, warnings))
                if (r.workload().structuralHash().equals(workload.structuralHash()) && r.target().kind().equals(target.kind())) history.add(r);

        Random rnd = new Random(opts.seed());
        int invalid = 0, measured = 0, idleBatches = 0;
        long start = System.nanoTime();
        while (trial < opts.trials() && idleBatches < 50) {
            List<Candidate> batch = strategy.propose(Math.min(opts.batchSize(), opts.trials() - trial), history, rnd);
            boolean any = false;
            for (Candidate c : batch) {
                if (trial >= opts.trials()) break;
                String key = TuningRecord.key(workload.structuralHash(), target.fingerprint(), c.trace());
                if (!done.add(key)) { // measured before (resume) or proposed twice
                    if (earlier.remove(key)) any = true;
                    continue;
                }
                if (!lowers(inst, c.trace(), backend, device)) {
                    invalid++;
                    continue;
                }
                any = true;
                Measurer.Outcome o = measurer.measure(task, device, c.trace());
                TuningRecord r = new TuningRecord(TuningRecord.SCHEMA_VERSION, workload, target, c.trace(), o.timing(), o.error(),
                        new TuningRecord.Provenance(strategyName, opts.seed(), trial, c.knobs()), Instant.now().toString(), Version.TESSERA);
                TuningLog.append(log, r);
                history.add(r);
                trial++;
                measured++;
                if (!r.ok()) errors++;
                if (r.ok() && (best == null || r.timing().medianNs() < best.timing().medianNs())) best = r;
                if (progress != null) progress.update(trial, opts.trials(), r, best, errors, invalid, System.nanoTime() - start, measured);
                if (opts.stopAfter() >= 0 && measured >= opts.stopAfter()) return new Result(trial, measured, errors, invalid, best, workload);
            }
            idleBatches = any ? 0 : idleBatches + 1;
            if (batch.isEmpty()) break; // the grid is exhausted
        }
        return new Result(trial, measured, errors, invalid, best, workload);
    }

    /** Whether the trace replays and lowers for the device (on a GPU: within its launch limits); user errors mark an invalid schedule. */
    static boolean lowers(OperatorInstance inst, List<Step> trace, Backend backend, Target device) {
        try {
            backend.validate(Schedule.replay(inst.outputs(), trace), device);
            return true;
        } catch (TesseraUserError e) {
            return false;
        } catch (RuntimeException | StackOverflowError e) {
            return true; // a lowering bug, not an invalid schedule: measure it and record the error
        }
    }
}
