package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.ops.Operators;
import dev.tessera.target.llvm.ParallelRuntime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The measuring side of the comparison: for each workload, Tessera's kernel in-process (its best
 * tuning record for this CPU, else the default schedule; the {@link Timing} protocol, checked against the reference interpreter)
 * and each of its peers through the {@link PeerProcess}, in interleaved rounds so that all see the same machine state.
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
            for (Figure f : sideBySide(w, o, peers)) {
                figures.add(f);
                progress.accept(line(w, f));
            }
        }
        return figures;
    }

    /**
     * Tessera's figure and each peer's for one workload, measured in the protocol's rounds:
     * each round times Tessera, then every peer, with its share of the repetitions (and its own
     * warm-up), and each figure pools its rounds' repetitions. When the machine's speed drifts (a
     * shared machine's neighbours, its memory bandwidth), every target sees the slow and the fast
     * periods alike instead of one target getting all of one.
     */
    static List<Figure> sideBySide(Workload w, Options o, PeerProcess peers) {
        List<String> peerNames = peers == null ? List.of() : w.peers();
        Map<String, Figure> failed = new LinkedHashMap<>();
        Map<String, List<Timing.Sample>> samples = new LinkedHashMap<>();
        Map<String, Figure> lastAnswer = new LinkedHashMap<>();
        PreparedKernel kernel = null;
        try {
            kernel = prepare(w, o, failed);
            Timing.Protocol round = o.protocol().round();
            for (int r = 0; r < o.protocol().rounds(); r++) {
                if (kernel != null) {
                    try {
                        samples.computeIfAbsent(Report.TESSERA, x -> new ArrayList<>()).add(Timing.sample(kernel::call, round));
                        if (kernel.prepacks())
                            samples.computeIfAbsent(Report.TESSERA_PACKING_EVERY_CALL, x -> new ArrayList<>()).add(Timing.sample(kernel::callPackingEveryCall, round));
                    } catch (Throwable e) {
                        failed.put(Report.TESSERA, Figure.failed(w.id(), Report.TESSERA, e.getClass().getSimpleName() + ": " + e.getMessage()));
                        kernel.close();
                        kernel = null;
                    }
                }
                for (String peer : peerNames) {
                    if (failed.containsKey(peer)) continue;
                    PeerProcess.Answer a = peers.ask(w, peer, round, JSON.createObjectNode());
                    if (!a.figure().isOk()) {
                        failed.put(peer, a.figure());
                        continue;
                    }
                    lastAnswer.put(peer, a.figure());
                    samples.computeIfAbsent(peer, x -> new ArrayList<>()).add(new Timing.Sample(times(a), a.figure().stats().callsPerRepeat()));
                }
            }
            List<Figure> out = new ArrayList<>();
            out.add(failed.containsKey(Report.TESSERA) ? failed.get(Report.TESSERA) : tesseraFigure(w, o, kernel, Timing.Stats.pooled(samples.get(Report.TESSERA))));
            if (!failed.containsKey(Report.TESSERA) && samples.containsKey(Report.TESSERA_PACKING_EVERY_CALL))
                out.add(packingEveryCallFigure(out.get(0), Timing.Stats.pooled(samples.get(Report.TESSERA_PACKING_EVERY_CALL))));
            for (String peer : w.peers()) {
                if (peers == null) out.add(Figure.notAvailable(w.id(), peer, "peers not run (--no-peers)"));
                else if (failed.containsKey(peer)) out.add(failed.get(peer));
                else out.add(lastAnswer.get(peer).withStats(Timing.Stats.pooled(samples.get(peer))));
            }
            return out;
        } finally {
            if (kernel != null) kernel.close();
        }
    }

    /** The prepared kernel, or null with the reason recorded in {@code failed}. */
    private static PreparedKernel prepare(Workload w, Options o, Map<String, Figure> failed) {
        try {
            Operators.configured(w.operator());
        } catch (TesseraUserError e) {
            failed.put(Report.TESSERA, Figure.notAvailable(w.id(), Report.TESSERA, e.getMessage()));
            return null;
        }
        PreparedKernel k = null;
        try {
            k = PreparedKernel.prepare(w.operator(), w.shape(), o.tuningRecords(), w.alternatives(), System.err::println);
            // In-process: the warm-up lasts until the JIT compilers stop taking a core from the kernel.
            Timing.awaitQuietJit(k::call);
            if (k.prepacks()) Timing.awaitQuietJit(k::callPackingEveryCall); // its own Java path, warmed as well
            return k;
        } catch (Throwable e) {
            // An unsupported shape, a backend error, even running out of memory: record it and go on.
            if (k != null) k.close();
            failed.put(Report.TESSERA, Figure.failed(w.id(), Report.TESSERA, e.getClass().getSimpleName() + ": " + e.getMessage()));
            return null;
        }
    }

    private static Figure tesseraFigure(Workload w, Options o, PreparedKernel k, Timing.Stats stats) {
        try {
            PreparedKernel.Check check = k.check(o.checkPoints(), o.checkBudgetMs());
            String note = String.format(Locale.ROOT, "%s, %s, LLVM JIT%s; %s check of %d points",
                    w.operator(), k.schedule(), k.compileMs() > 0 ? String.format(Locale.ROOT, " (compiled in %.0f ms)", k.compileMs()) : "",
                    check.complete() ? "reference" : "reference (stopped at the time budget)", check.checkedPoints());
            return Figure.ok(w.id(), Report.TESSERA, stats, check.maxAbsError(), check.checkedPoints(), k.flops(), k.bytes(), note);
        } catch (Throwable e) {
            return Figure.failed(w.id(), Report.TESSERA, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The figure of the same kernel packing its weights in every call; its check is the prepacked figure's (same kernel, same outputs). */
    private static Figure packingEveryCallFigure(Figure prepacked, Timing.Stats stats) {
        if (!prepacked.isOk()) return Figure.failed(prepacked.workload(), Report.TESSERA_PACKING_EVERY_CALL, prepacked.message());
        return Figure.ok(prepacked.workload(), Report.TESSERA_PACKING_EVERY_CALL, stats, prepacked.maxAbsError(), prepacked.checkedPoints(),
                prepacked.flops(), prepacked.bytes(), "the same kernel called whole: it packs its constant inputs in every call, as the peers' calls lay out theirs");
    }

    /** A peer answer's per-repetition times. */
    private static double[] times(PeerProcess.Answer a) {
        JsonNode t = a.json().path("times_ms");
        if (!t.isArray() || t.isEmpty()) return new double[] {a.figure().stats().medianMs()};
        double[] out = new double[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = t.get(i).asDouble();
        return out;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String line(Workload w, Figure f) {
        String head = String.format(Locale.ROOT, "%-18s %-9s ", w.id(), f.target());
        if (!f.isOk()) return head + f.status().text() + ": " + f.message();
        return head + String.format(Locale.ROOT, "median %s ms (spread %s, %d x %d calls), max abs error %s",
                ReportWriter.num(f.medianMs()), ReportWriter.percent(f.stats().spread()), f.stats().repeats(), f.stats().callsPerRepeat(),
                ReportWriter.sci(f.maxAbsError()));
    }
}
