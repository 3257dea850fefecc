package dev.tessera.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link Report} as a Markdown table, a JSON document of every figure, and an SVG chart of
 * the {@code tessera / peer} ratios, each naming the machine it came from.
 */
public final class ReportWriter {
    private static final Map<String, String> PEER_NAMES = Map.of(
            "openblas", "OpenBLAS (NumPy)", "cublas", "cuBLAS", "pytorch", "PyTorch", "halide", "Halide", Report.TESSERA, "Tessera",
            Report.TESSERA_PACKING_EVERY_CALL, "Tessera, packing every call");
    private static final Map<String, String> PEER_COLOURS = Map.of("openblas", "#4e79a7", "cublas", "#76b900", "pytorch", "#e15759", "halide", "#59a14f");

    private ReportWriter() {}

    /** Writes {@code name.md}, {@code name.json} and {@code name.svg} into {@code dir}; returns the three paths. */
    public static List<Path> write(Report r, Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path md = dir.resolve(name + ".md"), json = dir.resolve(name + ".json"), svg = dir.resolve(name + ".svg");
        Files.writeString(md, markdown(r, svg.getFileName().toString()));
        Files.writeString(json, json(r));
        Files.writeString(svg, svg(r));
        return List.of(md, json, svg);
    }

    /** The display name of a target. */
    public static String displayName(String target) { return PEER_NAMES.getOrDefault(target, target); }

    // ------------------------------------------------------------------ Markdown

    /** The Markdown report; {@code chartFile} (may be null) is linked as the chart. */
    public static String markdown(Report r, String chartFile) {
        StringBuilder b = new StringBuilder();
        Timing.Protocol p = r.protocol();
        String minBatch = BigDecimal.valueOf(p.minBatchMs()).stripTrailingZeros().toPlainString();
        if (r.gpu() != null) {
            b.append("# Tessera against its peers on ").append(r.gpu().name()).append("\n\n");
            b.append("- **GPU**: ").append(r.gpu().describe()).append('\n');
            b.append("- **Host**: ").append(r.machine().describe()).append('\n');
            b.append("- **Limits measured in this run**: ").append(limits(r)).append('\n');
            b.append(String.format(Locale.ROOT, "- **Protocol**: %d warm-up call%s, then %d timed repetition%s of a batch of calls lasting at least"
                            + " %s ms of device time, timed with the device's events on buffers resident on the device; the median time per call;"
                            + " spread = interquartile range / median. Tessera: each operator's GPU schedule (`applyGpuSchedule`); its outputs"
                            + " checked against the reference interpreter (sampled) and, with the peers, against a float64 PyTorch computation from"
                            + " the same inputs; peers: PyTorch eager on the same device, fp32 matmul with TF32 off (cuBLAS).\n",
                    p.warmup(), plural(p.warmup()), p.repeats(), plural(p.repeats()), minBatch));
        } else {
            b.append("# Tessera against its peers: ").append(r.machine().title()).append("\n\n");
            b.append("- **Machine**: ").append(r.machine().describe()).append('\n');
            b.append("- **Limits measured in this run**: ").append(limits(r)).append('\n');
            b.append(String.format(Locale.ROOT, "- **Protocol**: %d thread%s for every target; %d warm-up call%s, then %d timed repetition%s"
                            + " of a batch of calls lasting at least %s ms%s; the median time per call; spread = interquartile range / median."
                            + " Tessera: in-process through FFM (the schedule each row names), checked against the reference interpreter;"
                            + " peers: checked against an independent float64 NumPy computation.\n",
                    r.threads(), plural(r.threads()), p.warmup(), plural(p.warmup()), p.repeats(), plural(p.repeats()), minBatch,
                    p.rounds() > 1 ? String.format(Locale.ROOT, ", in %d interleaved rounds (each: Tessera's share of the repetitions after its"
                            + " own warm-up, then each peer's; the rounds pooled)", p.rounds()) : ""));
        }
        if (!r.versions().isEmpty()) b.append("- **Peers**: ").append(versions(r)).append('\n');
        b.append("- **Run**: ").append(r.date()).append(r.commit().isEmpty() ? "" : ", commit " + r.commit()).append("\n\n");
        b.append("Ratios are `tessera / peer` speed ratios (the peer's median time over Tessera's): above 1, Tessera is faster.");
        if (r.figures().stream().anyMatch(f -> f.target().equals(Report.TESSERA_PACKING_EVERY_CALL)))
            b.append(" Where Tessera's schedule prepacks a weight, its figure times calls on a copy packed once ahead of them, and the"
                    + " ratio in brackets is that of the same kernel packing in every call (the row \"Tessera, packing every call\"),"
                    + " as the peers' calls lay out their weights in every call.");
        b.append("\n\n");

        b.append("## Summary\n\n");
        List<String> peers = r.peers();
        b.append("| workload | shape | Tessera median ms (spread) | rate | of limit | max abs error |");
        for (String peer : peers) b.append(" vs ").append(displayName(peer)).append(" |");
        b.append("\n|---|---|---:|---:|---:|---:|");
        b.append("---:|".repeat(peers.size())).append('\n');
        for (Workload w : r.workloads()) {
            Figure t = r.figure(w, Report.TESSERA);
            b.append("| ").append(w.id()).append(" | ").append(cell(w.label())).append(" | ");
            if (t == null) b.append("not run | | | |");
            else if (!t.isOk()) b.append(t.status().text()).append(": ").append(cell(t.message())).append(" | | | |");
            else b.append(ms(t)).append(" | ").append(rate(r, t)).append(" | ").append(limit(r, t)).append(" | ").append(error(t)).append(" |");
            for (String peer : peers) {
                if (!w.peers().contains(peer)) b.append(" |");
                else b.append(' ').append(ratioCell(r, w, peer)).append(" |");
            }
            b.append('\n');
        }

        b.append("\n## Every figure\n\n");
        b.append("| workload | target | median ms | spread | min-max ms | calls per repetition | rate | of limit | max abs error | what ran |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Workload w : r.workloads()) {
            List<String> targets = new ArrayList<>();
            targets.add(Report.TESSERA);
            targets.add(Report.TESSERA_PACKING_EVERY_CALL);
            targets.addAll(w.peers());
            for (String target : targets) {
                Figure f = r.figure(w, target);
                if (f == null) continue;
                b.append("| ").append(w.id()).append(" | ").append(displayName(target)).append(" | ");
                if (!f.isOk()) {
                    b.append(f.status().text()).append(" | | | | | | | ").append(cell(f.message())).append(" |\n");
                    continue;
                }
                Timing.Stats s = f.stats();
                b.append(num(s.medianMs())).append(" | ").append(percent(s.spread())).append(" | ")
                        .append(num(s.minMs())).append("-").append(num(s.maxMs())).append(" | ").append(s.callsPerRepeat()).append(" | ")
                        .append(rate(r, f)).append(" | ").append(limit(r, f)).append(" | ").append(error(f)).append(" | ")
                        .append(cell(f.note())).append(" |\n");
            }
        }
        if (chartFile != null) b.append("\n![tessera / peer speed ratios](").append(chartFile).append(")\n");
        return b.toString();
    }

    private static String limits(Report r) {
        if (r.peak() == null) return "not measured (" + r.peakError() + "); fractions of peak are omitted";
        Peak p = r.peak();
        if (r.gpu() != null)
            return String.format(Locale.ROOT, "device-to-device copy %s GB/s (bytes read + written; %s); memory-bound kernels are reported as a fraction of it",
                    num(p.copyGbps()), p.how());
        StringBuilder s = new StringBuilder("FP32 FMA peak ");
        List<String> parts = new ArrayList<>();
        p.fmaGflops().forEach((t, g) -> parts.add(String.format(Locale.ROOT, "%s GFLOP/s on %d thread%s", num(g), t, t == 1 ? "" : "s")));
        s.append(String.join(", ", parts));
        s.append(String.format(Locale.ROOT, " (%s; %s); stream copy %s GB/s on %d threads (bytes read + written)",
                p.isa(), p.how(), num(p.copyGbps()), p.copyThreads()));
        return s.toString();
    }

    private static String versions(Report r) {
        List<String> parts = new ArrayList<>();
        r.versions().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> parts.add(e.getKey() + " " + e.getValue()));
        return cell(String.join("; ", parts));
    }

    private static String ms(Figure f) {
        return num(f.stats().medianMs()) + " (" + percent(f.stats().spread()) + ")";
    }

    private static String rate(Report r, Figure f) {
        Workload w = r.workloadOf(f);
        double v = w.bound() == Workload.Bound.MEMORY ? r.gbps(f) : r.gflops(f);
        if (Double.isNaN(v)) return "";
        return num(v) + (w.bound() == Workload.Bound.MEMORY ? " GB/s" : " GFLOP/s");
    }

    private static String limit(Report r, Figure f) {
        double peak = r.fractionOfPeak(f), stream = r.fractionOfStream(f);
        if (!Double.isNaN(peak)) return percent(peak) + " of FMA peak";
        if (!Double.isNaN(stream)) return percent(stream) + (r.gpu() != null ? " of copy" : " of stream");
        return "";
    }

    private static String error(Figure f) {
        String e = sci(f.maxAbsError());
        return f.checkedPoints() > 0 ? e + " (" + f.checkedPoints() + " pts)" : e;
    }

    private static String ratioCell(Report r, Workload w, String peer) {
        double ratio = r.ratio(w, peer);
        double packingEveryCall = r.ratio(w, peer, Report.TESSERA_PACKING_EVERY_CALL);
        if (!Double.isNaN(ratio) && !Double.isNaN(packingEveryCall)) return ratio(ratio) + " (" + ratio(packingEveryCall) + " packing every call)";
        if (!Double.isNaN(ratio)) return ratio(ratio);
        Figure p = r.figure(w, peer);
        return p == null || p.isOk() ? "n/a" : "n/a (" + displayName(peer) + " " + p.status().text() + ")";
    }

    // ------------------------------------------------------------------ JSON

    /** Every figure with its derived values, the machine, its limits, the protocol and the versions, as JSON. */
    public static String json(Report r) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        ObjectNode machine = root.putObject("machine");
        Machine mc = r.machine();
        machine.put("name", mc.slug());
        machine.put("cpu_model", mc.cpuModel());
        machine.put("cores", mc.cores());
        machine.put("logical_cpus", mc.logicalCpus());
        put(machine, "memory_gib", mc.memoryGiB());
        machine.put("gpu", mc.gpu());
        machine.put("os", mc.os());
        machine.put("java", mc.java());
        machine.put("llvm_host_cpu", mc.llvmCpu());
        machine.put("vector_bits", mc.vectorBits());
        if (r.gpu() != null) {
            ObjectNode gpu = root.putObject("gpu");
            Report.GpuDevice g = r.gpu();
            gpu.put("name", g.name());
            gpu.put("backend", g.backend());
            gpu.put("arch", g.arch());
            gpu.put("compute_units", g.computeUnits());
            gpu.put("driver", g.driver());
            gpu.put("compiler", g.compiler());
        }
        ObjectNode limits = root.putObject("limits");
        if (r.peak() == null) {
            limits.putNull("fma_gflops");
            limits.put("error", r.peakError());
        } else {
            ObjectNode fma = limits.putObject("fma_gflops");
            r.peak().fmaGflops().forEach((t, g) -> put(fma, Integer.toString(t), g));
            limits.put("fma_isa", r.peak().isa());
            limits.put("probe", r.peak().how());
            if (r.gpu() != null) {
                put(limits, "copy_gbps", r.peak().copyGbps());
            } else {
                put(limits, "stream_copy_gbps", r.peak().copyGbps());
                limits.put("stream_copy_threads", r.peak().copyThreads());
            }
        }
        ObjectNode protocol = root.putObject("protocol");
        protocol.put("threads", r.threads());
        protocol.put("warmup", r.protocol().warmup());
        protocol.put("repeats", r.protocol().repeats());
        put(protocol, "min_batch_ms", r.protocol().minBatchMs());
        protocol.put("ratio", "tessera / peer = peer median time / tessera median time; > 1 means Tessera is faster");
        protocol.put("spread", "(p75 - p25) / median of the per-call times of the repetitions");
        ObjectNode versions = root.putObject("versions");
        r.versions().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> versions.put(e.getKey(), e.getValue()));
        root.put("date", r.date());
        root.put("commit", r.commit());
        ArrayNode figures = root.putArray("figures");
        for (Workload w : r.workloads()) {
            List<String> targets = new ArrayList<>();
            targets.add(Report.TESSERA);
            targets.add(Report.TESSERA_PACKING_EVERY_CALL);
            targets.addAll(w.peers());
            for (String target : targets) {
                Figure f = r.figure(w, target);
                if (f == null) continue;
                ObjectNode o = figures.addObject();
                o.put("workload", w.id());
                o.put("kind", w.kind());
                o.put("operator", w.operator());
                o.put("shape", w.shape());
                o.put("label", w.label());
                o.put("bound", w.bound().name().toLowerCase(Locale.ROOT));
                o.put("target", target);
                o.put("status", f.status().text());
                if (!f.message().isEmpty()) o.put("message", f.message());
                if (f.isOk()) {
                    Timing.Stats s = f.stats();
                    put(o, "median_ms", s.medianMs());
                    put(o, "p25_ms", s.p25Ms());
                    put(o, "p75_ms", s.p75Ms());
                    put(o, "min_ms", s.minMs());
                    put(o, "max_ms", s.maxMs());
                    put(o, "spread", s.spread());
                    o.put("repeats", s.repeats());
                    o.put("calls_per_repeat", s.callsPerRepeat());
                    put(o, "gflops", r.gflops(f));
                    put(o, "gbps", r.gbps(f));
                    put(o, "fraction_of_peak", r.fractionOfPeak(f));
                    put(o, r.gpu() != null ? "fraction_of_copy" : "fraction_of_stream", r.fractionOfStream(f));
                    put(o, "max_abs_error", f.maxAbsError());
                    if (f.checkedPoints() > 0) o.put("checked_points", f.checkedPoints());
                }
                if (!f.note().isEmpty()) o.put("note", f.note());
                if (target.equals(Report.TESSERA) || target.equals(Report.TESSERA_PACKING_EVERY_CALL)) {
                    ObjectNode ratios = o.putObject("ratios");
                    for (String peer : w.peers()) put(ratios, peer, r.ratio(w, peer, target));
                }
            }
        }
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Non-finite numbers are not JSON: they become null. */
    private static void put(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }

    // ------------------------------------------------------------------ SVG

    /**
     * A horizontal bar chart of the ratios on a log2 axis: one group of bars per workload with peers,
     * one bar per peer from 1 to the ratio (right of the 1 line: Tessera faster), labelled with its value.
     */
    public static String svg(Report r) {
        List<Workload> rows = r.workloads().stream().filter(w -> !w.peers().isEmpty()).toList();
        List<String> peers = r.peers();
        double lo = 0.5, hi = 2;
        for (Workload w : rows)
            for (String p : w.peers()) {
                double ratio = r.ratio(w, p);
                if (Double.isFinite(ratio) && ratio > 0) {
                    lo = Math.min(lo, ratio);
                    hi = Math.max(hi, ratio);
                }
            }
        int loExp = (int) Math.max(-12, Math.floor(Math.log(lo) / Math.log(2)));
        int hiExp = (int) Math.min(12, Math.ceil(Math.log(hi) / Math.log(2)));
        final double left = 230, plotWidth = 560, barH = 14, barGap = 3, groupGap = 16, top = 78;
        double height = top + 40;
        for (Workload w : rows) height += w.peers().size() * (barH + barGap) + groupGap;
        double width = left + plotWidth + 90;
        double x0 = left, scale = plotWidth / (hiExp - loExp);
        java.util.function.DoubleUnaryOperator x = v -> x0 + (Math.log(v) / Math.log(2) - loExp) * scale;

        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", width, height));
        s.append("<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Tessera / peer speed ratio (&gt; 1: Tessera faster)</text>\n");
        String subtitle = r.gpu() != null
                ? r.gpu().name() + " (" + r.gpu().backend() + ", " + r.gpu().arch() + "); device events; median of " + r.protocol().repeats() + " repetitions; " + r.date()
                : r.machine().title() + ", GPU: " + r.machine().gpu() + "; " + r.threads() + " threads; median of " + r.protocol().repeats() + " repetitions; " + r.date();
        s.append("<text x=\"10\" y=\"38\" fill=\"#444\">").append(xml(subtitle)).append("</text>\n");
        double lx = 10;
        for (String p : peers) {
            s.append(String.format(Locale.ROOT, "<rect x=\"%.0f\" y=\"48\" width=\"12\" height=\"12\" fill=\"%s\"/>", lx, PEER_COLOURS.get(p)));
            s.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"58\">%s</text>\n", lx + 16, xml(displayName(p))));
            lx += 30 + 7 * displayName(p).length();
        }
        double plotBottom = height - 30;
        int labelEvery = Math.max(1, (int) Math.ceil((hiExp - loExp) / 8.0));
        for (int e = loExp; e <= hiExp; e++) {
            double px = x.applyAsDouble(Math.pow(2, e));
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"%s\"/>\n",
                    px, top - 6, px, plotBottom, e == 0 ? "#000" : "#ddd", e == 0 ? "1.5" : "1"));
            if (e % labelEvery == 0)
                s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#444\">%s</text>\n",
                        px, plotBottom + 16, e >= 0 ? Long.toString(1L << e) : "1/" + (1L << -e)));
        }
        double y = top;
        for (Workload w : rows) {
            double groupH = w.peers().size() * (barH + barGap) - barGap;
            s.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    left - 10, y + groupH / 2 - 2, xml(w.id())));
            s.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\" fill=\"#666\">%s</text>\n",
                    left - 10, y + groupH / 2 + 10, xml(w.label())));
            for (String p : w.peers()) {
                double ratio = r.ratio(w, p);
                if (Double.isFinite(ratio) && ratio > 0) {
                    double clamped = Math.min(Math.max(ratio, Math.pow(2, loExp)), Math.pow(2, hiExp));
                    double a = x.applyAsDouble(1), bx = x.applyAsDouble(clamped);
                    s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" fill=\"%s\"><title>%s</title></rect>\n",
                            Math.min(a, bx), y, Math.max(Math.abs(bx - a), 1), barH, PEER_COLOURS.get(p), xml(w.id() + " vs " + displayName(p) + ": " + ratio(ratio))));
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n", Math.max(a, bx) + 4, y + barH - 3, xml(ratio(ratio))));
                } else {
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"#888\">%s: n/a (%s)</text>\n",
                            x.applyAsDouble(1) + 4, y + barH - 3, xml(displayName(p)), xml(missingWhy(r, w, p))));
                }
                y += barH + barGap;
            }
            y += groupGap;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    /** Why a ratio is missing: which side did not run. */
    private static String missingWhy(Report r, Workload w, String peer) {
        Figure t = r.figure(w, Report.TESSERA), p = r.figure(w, peer);
        if (t == null || !t.isOk()) return "Tessera " + (t == null ? "not run" : t.status().text());
        return displayName(peer) + " " + (p == null ? "not run" : p.status().text());
    }

    // ------------------------------------------------------------------ formatting

    /** Three significant digits, no exponent for ordinary magnitudes. */
    static String num(double v) {
        if (!Double.isFinite(v)) return "n/a";
        double a = Math.abs(v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        if (a >= 0.001 || a == 0) return String.format(Locale.ROOT, "%.3g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static String plural(int n) { return n == 1 ? "" : "s"; }

    static String ratio(double v) { return num(v) + "x"; }

    static String percent(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f %%", 100 * v) : "n/a"; }

    static String sci(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Double.isInfinite(v)) return "inf (non-finite output)";
        return v == 0 ? "0" : String.format(Locale.ROOT, "%.1e", v);
    }

    private static String cell(String s) { return s.replace("|", "\\|").replace("\n", " "); }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
