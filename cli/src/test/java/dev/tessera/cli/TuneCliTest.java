package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: tessera tune, then tessera logs summary / best / plot on its log. */
class TuneCliTest {
    @Test void tuneWritesALogThatLogsCommandsRead(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("mm.jsonl");
        CliTest.Run r = CliTest.tessera("tune", "matmul", "--shape", "16,16,16", "--trials", "3", "--log", log.toString(),
                "--strategy", "random", "--seed", "4", "--repeats", "3", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("3/3 trials"), r.err());
        assertTrue(r.out().contains("3 trials (3 measured now"), r.out());
        assertEquals(3, Files.readAllLines(log).size());

        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,16", "--trials", "4", "--log", log.toString(),
                "--strategy", "random", "--seed", "4", "--resume", "--repeats", "3", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("4 trials (1 measured now"), r.out());

        r = CliTest.tessera("logs", "summary", log.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("matmul 16x16x16 f32"), r.out());
        assertTrue(r.out().contains("4 records"), r.out());
        assertTrue(r.out().contains("random"), r.out());

        Path trace = dir.resolve("best.json");
        r = CliTest.tessera("logs", "best", log.toString(), "-o", trace.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("GFLOP/s"), r.out());
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,16", "--schedule", trace.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());

        // bench applies the best record of the logs by default, and says which; other shapes fall back to the default schedule.
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,16", "--logs", log.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: using record random seed 4 trial "), r.err());
        assertTrue(r.err().contains("measured on this target"), r.err());
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,8", "--logs", dir.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: no usable tuning record for matmul on this or a compatible target; using the default schedule"), r.err());
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,8", "--logs", dir.resolve("none").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no such file or folder"), r.err());

        // The automatic space ignores the template; its records say which search made them.
        Path auto = dir.resolve("auto.jsonl");
        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,16", "--trials", "2", "--log", auto.toString(),
                "--strategy", "random", "--space", "automatic", "--repeats", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        assertEquals(2, Files.readAllLines(auto).size());
        assertTrue(Files.readString(auto).contains("\"strategy\":\"random/automatic\""), Files.readString(auto));

        Path svg = dir.resolve("curve.svg");
        r = CliTest.tessera("logs", "plot", log.toString(), "-o", svg.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.readString(svg).contains("<polyline"));
    }

    @Test void tuneOnOpenClThenBenchAppliesTheLogOnlyThere(@TempDir Path dir) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.tessera.target.opencl.OpenClRuntime.unavailableReason().isEmpty(),
                () -> "no OpenCL device: " + dev.tessera.target.opencl.OpenClRuntime.unavailableReason().orElse(""));
        Path log = dir.resolve("gpu.jsonl");
        CliTest.Run r = CliTest.tessera("tune", "matmul", "--shape", "16,16,8", "--target", "opencl", "--trials", "2", "--log", log.toString(),
                "--strategy", "random", "--seed", "4", "--repeats", "2", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("(opencl OpenCL C ") && r.err().contains("with random search in the automatic GPU space"), r.err());
        assertTrue(r.err().contains("note: matmul's template space is CPU-only; on opencl the automatic GPU space is searched"), r.err());
        assertTrue(r.out().contains("2 trials (2 measured now, 0 errors"), r.out());
        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,8", "--target", "opencl", "--trials", "3", "--log", log.toString(),
                "--strategy", "random", "--seed", "4", "--resume", "--repeats", "2", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("3 trials (1 measured now"), r.out());
        String records = Files.readString(log);
        assertEquals(3, Files.readAllLines(log).size());
        assertTrue(records.contains("\"kind\":\"opencl\"") && records.contains("\"gpu\":{\"arch\":\"OpenCL C "), records);

        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,8", "--target", "opencl", "--schedule", "best", "--logs", log.toString(),
                "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: using record random seed 4 trial ") && r.err().contains("measured on this target"), r.err());
        assertTrue(r.out().contains("(opencl, device time), schedule best"), r.out());

        // A CPU log for the same workload is not applied to the GPU, nor the GPU log to the CPU.
        Path cpu = dir.resolve("cpu.jsonl");
        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,8", "--trials", "1", "--log", cpu.toString(), "--strategy", "random", "--repeats", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,8", "--target", "opencl", "--logs", cpu.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: no usable tuning record for matmul on this or a compatible target; using the default GPU schedule"), r.err());
        r = CliTest.tessera("bench", "matmul", "--shape", "16,16,8", "--logs", log.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: no usable tuning record for matmul on this or a compatible target; using the default schedule"), r.err());

        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,8", "--target", "opencl", "--space", "template", "--trials", "1", "--log", dir.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("template spaces are CPU-only"), r.err());
        r = CliTest.tessera("tune", "matmul", "--target", "tpu", "--trials", "1", "--log", dir.resolve("x").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown target 'tpu'; available targets: cpu (llvm), cuda, opencl"), r.err());
    }

    @Test void benchRunsAnAlternativeImplementationWhenOnlyItHasRecordsAndChecksItAgainstTheOperatorAsked(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("winograd.jsonl");
        CliTest.Run r = CliTest.tessera("tune", "conv2d_winograd", "--attr", "output_tile=4", "--shape", "1,8,6,6,8,3,3,1,1", "--trials", "2",
                "--log", log.toString(), "--strategy", "random", "--seed", "3", "--repeats", "2", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());

        // conv2d has no record; F(4x4, 3x3) of the same layer has: bench conv2d runs it, and says so.
        r = CliTest.tessera("bench", "conv2d", "--shape", "1,8,6,6,8,3,3,1,1", "--logs", log.toString(), "--json", "--repeats", "2", "--warmup", "1", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: conv2d_winograd[output_tile=4] (computes conv2d by another algorithm): using record random seed 3 trial "), r.err());
        assertTrue(r.err().contains("the others' best: conv2d no record, conv2d_winograd[output_tile=2] no record"), r.err());
        var j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().trim());
        assertEquals("conv2d", j.get("operator").asText());
        assertEquals("conv2d_winograd[output_tile=4]", j.get("implementation").asText());
        assertEquals(8 * 6 * 6, j.get("checked_points").asInt(), "every output point, against conv2d's own definition");
        assertTrue(j.get("max_abs_error").asDouble() < 1e-4, r.out());

        r = CliTest.tessera("bench", "conv2d", "--shape", "1,8,6,6,8,3,3,1,1", "--logs", log.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("implementation: conv2d_winograd[output_tile=4], checked against conv2d's definition"), r.out());
        // Asked for by name, an operator with attributes is no alternative to itself.
        r = CliTest.tessera("bench", "conv2d_winograd", "--attr", "output_tile=4", "--shape", "1,8,6,6,8,3,3,1,1", "--logs", log.toString(),
                "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: using record random seed 3 trial "), r.err());
        assertTrue(!r.out().contains("implementation:"), r.out());

        // --no-alternatives keeps conv2d, here under its default schedule; other shapes have no alternative to weigh.
        r = CliTest.tessera("bench", "conv2d", "--shape", "1,8,6,6,8,3,3,1,1", "--logs", log.toString(), "--no-alternatives", "--json", "--repeats", "1",
                "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: no usable tuning record for conv2d on this or a compatible target; using the default schedule"), r.err());
        assertEquals("conv2d", new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().trim()).get("implementation").asText());
        r = CliTest.tessera("bench", "conv2d", "--shape", "1,8,6,6,8,3,3,2,1", "--logs", log.toString(), "--repeats", "1", "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("schedule: no usable tuning record for conv2d on this or a compatible target; using the default schedule"), r.err());
    }

    @Test void tuneWithAlternativesTunesEachImplementationIntoOneLogAndSaysWhichBenchRuns(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("conv.jsonl");
        CliTest.Run r = CliTest.tessera("tune", "conv2d", "--shape", "1,8,6,6,8,3,3,1,1", "--alternatives", "--trials", "1", "--log", log.toString(),
                "--strategy", "random", "--repeats", "1", "--warmup", "0");
        assertEquals(0, r.exit(), r.err());
        for (String implementation : List.of("conv2d", "conv2d_winograd[output_tile=2]", "conv2d_winograd[output_tile=4]"))
            assertTrue(r.out().contains(implementation + ": 1 trials (1 measured now"), r.out());
        // Which one wins is a matter of timing; that bench names one of them, with the others' best, is not.
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("bench conv2d will run conv2d")), r.out());
        assertTrue(r.out().contains("the others' best: "), r.out());
        var workloads = dev.tessera.autotune.TuningLog.read(log).records().stream().map(x -> x.workload().op() + x.workload().attrs()).toList();
        assertEquals(List.of("conv2d{}", "conv2d_winograd{output_tile=2}", "conv2d_winograd{output_tile=4}"), workloads);

        r = CliTest.tessera("tune", "conv2d", "--shape", "1,8,6,6,8,3,3,1,1", "--alternatives", "--knob", "layout=1", "--trials", "1", "--log", log.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("cannot be combined with --alternatives"), r.err());
    }

    @Test void badInputIsAUserError(@TempDir Path dir) {
        CliTest.Run r = CliTest.tessera("tune", "matmul", "--shape", "16,16,16", "--trials", "2", "--log", dir.resolve("x").toString(), "--strategy", "annealing");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown strategy 'annealing'; strategies: random, grid, evolutionary"), r.err());
        r = CliTest.tessera("tune", "matmul", "--shape", "16,16,16", "--trials", "2", "--log", dir.resolve("x").toString(), "--space", "everything");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown search space 'everything'; spaces: auto (the template when the operator has knobs), template, automatic"), r.err());
        r = CliTest.tessera("logs", "summary", dir.resolve("missing.jsonl").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("does not exist"), r.err());
    }
}
