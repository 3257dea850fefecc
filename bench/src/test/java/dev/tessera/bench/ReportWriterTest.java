package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The report from a fixed set of figures: every derived number is checkable by hand. */
class ReportWriterTest {
    static final Machine MACHINE = new Machine("Test CPU (family 1, model 2)", 2, 4, 8, "none", "Linux 6", "JVM 25", "znver4", 512);
    static final Peak PEAK = new Peak("avx512f (zmm, 16 lanes), 12 accumulators", Map.of(1, 100.0, 2, 200.0), 2, 40, "gcc -O2 -march=native");

    static final Workload GEMM = new Workload("gemm", "gemm", "matmul", "1024,1024,1024", "1024x1024x1024", Workload.Bound.COMPUTE,
            List.of("openblas", "pytorch", "halide"));
    static final Workload SOFTMAX = new Workload("softmax", "softmax", "softmax", "4096,1024", null, Workload.Bound.MEMORY, List.of("pytorch"));
    static final Workload LAYERNORM = new Workload("layernorm", "layernorm", "layernorm", "4096,1024", null, Workload.Bound.MEMORY, List.of("pytorch"));
    static final Workload CAPS = new Workload("caps", "caps-route", "capsule_routing", "128,1152,10,8,16,3", "B=128", Workload.Bound.COMPUTE, List.of("pytorch"));

    static Timing.Stats ms(double median) { return new Timing.Stats(median, median * 0.9, median * 1.1, median * 0.8, median * 1.5, 15, 1); }

    static Report report(Peak peak) {
        List<Figure> f = new ArrayList<>();
        f.add(Figure.ok("gemm", "tessera", ms(10), 2e-5, 1024, 2e9, 12e6, "matmul, default schedule"));
        f.add(Figure.ok("gemm", "openblas", ms(8), 1e-5, 0, Double.NaN, Double.NaN, "numpy.matmul"));
        f.add(Figure.ok("gemm", "pytorch", ms(20), 1e-5, 0, Double.NaN, Double.NaN, "torch.mm"));
        f.add(Figure.ok("gemm", "halide", ms(40), 3e-5, 0, Double.NaN, Double.NaN, "matrix_multiplication.cpp schedule"));
        f.add(Figure.ok("softmax", "tessera", ms(1), 1e-9, 1024, 1e7, 32e6, ""));
        f.add(Figure.ok("softmax", "pytorch", ms(2), 1e-9, 0, Double.NaN, Double.NaN, "torch.softmax"));
        f.add(Figure.notAvailable("layernorm", "tessera", "unknown operator 'layernorm'"));
        f.add(Figure.ok("layernorm", "pytorch", ms(3), 4e-7, 0, Double.NaN, Double.NaN, "F.layer_norm"));
        f.add(Figure.ok("caps", "tessera", ms(5), 1e-6, 64, 1e9, 1e8, ""));
        f.add(Figure.failed("caps", "pytorch", "RuntimeError: boom | bang"));
        return new Report(MACHINE, peak, peak == null ? "gcc not found" : "", 2, new Timing.Protocol(3, 15, 20),
                Map.of("torch", "1.13.1", "openblas", "OpenBLAS 0.3.21"), List.of(GEMM, SOFTMAX, LAYERNORM, CAPS), f, "2025-01-01T00:00:00Z", "abc123");
    }

    @Test void derivedFiguresFollowTheConventions() {
        Report r = report(PEAK);
        assertEquals(0.8, r.ratio(GEMM, "openblas"), 1e-12);     // peer time / tessera time
        assertEquals(4.0, r.ratio(GEMM, "halide"), 1e-12);
        Figure t = r.figure(GEMM, "tessera");
        assertEquals(200, r.gflops(t), 1e-9);
        assertEquals(1.0, r.fractionOfPeak(t), 1e-12);         // 2 threads: 200 GFLOP/s peak
        assertTrue(Double.isNaN(r.fractionOfStream(t)));
        Figure s = r.figure(SOFTMAX, "tessera");
        assertEquals(32, r.gbps(s), 1e-9);
        assertEquals(0.8, r.fractionOfStream(s), 1e-12);
        assertEquals(0.4, r.fractionOfStream(r.figure(SOFTMAX, "pytorch")), 1e-12); // the peer is measured against Tessera's byte count
        assertTrue(Double.isNaN(r.ratio(LAYERNORM, "pytorch")));
        assertTrue(Double.isNaN(r.gbps(r.figure(LAYERNORM, "pytorch"))));
        assertEquals(List.of("openblas", "pytorch", "halide"), r.peers());
    }

    @Test void aPrepackedKernelHasASecondFigurePackingEveryCallWithItsOwnRatios() throws Exception {
        Workload conv = new Workload("conv", "conv", "conv2d", "1,256,14,14,256,3,3,1,1", "14x14", Workload.Bound.COMPUTE, List.of("pytorch"));
        List<Figure> f = List.of(
                Figure.ok("conv", Report.TESSERA, ms(1.0), 1e-5, 1024, 2e9, Double.NaN, "conv2d, tuned schedule, weight prepacked once ahead of the calls"),
                Figure.ok("conv", Report.TESSERA_PACKING_EVERY_CALL, ms(1.25), 1e-5, 1024, 2e9, Double.NaN, "the same kernel called whole"),
                Figure.ok("conv", "pytorch", ms(1.1), 1e-5, 0, Double.NaN, Double.NaN, "torch.nn.functional.conv2d"));
        Report r = new Report(MACHINE, PEAK, "", 2, new Timing.Protocol(3, 15, 20), Map.of(), List.of(conv), f, "2025-01-01T00:00:00Z", "abc123");
        assertEquals(1.1, r.ratio(conv, "pytorch"), 1e-12);
        assertEquals(0.88, r.ratio(conv, "pytorch", Report.TESSERA_PACKING_EVERY_CALL), 1e-12);
        String md = ReportWriter.markdown(r, null);
        assertTrue(md.contains("| 1.10x (0.88x packing every call) |"), md);
        assertTrue(md.contains("| conv | Tessera, packing every call | 1.25 |"), md);
        assertTrue(md.contains("the ratio in brackets is that of the same kernel packing in every call"), md);
        JsonNode figures = new ObjectMapper().readTree(ReportWriter.json(r)).get("figures");
        assertEquals(Report.TESSERA_PACKING_EVERY_CALL, figures.get(1).get("target").asText());
        assertEquals(0.88, figures.get(1).get("ratios").get("pytorch").asDouble(), 1e-12);
        // Without a prepacked kernel, the summary's ratios stay plain.
        assertFalse(ReportWriter.markdown(report(PEAK), null).contains("packing every call"));
    }

    @Test void markdownNamesTheMachineAndHasOneRowPerWorkload() {
        String md = ReportWriter.markdown(report(PEAK), "m.svg");
        assertTrue(md.startsWith("# Tessera against its peers: Test CPU (family 1, model 2), 2 cores (4 logical CPUs)\n"), md);
        assertTrue(md.contains("GPU: none"), md);
        assertTrue(md.contains("FP32 FMA peak 100 GFLOP/s on 1 thread, 200 GFLOP/s on 2 threads"), md);
        assertTrue(md.contains("stream copy 40.0 GB/s on 2 threads"), md);
        assertTrue(md.contains("2 threads for every target; 3 warm-up calls, then 15 timed repetitions of a batch of calls lasting at least 20 ms"), md);
        assertTrue(md.contains("| workload | shape | Tessera median ms (spread) | rate | of limit | max abs error | vs OpenBLAS (NumPy) | vs PyTorch | vs Halide |"), md);
        assertTrue(md.contains("| gemm | 1024x1024x1024 | 10.0 (20 %) | 200 GFLOP/s | 100 % of FMA peak | 2.0e-05 (1024 pts) | 0.8x | 2.00x | 4.00x |"), md);
        assertTrue(md.contains("| softmax | 4096,1024 | 1.00 (20 %) | 32.0 GB/s | 80 % of stream | 1.0e-09 (1024 pts) | | 2.00x | |"), md);
        assertTrue(md.contains("| layernorm | 4096,1024 | not available: unknown operator 'layernorm' | | | | | n/a | |"), md);
        assertTrue(md.contains("| caps | B=128 | 5.00 (20 %) | 200 GFLOP/s | 100 % of FMA peak | 1.0e-06 (64 pts) | | n/a (PyTorch failed) | |"), md);
        assertTrue(md.contains("| caps | PyTorch | failed | | | | | | | RuntimeError: boom \\| bang |"), md);
        assertTrue(md.contains("| gemm | Halide | 40.0 | 20 % | 32.0-60.0 | 1 | 50.0 GFLOP/s | 25 % of FMA peak | 3.0e-05 | matrix_multiplication.cpp schedule |"), md);
        assertTrue(md.contains("![tessera / peer speed ratios](m.svg)"), md);
    }

    @Test void jsonHoldsEveryFigureWithRatiosFractionsAndErrors() throws Exception {
        JsonNode j = new ObjectMapper().readTree(ReportWriter.json(report(PEAK)));
        assertEquals("Test CPU (family 1, model 2)", j.at("/machine/cpu_model").asText());
        assertEquals("test-cpu-2-cores", j.at("/machine/name").asText());
        assertEquals(2, j.at("/machine/cores").asInt());
        assertEquals(4, j.at("/machine/logical_cpus").asInt());
        assertEquals("none", j.at("/machine/gpu").asText());
        assertEquals(200.0, j.at("/limits/fma_gflops/2").asDouble());
        assertEquals(40.0, j.at("/limits/stream_copy_gbps").asDouble());
        assertEquals(2, j.at("/protocol/threads").asInt());
        JsonNode figures = j.get("figures");
        assertEquals(10, figures.size());
        JsonNode gemm = figures.get(0);
        assertEquals("gemm", gemm.get("workload").asText());
        assertEquals("tessera", gemm.get("target").asText());
        assertEquals("1024,1024,1024", gemm.get("shape").asText());
        assertEquals(10.0, gemm.get("median_ms").asDouble());
        assertEquals(0.2, gemm.get("spread").asDouble(), 1e-12);
        assertEquals(1.0, gemm.get("fraction_of_peak").asDouble(), 1e-12);
        assertTrue(gemm.get("fraction_of_stream").isNull());
        assertEquals(2e-5, gemm.get("max_abs_error").asDouble());
        assertEquals(0.8, gemm.at("/ratios/openblas").asDouble(), 1e-12);
        assertEquals(2.0, gemm.at("/ratios/pytorch").asDouble(), 1e-12);
        assertEquals(4.0, gemm.at("/ratios/halide").asDouble(), 1e-12);
        JsonNode halide = figures.get(3);
        assertEquals("halide", halide.get("target").asText());
        assertEquals(0.25, halide.get("fraction_of_peak").asDouble(), 1e-12);
        assertFalse(halide.has("ratios"));
        JsonNode layernorm = figures.get(6);
        assertEquals("not available", layernorm.get("status").asText());
        assertEquals("unknown operator 'layernorm'", layernorm.get("message").asText());
        assertFalse(layernorm.has("median_ms"));
        assertTrue(layernorm.at("/ratios/pytorch").isNull());
        assertTrue(figures.get(7).get("gbps").isNull());
        assertEquals("failed", figures.get(9).get("status").asText());
    }

    @Test void withoutMeasuredLimitsTheReportSaysWhyAndOmitsFractions() throws Exception {
        Report r = report(null);
        assertTrue(ReportWriter.markdown(r, null).contains("not measured (gcc not found); fractions of peak are omitted"));
        JsonNode j = new ObjectMapper().readTree(ReportWriter.json(r));
        assertEquals("gcc not found", j.at("/limits/error").asText());
        assertTrue(j.get("figures").get(0).get("fraction_of_peak").isNull());
    }

    @Test void svgIsWellFormedWithOneBarPerMeasuredRatio() throws Exception {
        String svg = ReportWriter.svg(report(PEAK));
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", d.getDocumentElement().getTagName());
        NodeList titles = d.getElementsByTagName("title");
        List<String> bars = new ArrayList<>();
        for (int i = 0; i < titles.getLength(); i++) bars.add(titles.item(i).getTextContent());
        assertEquals(List.of("gemm vs OpenBLAS (NumPy): 0.8x", "gemm vs PyTorch: 2.00x", "gemm vs Halide: 4.00x", "softmax vs PyTorch: 2.00x"), bars);
        assertTrue(svg.contains(">PyTorch: n/a (Tessera not available)</text>"), svg); // layernorm
        assertTrue(svg.contains(">PyTorch: n/a (PyTorch failed)</text>"), svg);        // caps
        assertTrue(svg.contains("Test CPU (family 1, model 2), 2 cores (4 logical CPUs), GPU: none"), svg);
        assertTrue(svg.contains(">1/2</text>") && svg.contains(">4</text>"), svg); // log2 axis from 1/2 to 4
    }

    @Test void writesTheThreeFiles(@TempDir Path dir) throws Exception {
        List<Path> files = ReportWriter.write(report(PEAK), dir.resolve("results"), "test-machine");
        assertEquals(List.of("test-machine.md", "test-machine.json", "test-machine.svg"), files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path p : files) assertTrue(Files.size(p) > 100, p.toString());
    }
}
