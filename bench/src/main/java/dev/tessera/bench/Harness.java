package dev.tessera.bench;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.ops.Operators;
import dev.tessera.target.llvm.ParallelRuntime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The measuring side of the comparison: for each workload, Tessera's kernel in-process (its best
 * tuning record for this CPU, else the default schedule; the {@link Timing} protocol, checked against the reference interpreter), then each of
 * its peers through the {@link PeerProcess}, side by side so that both see the same machine state.
 * A workload whose operator is not registered is "not available"; any other failure is recorded as
 * "failed" with its message. Nothing a workload does stops the run.
 */
public final class Harness {
    /**
     * How to measure.
     *
     * @param checkPoints   output points compared with the reference (all of a smaller output)
     * @param checkBudgetMs how long the reference check of one workload may take before it stops early
     * @param tuningRecords the records whose best for each workload on this CPU is measured (as
     *                      {@code tessera bench} does); null: the default schedules
     */
    public record Options(Timing.Protocol protocol, int threads, int checkPoints, double checkBudgetMs, List<TuningRecord> tuningRecords) {
        public Options(Timing.Protocol protocol, int threads, int checkPoints, double checkBudgetMs) {
            this(protocol, threads, checkPoints, checkBudgetMs, null);
        }

        public Options {
            tuningRecords = tuningRecords == null ? null : List.copyOf(tuningRecords);
            if (threads < 1) throw new TesseraUserError("--threads must be at least 1, got " + threads);
            if (checkPoints < 1) throw new TesseraUserError("--check-points must be at least 1, got " + checkPoints);
        }
    }

    private Harness() {}

    /** Measures every workload on Tessera and, when {@code peers} is not null, on its peers. */
    public static List<Figure> run(List<Workload> workloads, Options o, PeerProcess peers, Consumer<String> progress) {
        ParallelRuntime.setThreads(o.threads());
        List<Figure> figures = new ArrayList<>();
        for (Workload w : workloads) {
            Figure t = tessera(w, o);
            figures.add(t);
            progress.accept(line(w, t));
            for (String peer : w.peers()) {
                Figure f = peers == null ? Figure.notAvailable(w.id(), peer, "peers not run (--no-peers)") : peers.run(w, peer, o.protocol());
                figures.add(f);
                progress.accept(line(w, f));
            }
        }
        return figures;
    }

    /** Tessera's figure for one workload. */
    public static Figure tessera(Workload w, Options o) {
        try {
            Operators.get(w.operator());
        } catch (TesseraUserError e) {
            return Figure.notAvailable(w.id(), Report.TESSERA, e.getMessage());
        }
        try (PreparedKernel k = PreparedKernel.prepare(w.operator(), w.shape(), o.tuningRecords(), System.err::println)) {
            // In-process: the warm-up lasts until the JIT compilers stop taking a core from the kernel.
            Timing.awaitQuietJit(k::call);
            Timing.Stats stats = Timing.measure(k::call, o.protocol());
            PreparedKernel.Check check = k.check(o.checkPoints(), o.checkBudgetMs());
            String note = String.format(Locale.ROOT, "%s, %s, LLVM JIT%s; %s check of %d points",
                    w.operator(), k.schedule(), k.compileMs() > 0 ? String.format(Locale.ROOT, " (compiled in %.0f ms)", k.compileMs()) : "",
                    check.complete() ? "reference" : "reference (stopped at the time budget)", check.checkedPoints());
            return Figure.ok(w.id(), Report.TESSERA, stats, check.maxAbsError(), check.checkedPoints(), k.flops(), k.bytes(), note);
        } catch (Throwable e) {
            // An unsupported shape, a backend error, even running out of memory: record it and go on.
            return Figure.failed(w.id(), Report.TESSERA, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static String line(Workload w, Figure f) {
        String head = String.format(Locale.ROOT, "%-18s %-9s ", w.id(), f.target());
        if (!f.isOk()) return head + f.status().text() + ": " + f.message();
        return head + String.format(Locale.ROOT, "median %s ms (spread %s, %d x %d calls), max abs error %s",
                ReportWriter.num(f.medianMs()), ReportWriter.percent(f.stats().spread()), f.stats().repeats(), f.stats().callsPerRepeat(),
                ReportWriter.sci(f.maxAbsError()));
    }
}
