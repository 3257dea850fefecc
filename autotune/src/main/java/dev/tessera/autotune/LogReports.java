package dev.tessera.autotune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Text and SVG reports over tuning records: a summary, the best record per workload, and a best-so-far curve. */
public final class LogReports {
    private LogReports() {}

    private static String group(TuningRecord r) { return r.workload().structuralHash() + "|" + r.target().fingerprint(); }

    private static Map<String, List<TuningRecord>> byWorkloadAndTarget(List<TuningRecord> records) {
        Map<String, List<TuningRecord>> out = new LinkedHashMap<>();
        for (TuningRecord r : records) out.computeIfAbsent(group(r), k -> new ArrayList<>()).add(r);
        return out;
    }

    /** Per workload and target: record count, errors by code, and per strategy the best and median time. */
    public static String summary(List<TuningRecord> records) {
        StringBuilder sb = new StringBuilder();
        if (records.isEmpty()) return "no records\n";
        for (List<TuningRecord> g : byWorkloadAndTarget(records).values()) {
            TuningRecord first = g.get(0);
            long errors = g.stream().filter(r -> !r.ok()).count();
            sb.append(String.format("%s  (hash %s)%n  target %s (%s)%n  %d records, %d errors%s%n", first.workload().describe(),
                    first.workload().structuralHash().substring(0, Math.min(12, first.workload().structuralHash().length())),
                    first.target().describe(), first.target().fingerprint(), g.size(), errors,
                    errors == 0 ? "" : " " + g.stream().filter(r -> !r.ok()).collect(Collectors.groupingBy(r -> r.error().code(), TreeMap::new, Collectors.counting()))));
            Map<String, List<TuningRecord>> byStrategy = new TreeMap<>();
            for (TuningRecord r : g) byStrategy.computeIfAbsent(r.provenance().strategy(), k -> new ArrayList<>()).add(r);
            for (var e : byStrategy.entrySet()) {
                List<Long> ok = e.getValue().stream().filter(TuningRecord::ok).map(r -> r.timing().medianNs()).sorted().toList();
                sb.append(String.format("  %-13s %4d trials  best %s  median %s%n", e.getKey(), e.getValue().size(),
                        ok.isEmpty() ? "-" : rate(ok.get(0), first.workload().flops()),
                        ok.isEmpty() ? "-" : rate(ok.get(ok.size() / 2), first.workload().flops())));
            }
        }
        return sb.toString();
    }

    private static String rate(long ns, double flops) {
        return flops > 0 ? String.format("%.3f ms (%.2f GFLOP/s)", ns / 1e6, flops / ns) : String.format("%.3f ms", ns / 1e6);
    }

    /** The fastest successful record of each (workload, target), in first-seen order. */
    public static List<TuningRecord> best(List<TuningRecord> records) {
        List<TuningRecord> out = new ArrayList<>();
        for (List<TuningRecord> g : byWorkloadAndTarget(records).values())
            g.stream().filter(TuningRecord::ok).min(Comparator.comparingLong(r -> r.timing().medianNs())).ifPresent(out::add);
        return out;
    }

    /** One line about a best record: workload, time, throughput, where it came from, and its knobs. */
    public static String describeBest(TuningRecord r) {
        return r.workload().describe() + " on " + r.target().cpu() + ": " + rate(r.timing().medianNs(), r.workload().flops()) + ", "
                + ApplyBest.describe(r) + (r.provenance().knobs().isEmpty() ? "" : " knobs " + r.provenance().knobs());
    }

    /** Best-so-far throughput (GFLOP/s, or 1/ms when the workload has no flop count) against trial number, one polyline per strategy, for the first workload and target. */
    public static String plot(List<TuningRecord> records) {
        if (records.isEmpty()) throw new dev.tessera.TesseraUserError("the log has no records to plot");
        List<TuningRecord> g = byWorkloadAndTarget(records).values().iterator().next();
        double flops = g.get(0).workload().flops();
        Map<String, List<double[]>> points = new TreeMap<>();
        Map<String, Double> bestSoFar = new TreeMap<>();
        for (TuningRecord r : g) {
            String key = r.provenance().strategy() + (r.provenance().seed() == 0 ? "" : " seed " + r.provenance().seed());
            List<double[]> line = points.computeIfAbsent(key, k -> new ArrayList<>());
            double b = Math.max(bestSoFar.getOrDefault(key, 0.0), throughput(r, flops));
            bestSoFar.put(key, b);
            line.add(new double[] {line.size() + 1, b});
        }
        List<Curve> curves = new ArrayList<>();
        for (var e : points.entrySet()) curves.add(new Curve(e.getKey(), curves.size(), e.getValue()));
        return bestSoFarSvg(g.get(0).workload().describe() + " on " + g.get(0).target().cpu() + ": best so far", throughputUnit(flops), curves, null);
    }

    /** GFLOP/s of a record, or runs per millisecond when the workload has no flop count; 0 for an error record. */
    static double throughput(TuningRecord r, double flops) {
        return !r.ok() ? 0 : flops > 0 ? flops / r.timing().medianNs() : 1e6 / r.timing().medianNs();
    }

    /** The unit of {@link #throughput}. */
    static String throughputUnit(double flops) { return flops > 0 ? "GFLOP/s" : "runs per ms"; }

    /** One line of a best-so-far plot: its legend label, its colour (lines of one colour share one legend entry), and (trial, best so far) points. */
    record Curve(String label, int color, List<double[]> points) {}

    /** A horizontal reference line across a plot, e.g. a target throughput. */
    record Level(String label, double value) {}

    /** An SVG of best-so-far curves against trials, with an optional dashed {@code level}. */
    static String bestSoFarSvg(String title, String unit, List<Curve> curves, Level level) {
        double maxTrials = Math.max(1, curves.stream().flatMap(c -> c.points().stream()).mapToDouble(p -> p[0]).max().orElse(1));
        double highest = curves.stream().flatMap(c -> c.points().stream()).mapToDouble(p -> p[1]).max().orElse(0);
        if (level != null) highest = Math.max(highest, level.value());
        double maxY = highest > 0 ? highest * 1.05 : 1;
        int w = 640, h = 400, left = 60, right = 170, top = 40, bottom = 50;
        double pw = w - left - right, ph = h - top - bottom;
        String[] colors = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        sb.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        sb.append(String.format("<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", left, esc(title)));
        sb.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top + (int) ph, left + (int) pw, top + (int) ph));
        sb.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top, left, top + (int) ph));
        for (int i = 0; i <= 4; i++) {
            double y = top + ph - ph * i / 4;
            sb.append(String.format("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>%n", left - 5, y + 4, maxY * i / 4));
            sb.append(String.format("<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", left, y, left + pw, y));
            double x = left + pw * i / 4;
            sb.append(String.format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>%n", x, top + ph + 16, Math.round(maxTrials * i / 4.0)));
        }
        sb.append(String.format("<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">trials</text>%n", left + pw / 2, h - 12));
        sb.append(String.format("<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\" text-anchor=\"middle\">best %s</text>%n", top + ph / 2, top + ph / 2, esc(unit)));
        int legend = 0;
        Map<Integer, String> legendOfColor = new LinkedHashMap<>();
        for (Curve curve : curves) {
            String color = colors[curve.color() % colors.length];
            String pts = curve.points().stream().map(p -> String.format("%.1f,%.1f", left + pw * p[0] / maxTrials, top + ph - ph * p[1] / maxY))
                    .collect(Collectors.joining(" "));
            sb.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", color, pts));
            if (legendOfColor.putIfAbsent(curve.color(), curve.label()) != null) continue;
            sb.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>%n", w - right + 15, top + 10 + 18 * legend, w - right + 35, top + 10 + 18 * legend, color));
            sb.append(String.format("<text x=\"%d\" y=\"%d\">%s</text>%n", w - right + 40, top + 14 + 18 * legend, esc(curve.label())));
            legend++;
        }
        if (level != null) {
            double y = top + ph - ph * level.value() / maxY;
            sb.append(String.format("<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"6 4\"/>%n", left, y, left + pw, y));
            sb.append(String.format("<text x=\"%d\" y=\"%.1f\" fill=\"#555\">%s</text>%n", left + 5, y - 4, esc(level.label())));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    private static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"); }
}
