package dev.tessera.autotune;

import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The measurements a search can learn from: this run's, those already in the log, and any warm-start log's. */
public final class TuningHistory {
    /** A measured candidate. */
    public record Entry(Candidate candidate, TuningRecord record) {}

    private final OperatorInstance inst;
    private final List<Entry> entries = new ArrayList<>();
    private final Set<String> traces = new HashSet<>();

    TuningHistory(OperatorInstance inst) { this.inst = inst; }

    public List<Entry> entries() { return List.copyOf(entries); }

    void add(TuningRecord r) {
        entries.add(new Entry(new Candidate(r.trace(), r.provenance().knobs()), r));
        traces.add(TraceJson.write(r.trace()));
    }

    /** Whether this trace was measured already (in any source). */
    boolean measured(List<Step> trace) { return traces.contains(TraceJson.write(trace)); }

    /** The schedule a trace builds, or null when it does not replay. */
    Schedule replayOrNull(List<Step> trace) {
        try {
            return Schedule.replay(inst.outputs(), trace);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A cost model over the space's features, trained on every entry it can describe (failures
     * score below the slowest success); null with fewer than {@code minRows} such entries.
     */
    CostModel trainModel(SearchSpace space, int minRows) {
        double worst = entries.stream().filter(e -> e.record().ok()).mapToDouble(e -> score(e.record())).min().orElse(0);
        List<double[]> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (Entry e : entries) {
            Schedule s = replayOrNull(e.candidate().trace());
            double[] f = s == null ? null : space.features(s, e.candidate());
            if (f == null) continue;
            x.add(f);
            y.add(e.record().ok() ? score(e.record()) : worst - 1);
        }
        return x.size() < minRows ? null : CostModel.train(x, y);
    }

    private static double score(TuningRecord r) { return -Math.log(r.timing().medianNs()); }
}
