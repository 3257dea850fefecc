package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How fast search strategies get close to the best schedule of one workload, over seeds: for every
 * run (a strategy and a seed) the number of trials after which it first measured a candidate within
 * {@code percent} % of the best throughput that <em>any</em> run found, the median of that over each
 * strategy's seeds, and the ratio of those medians, evolutionary over random.
 *
 * <p>A run's trials are its records' trial numbers (errors cost a trial but never reach the target).
 * A run that never reaches it within its {@code T} trials needs more than {@code T}; a median or
 * ratio that depends on such runs is given as bounds ({@code high} null where it has none), computed
 * by letting those runs need {@code T + 1} trials and, for the other bound, infinitely many.
 *
 * @param percent         the share of the best throughput a run must reach, in percent
 * @param bestThroughput  the best throughput of any run ({@link #unit})
 * @param bestRun         which run measured it, e.g. {@code evolutionary seed 2 trial 17}
 * @param otherWorkloads  workloads (or targets) in the logs that were not compared, described
 * @param problems        what was skipped and why, e.g. a trial number that occurs twice in one run
 */
public record StrategyComparison(String workload, String structuralHash, String target, String targetFingerprint, String unit, int percent, double bestThroughput,
                                 String bestRun, List<Run> runs, List<StrategyMedian> strategies, List<Ratio> ratios,
                                 List<String> otherWorkloads, List<String> problems) {
    public StrategyComparison {
        runs = List.copyOf(runs);
        strategies = List.copyOf(strategies);
        ratios = List.copyOf(ratios);
        otherWorkloads = List.copyOf(otherWorkloads);
        problems = List.copyOf(problems);
    }

    /**
     * One run: its trials and errors, its best throughput (0 when nothing succeeded), the trials it
     * needed to reach the target (null: never), and its best throughput so far after each trial.
     */
    public record Run(String strategy, long seed, int trials, int errors, double bestThroughput, Integer trialsToReach, List<Double> bestSoFar) {
        public Run { bestSoFar = List.copyOf(bestSoFar); }

        /** Trials needed when the run's unknown future is as good as possible (one more trial) or as bad (never). */
        double optimisticTrials() { return trialsToReach != null ? trialsToReach : trials + 1; }

        double pessimisticTrials() { return trialsToReach != null ? trialsToReach : Double.POSITIVE_INFINITY; }
    }

    /**
     * The median over a strategy's runs of the trials to reach the target, exact when {@code low ==
     * high}; {@code high} is null when it is unbounded (too many runs never reached the target).
     */
    public record StrategyMedian(String strategy, int runs, int reached, double low, Double high) {
        boolean exact() { return high != null && high == low; }
    }

    /** {@code numerator}'s median over {@code denominator}'s, within {@code [low, high]} ({@code high} null: unbounded; equal when exact). */
    public record Ratio(String numerator, String denominator, double low, Double high) {}

    /** The comparison of every run of the first workload and target in {@code records}; error records never reach the target. */
    public static StrategyComparison of(List<TuningRecord> records, int percent) {
        if (percent < 1 || percent > 100) throw new TesseraUserError("the target share must be between 1 and 100 percent, got " + percent);
        Map<String, List<TuningRecord>> groups = new LinkedHashMap<>();
        for (TuningRecord r : records) groups.computeIfAbsent(r.workload().structuralHash() + "|" + r.target().fingerprint(), k -> new ArrayList<>()).add(r);
        if (groups.isEmpty()) throw new TesseraUserError("the logs have no records to compare");
        List<List<TuningRecord>> all = new ArrayList<>(groups.values());
        List<TuningRecord> group = all.get(0);
        List<String> others = all.subList(1, all.size()).stream().map(g -> describe(g.get(0)) + " (" + g.size() + " records)").toList();
        TuningRecord first = group.get(0);
        double flops = first.workload().flops();

        List<String> problems = new ArrayList<>();
        Map<String, TreeMap<Integer, TuningRecord>> byRun = new TreeMap<>();
        Map<String, TuningRecord> runIdentity = new LinkedHashMap<>();
        for (TuningRecord r : group) {
            String run = r.provenance().strategy() + " seed " + r.provenance().seed();
            runIdentity.putIfAbsent(run, r);
            TuningRecord earlier = byRun.computeIfAbsent(run, k -> new TreeMap<>()).putIfAbsent(r.provenance().trial(), r);
            if (earlier != null) problems.add(run + " has trial " + r.provenance().trial() + " twice (two runs of one seed in one log without --resume?); the first is kept");
        }
        TuningRecord best = byRun.values().stream().flatMap(run -> run.values().stream()).filter(TuningRecord::ok).min(Comparator.comparingLong(r -> r.timing().medianNs())).orElse(null);
        if (best == null) throw new TesseraUserError("no run of " + describe(first) + " has a successful measurement to compare against");
        long bestNs = best.timing().medianNs();

        List<Run> runs = new ArrayList<>();
        for (var e : byRun.entrySet()) {
            TuningRecord id = runIdentity.get(e.getKey());
            Integer reachedAt = null;
            int errors = 0;
            double runBest = 0;
            List<Double> bestSoFar = new ArrayList<>();
            for (TuningRecord r : e.getValue().values()) {
                while (bestSoFar.size() < r.provenance().trial()) bestSoFar.add(runBest); // a trial missing from the log
                if (r.ok()) {
                    runBest = Math.max(runBest, LogReports.throughput(r, flops));
                    // within percent % of the best throughput: time <= best time * 100 / percent, in exact integer arithmetic
                    if (reachedAt == null && (long) percent * r.timing().medianNs() <= 100L * bestNs) reachedAt = r.provenance().trial() + 1;
                } else {
                    errors++;
                }
                bestSoFar.add(runBest);
            }
            runs.add(new Run(id.provenance().strategy(), id.provenance().seed(), bestSoFar.size(), errors, runBest, reachedAt, bestSoFar));
        }
        runs.sort(Comparator.comparing(Run::strategy).thenComparingLong(Run::seed));

        Map<String, List<Run>> byStrategy = new TreeMap<>();
        for (Run r : runs) byStrategy.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add(r);
        List<StrategyMedian> medians = new ArrayList<>();
        for (var e : byStrategy.entrySet()) {
            List<Run> rs = e.getValue();
            double low = median(rs.stream().mapToDouble(Run::optimisticTrials).toArray());
            double high = median(rs.stream().mapToDouble(Run::pessimisticTrials).toArray());
            medians.add(new StrategyMedian(e.getKey(), rs.size(), (int) rs.stream().filter(r -> r.trialsToReach() != null).count(), low,
                    Double.isInfinite(high) ? null : high));
        }
        return new StrategyComparison(first.workload().describe(), first.workload().structuralHash(), first.target().describe(), first.target().fingerprint(),
                LogReports.throughputUnit(flops), percent, LogReports.throughput(best, flops),
                best.provenance().strategy() + " seed " + best.provenance().seed() + " trial " + best.provenance().trial(), runs, medians,
                ratios(medians), others, problems);
    }

    /** Evolutionary over random, for each pair of strategies that differ only in that word (e.g. {@code evolutionary/automatic} over {@code random/automatic}). */
    private static List<Ratio> ratios(List<StrategyMedian> medians) {
        Map<String, StrategyMedian> byName = new TreeMap<>();
        for (StrategyMedian m : medians) byName.put(m.strategy(), m);
        List<Ratio> out = new ArrayList<>();
        for (StrategyMedian evolutionary : medians) {
            if (!evolutionary.strategy().startsWith("evolutionary")) continue;
            StrategyMedian random = byName.get("random" + evolutionary.strategy().substring("evolutionary".length()));
            if (random == null) continue;
            double low = random.high() == null ? 0 : evolutionary.low() / random.high();
            Double high = evolutionary.high() == null ? null : evolutionary.high() / random.low();
            out.add(new Ratio(evolutionary.strategy(), random.strategy(), low, high));
        }
        return out;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        java.util.Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static String describe(TuningRecord r) { return r.workload().describe() + " on " + r.target().describe(); }

    /** The comparison as a table: one line per run, one per strategy, and the ratios. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%s on %s%n", workload, target));
        sb.append(String.format("best %.4g %s (%s); target %d %% of it: %.4g %s%n", bestThroughput, unit, bestRun, percent, bestThroughput * percent / 100, unit));
        sb.append(String.format("%n%-24s %5s %7s %7s %12s  %s%n", "strategy", "seed", "trials", "errors", "best", "reaches " + percent + " % at trial"));
        for (Run r : runs)
            sb.append(String.format("%-24s %5d %7d %7d %12.4g  %s%n", r.strategy(), r.seed(), r.trials(), r.errors(), r.bestThroughput(),
                    r.trialsToReach() == null ? "never (> " + r.trials() + ")" : String.valueOf(r.trialsToReach())));
        sb.append(String.format("%n%-24s %5s %8s  %s%n", "strategy", "runs", "reached", "median trials to reach"));
        for (StrategyMedian m : strategies)
            sb.append(String.format("%-24s %5d %8d  %s%n", m.strategy(), m.runs(), m.reached(), range(m.low(), m.high(), "%.1f")));
        for (Ratio q : ratios)
            sb.append(String.format("%n%s / %s (median trials): %s%n", q.numerator(), q.denominator(), range(q.low(), q.high(), "%.2f")));
        for (String o : otherWorkloads) sb.append("not compared (another workload or target): ").append(o).append('\n');
        for (String p : problems) sb.append("warning: ").append(p).append('\n');
        return sb.toString();
    }

    /** {@code x} when exact, {@code >= low} when unbounded above, {@code <= high} when the low end is 0, else {@code low..high}. */
    private static String range(double low, Double high, String format) {
        if (high == null && low == 0) return "unknown (neither median is bounded: too many runs never got there; more trials?)";
        if (high == null) return ">= " + String.format(format, low);
        if (high == low) return String.format(format, low);
        if (low == 0) return "<= " + String.format(format, high);
        return String.format(format, low) + ".." + String.format(format, high);
    }

    /** Best-so-far throughput against trials, one line per run coloured by strategy, with the target as a dashed line. */
    public String svg() {
        List<String> strategyNames = strategies.stream().map(StrategyMedian::strategy).toList();
        List<LogReports.Curve> curves = new ArrayList<>();
        for (Run run : runs) {
            List<double[]> points = new ArrayList<>();
            for (int t = 0; t < run.bestSoFar().size(); t++) points.add(new double[] {t + 1, run.bestSoFar().get(t)});
            curves.add(new LogReports.Curve(run.strategy(), strategyNames.indexOf(run.strategy()), points));
        }
        return LogReports.bestSoFarSvg(workload + ": best so far, " + runs.size() + " runs", unit, curves,
                new LogReports.Level(percent + " % of best", bestThroughput * percent / 100));
    }
}
