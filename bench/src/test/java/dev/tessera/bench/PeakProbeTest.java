package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PeakProbeTest {
    @Test void parsesTheProbeOutput() throws Exception {
        Peak p = PeakProbe.parse("{\"isa\": \"avx512f (zmm, 16 lanes)\", \"accumulators\": 12, \"fma_gflops\": {\"1\": 116.3, \"2\": 231.3},"
                + " \"copy_threads\": 2, \"copy_mib\": 256, \"copy_gbps\": 41.7}\n", "gcc");
        assertEquals("avx512f (zmm, 16 lanes), 12 accumulators", p.isa());
        assertEquals(116.3, p.fmaGflops(1));
        assertEquals(231.3, p.fmaGflops(2));
        assertEquals(Double.NaN, p.fmaGflops(4));
        assertEquals(2, p.copyThreads());
        assertEquals(41.7, p.copyGbps());
    }

    @Test void peerAnswersBecomeFigures() {
        Figure ok = PeerProcess.parseAnswer("gemm-1024", "pytorch", "{\"workload\": \"gemm-1024\", \"peer\": \"pytorch\", \"status\": \"ok\","
                + " \"note\": \"torch.mm(out=)\", \"max_abs_error\": 1.1e-05, \"median_ms\": 12.8, \"p25_ms\": 12.7, \"p75_ms\": 12.9,"
                + " \"min_ms\": 12.6, \"max_ms\": 13.0, \"repeats\": 15, \"calls_per_repeat\": 2}");
        assertEquals(Figure.Status.OK, ok.status());
        assertEquals(12.8, ok.medianMs());
        assertEquals(2, ok.stats().callsPerRepeat());
        assertEquals(1.1e-5, ok.maxAbsError());
        assertEquals("torch.mm(out=)", ok.note());
        Figure failed = PeerProcess.parseAnswer("conv-7", "pytorch", "{\"status\": \"failed\", \"message\": \"RuntimeError: x\"}");
        assertEquals(Figure.Status.FAILED, failed.status());
        assertEquals("RuntimeError: x", failed.message());
        assertEquals(Figure.Status.FAILED, PeerProcess.parseAnswer("a", "halide", "Traceback ...").status());
        Figure nonFinite = PeerProcess.parseAnswer("softmax", "pytorch", "{\"status\": \"ok\", \"max_abs_error\": \"inf\", \"median_ms\": 1,"
                + " \"p25_ms\": 1, \"p75_ms\": 1, \"min_ms\": 1, \"max_ms\": 1, \"repeats\": 1, \"calls_per_repeat\": 1}");
        assertEquals(Double.POSITIVE_INFINITY, nonFinite.maxAbsError());
        Figure missing = PeerProcess.parseAnswer("gemm-1024", "halide", "{\"status\": \"not available\", \"message\": \"Halide is not importable\"}");
        assertEquals(Figure.Status.NOT_AVAILABLE, missing.status());
        assertEquals("Halide is not importable", missing.message());
    }
}
