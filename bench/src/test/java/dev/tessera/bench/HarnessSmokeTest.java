package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java side of bench/compare end to end on tiny shapes, one repetition, no Python and no C compiler. */
class HarnessSmokeTest {
    @Test void tinyRunWritesAReportAndKeepsGoingPastMissingOperators(@TempDir Path dir) throws Exception {
        Path table = dir.resolve("tiny.json");
        Files.writeString(table, """
                {"workloads": [
                  {"id": "gemm-tiny", "kind": "gemm", "operator": "matmul", "shape": "8,24,5", "peers": ["openblas", "pytorch", "halide"]},
                  {"id": "conv-tiny", "kind": "conv", "operator": "conv2d", "shape": "1,3,6,6,4,3,3,1,1", "peers": ["pytorch"]},
                  {"id": "softmax-tiny", "kind": "softmax", "operator": "softmax", "shape": "3,16", "bound": "memory", "peers": ["pytorch"]},
                  {"id": "missing-op", "kind": "layernorm", "operator": "no_such_operator", "shape": "4,8", "bound": "memory", "peers": ["pytorch"]},
                  {"id": "bad-shape", "kind": "gemm", "operator": "matmul", "shape": "8,8"}
                ]}""");
        Path out = dir.resolve("results");
        int code = Compare.run("--workloads", table.toString(), "--no-peers", "--no-peak", "--warmup", "0", "--repeats", "1",
                "--min-batch-ms", "0", "--threads", "2", "--out", out.toString(), "--machine", "smoke");
        assertEquals(0, code);
        for (String ext : new String[] {"md", "json", "svg"}) assertTrue(Files.exists(out.resolve("smoke." + ext)), ext);

        JsonNode figures = new ObjectMapper().readTree(out.resolve("smoke.json").toFile()).get("figures");
        assertEquals(4 + 2 + 2 + 2 + 1, figures.size()); // gemm + 3 peers, conv + 1, softmax + 1, missing + 1, bad shape
        for (int i : new int[] {0, 4, 6}) {
            JsonNode t = figures.get(i);
            assertEquals("tessera", t.get("target").asText());
            assertEquals("ok", t.get("status").asText(), t.toString());
            assertTrue(t.get("max_abs_error").asDouble() < 1e-4, t.toString());
            assertTrue(t.get("checked_points").asInt() > 0, t.toString());
            assertEquals(1, t.get("repeats").asInt());
            assertTrue(t.get("median_ms").asDouble() > 0);
        }
        assertEquals("not available", figures.get(1).get("status").asText());
        assertEquals("peers not run (--no-peers)", figures.get(1).get("message").asText());
        JsonNode missing = figures.get(8);
        assertEquals("missing-op", missing.get("workload").asText());
        assertEquals("not available", missing.get("status").asText());
        assertTrue(missing.get("message").asText().startsWith("unknown operator 'no_such_operator'"), missing.toString());
        JsonNode bad = figures.get(10);
        assertEquals("bad-shape", bad.get("workload").asText());
        assertEquals("failed", bad.get("status").asText());
        assertTrue(bad.get("message").asText().contains("matmul"), bad.toString());

        String md = Files.readString(out.resolve("smoke.md"));
        assertTrue(md.contains("| missing-op | 4,8 | not available: unknown operator 'no_such_operator'"), md);
        assertTrue(md.contains("not measured (--no-peak)"), md);
    }

    /**
     * bench/compare measures what tessera bench would run: the best tuning record of the logs for the
     * workload on this CPU (the note names it), else the default schedule; --schedule default skips
     * the logs.
     */
    @Test void scheduleBestMeasuresTheTuningLogsBestRecordAndSaysWhich(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("mm.jsonl");
        dev.tessera.autotune.TuningTask task = dev.tessera.autotune.TuningTask.operator("matmul", java.util.Map.of(), new long[] {8, 24, 5}, "f32");
        try (dev.tessera.autotune.Measurer m = new dev.tessera.autotune.InProcessMeasurer(new dev.tessera.autotune.Measurer.Options(0, 1, 60_000))) {
            dev.tessera.autotune.Tuner.run(task, log, dev.tessera.autotune.Tuner.Options.of("random", 3, 7), m, null,
                    new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        }
        Path table = dir.resolve("tiny.json");
        Files.writeString(table, """
                {"workloads": [
                  {"id": "gemm-tiny", "kind": "gemm", "operator": "matmul", "shape": "8,24,5"},
                  {"id": "softmax-tiny", "kind": "softmax", "operator": "softmax", "shape": "3,16", "bound": "memory"}
                ]}""");
        String[] common = {"--workloads", table.toString(), "--no-peers", "--no-peak", "--warmup", "0", "--repeats", "1", "--min-batch-ms", "0", "--machine", "smoke"};
        for (String schedule : new String[] {"best", "default"}) {
            Path out = dir.resolve(schedule);
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(common));
            args.addAll(java.util.List.of("--schedule", schedule, "--logs", log.toString(), "--out", out.toString()));
            assertEquals(0, Compare.run(args.toArray(String[]::new)));
            JsonNode figures = new ObjectMapper().readTree(out.resolve("smoke.json").toFile()).get("figures");
            // The tuned matmul may prepack B, which adds a figure: find each workload's Tessera figure by name.
            String gemm = tesseraNote(figures, "gemm-tiny"), softmax = tesseraNote(figures, "softmax-tiny");
            if (schedule.equals("best")) {
                assertTrue(gemm.startsWith("matmul, tuned schedule (random seed 7 trial "), gemm);
                assertTrue(softmax.startsWith("softmax, default schedule (no tuning record)"), softmax);
            } else {
                assertTrue(gemm.startsWith("matmul, default schedule, LLVM JIT"), gemm);
            }
            assertEquals("ok", figures.get(0).get("status").asText());
        }
        assertEquals(2, Compare.run("--no-peers", "--no-peak", "--schedule", "fastest", "--out", dir.resolve("x").toString()));
    }

    private static String tesseraNote(JsonNode figures, String workload) {
        for (JsonNode f : figures)
            if (f.get("workload").asText().equals(workload) && f.get("target").asText().equals("tessera")) return f.get("note").asText();
        throw new AssertionError("no Tessera figure for " + workload + " in " + figures);
    }

    /**
     * A record whose schedule prepacks B gives two Tessera figures: the calls on B packed once (the
     * note says so) and the same kernel packing B in every call, each checked and timed.
     */
    @Test void aPrepackedRecordIsAlsoTimedPackingInEveryCall(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("mm.jsonl");
        dev.tessera.autotune.TuningTask task = dev.tessera.autotune.TuningTask.operator("matmul", java.util.Map.of(), new long[] {8, 24, 5}, "f32");
        try (dev.tessera.autotune.Measurer m = new dev.tessera.autotune.InProcessMeasurer(new dev.tessera.autotune.Measurer.Options(0, 1, 60_000))) {
            dev.tessera.autotune.Tuner.run(task, log, new dev.tessera.autotune.Tuner.Options("random", 2, 7, false, java.util.List.of(), 2, -1, "template",
                    java.util.Map.of("prepack_b", 1L)), m, null, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        }
        Path table = dir.resolve("tiny.json");
        Files.writeString(table, """
                {"workloads": [{"id": "gemm-tiny", "kind": "gemm", "operator": "matmul", "shape": "8,24,5", "peers": ["openblas"]}]}""");
        Path out = dir.resolve("out");
        assertEquals(0, Compare.run("--workloads", table.toString(), "--no-peers", "--no-peak", "--warmup", "0", "--repeats", "2", "--min-batch-ms", "0",
                "--machine", "smoke", "--logs", log.toString(), "--out", out.toString()));
        JsonNode figures = new ObjectMapper().readTree(out.resolve("smoke.json").toFile()).get("figures");
        assertEquals(3, figures.size()); // Tessera, Tessera packing every call, OpenBLAS (not run)
        JsonNode once = figures.get(0), every = figures.get(1);
        assertEquals("tessera", once.get("target").asText());
        assertTrue(once.get("note").asText().contains("B prepacked once ahead of the calls"), once.toString());
        assertEquals("tessera-packing-every-call", every.get("target").asText());
        assertEquals("ok", every.get("status").asText(), every.toString());
        assertEquals(2, every.get("repeats").asInt());
        assertTrue(every.get("median_ms").asDouble() > 0 && every.get("max_abs_error").asDouble() < 1e-4, every.toString());
        assertTrue(Files.readString(out.resolve("smoke.md")).contains("| gemm-tiny | Tessera, packing every call |"));
    }
}
