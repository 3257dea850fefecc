package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.target.opencl.OpenClRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bench/gpu/compare's Java side: a dry run on the OpenCL device (PoCL in CI) at the quick shapes,
 * without Python, checked through the JSON it writes; the peer script's check of Tessera's outputs
 * failing a row; and the GPU report's wording. No timing is asserted.
 */
class GpuHarnessTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Workload GEMM = new Workload("gemm-4096", "gemm", "matmul", "4096,4096,4096", null, Workload.Bound.COMPUTE, List.of("cublas"));
    static final Workload SOFTMAX = new Workload("softmax-65536", "softmax", "softmax", "65536,1024", null, Workload.Bound.MEMORY, List.of("pytorch"));

    @Test void aQuickRunOnOpenClWritesEveryRowWithItsCheck(@TempDir Path dir) throws Exception {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        // softmax-256 is left out: the automatic GPU schedule of softmax takes seconds a call on PoCL.
        int code = GpuCompare.run("--target", "opencl", "--quick", "--no-peers", "--only", "gemm-256,layernorm-256,caps-route-2",
                "--warmup", "0", "--repeats", "1", "--min-batch-ms", "0", "--out", dir.toString(), "--name", "dry");
        assertEquals(0, code);
        JsonNode report = JSON.readTree(dir.resolve("dry.json").toFile());
        assertEquals("opencl", report.at("/gpu/backend").asText());
        assertTrue(report.at("/limits/copy_gbps").asDouble() > 0, report.at("/limits").toString());
        JsonNode figures = report.get("figures");
        assertEquals(6, figures.size(), figures.toString()); // Tessera and one peer for each of three workloads
        for (int i = 0; i < 6; i += 2) {
            JsonNode t = figures.get(i), peer = figures.get(i + 1);
            assertEquals("tessera", t.get("target").asText());
            assertEquals("ok", t.get("status").asText(), t.toString());
            assertTrue(t.get("max_abs_error").asDouble() < 1e-4, t.toString());
            assertTrue(t.get("checked_points").asInt() > 0, t.toString());
            assertTrue(t.get("median_ms").asDouble() > 0, t.toString());
            assertEquals("not available", peer.get("status").asText());
            assertEquals("peers not run (--no-peers)", peer.get("message").asText());
        }
        assertEquals(List.of("gemm-256", "layernorm-256", "caps-route-2"),
                List.of(figures.get(0).get("workload").asText(), figures.get(2).get("workload").asText(), figures.get(4).get("workload").asText()));
        assertTrue(figures.get(2).has("fraction_of_copy"), figures.get(2).toString());
        String md = Files.readString(dir.resolve("dry.md"));
        assertTrue(md.startsWith("# Tessera against its peers on "), md);
        assertTrue(Files.exists(dir.resolve("dry.svg")));
    }

    static Figure ok(Workload w, double sampledError) {
        return Figure.ok(w.id(), Report.TESSERA, ReportWriterTest.ms(10), sampledError, 1024, 1.37e11, 2e8, "matmul, its GPU schedule");
    }

    @Test void thePeersFloat64CheckOfTesseraFailsAWrongRowAndKeepsARightOne() throws Exception {
        JsonNode right = JSON.readTree("""
                {"status": "ok", "tessera_check": {"max_abs_error": 3e-4, "max_abs_reference": 120.0, "points": 16777216, "reference": "float64 PyTorch on cuda"}}""");
        Figure kept = GpuHarness.withPeerCheck(GEMM, ok(GEMM, 1e-4), right);
        assertTrue(kept.isOk());
        assertEquals(3e-4, kept.maxAbsError());
        assertTrue(kept.note().endsWith("float64 PyTorch on cuda, all 16777216 outputs: max abs error 3.0e-04"), kept.note());

        JsonNode wrong = JSON.readTree("""
                {"status": "ok", "tessera_check": {"max_abs_error": 2.5, "max_abs_reference": 120.0, "points": 16777216, "reference": "float64 PyTorch on cuda"}}""");
        Figure failed = GpuHarness.withPeerCheck(GEMM, ok(GEMM, 1e-4), wrong);
        assertEquals(Figure.Status.FAILED, failed.status());
        assertTrue(failed.message().startsWith("WRONG ANSWER: max abs error 2.5e+00 against float64 PyTorch on cuda, all 16777216 outputs"), failed.message());
        assertTrue(failed.message().endsWith("timed 10.0 ms"), failed.message());

        JsonNode nan = JSON.readTree("""
                {"status": "ok", "tessera_check": {"max_abs_error": "inf", "max_abs_reference": 1.0, "points": 4}}""");
        assertEquals(Figure.Status.FAILED, GpuHarness.withPeerCheck(SOFTMAX, ok(SOFTMAX, 0), nan).status());
        // No check in the answer (the peer did not run): the figure stays as the reference interpreter left it.
        assertEquals(ok(GEMM, 1e-4), GpuHarness.withPeerCheck(GEMM, ok(GEMM, 1e-4), JSON.readTree("{\"status\": \"not available\"}")));
    }

    @Test void aGpuReportNamesTheGpuAndMeasuresMemoryBoundRowsAgainstTheCopy() throws Exception {
        Report.GpuDevice h100 = new Report.GpuDevice("NVIDIA H100 80GB HBM3", "cuda", "sm_90", 132, "580.159.04", "nvcc 13.0");
        Peak copy = new Peak("", Map.of(), 0, 3000, "PyTorch dst.copy_(src) 3000 GB/s (the limit)");
        List<Figure> f = List.of(ok(GEMM, 1e-4),
                Figure.ok(GEMM.id(), "cublas", ReportWriterTest.ms(8), 2e-4, 0, Double.NaN, Double.NaN, "torch.matmul fp32, TF32 off (cuBLAS SGEMM)"),
                Figure.ok(SOFTMAX.id(), Report.TESSERA, ReportWriterTest.ms(0.2), 1e-9, 1024, 1e8, 5.4e8, ""),
                Figure.ok(SOFTMAX.id(), "pytorch", ReportWriterTest.ms(0.25), 1e-9, 0, Double.NaN, Double.NaN, "torch.softmax(dim=1), eager"));
        Report r = new Report(ReportWriterTest.MACHINE, copy, "", 1, new Timing.Protocol(5, 20, 20), Map.of("torch", "2.11.0"),
                List.of(GEMM, SOFTMAX), f, "2026-01-01T00:00:00Z", "abc123", h100);
        String md = ReportWriter.markdown(r, "h100.svg");
        assertTrue(md.startsWith("# Tessera against its peers on NVIDIA H100 80GB HBM3\n"), md);
        assertTrue(md.contains("- **GPU**: NVIDIA H100 80GB HBM3 (cuda, sm_90, 132 SMs), driver 580.159.04, kernels compiled by nvcc 13.0"), md);
        assertTrue(md.contains("device-to-device copy 3000 GB/s"), md);
        assertTrue(md.contains("| gemm-4096 | 4096,4096,4096 | 10.0 (20 %) | 13700 GFLOP/s |  | 1.0e-04 (1024 pts) | 0.8x | |"), md);
        assertTrue(md.contains("| softmax-65536 | 65536,1024 | 0.2 (20 %) | 2700 GB/s | 90 % of copy |"), md);
        JsonNode j = JSON.readTree(ReportWriter.json(r));
        assertEquals("NVIDIA H100 80GB HBM3", j.at("/gpu/name").asText());
        assertEquals(3000.0, j.at("/limits/copy_gbps").asDouble());
        assertEquals(0.9, j.at("/figures/2/fraction_of_copy").asDouble(), 1e-9);
        assertEquals(0.8, j.at("/figures/0/ratios/cublas").asDouble(), 1e-9);
    }
}
