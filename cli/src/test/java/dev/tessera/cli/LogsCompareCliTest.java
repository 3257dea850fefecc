package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.autotune.TuningLog;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.autotune.TuningWorkload;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TailStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera logs compare}: the table, the JSON and the SVG from one log per strategy and seed. */
class LogsCompareCliTest {
    static Path log(Path dir, String strategy, long seed, long... times) {
        Path log = dir.resolve(strategy + "-" + seed + ".jsonl");
        var target = new TuningRecord.TargetInfo("llvm", "znver4", "+avx512f", 512, 2, "llvm:znver4:1:512:2");
        var workload = new TuningWorkload("matmul", List.of(100L, 100L, 50L), "f32", Map.of(), "hash", 1e6);
        for (int trial = 0; trial < times.length; trial++)
            TuningLog.append(log, new TuningRecord(1, workload, target, List.<Step>of(new Step.Split("matmul", "j", trial + 2, 0, TailStrategy.GUARD)),
                    new TuningRecord.Timing(times[trial], times[trial], times[trial], 3), null, new TuningRecord.Provenance(strategy, seed, trial, Map.of()),
                    "2026-01-01T00:00:00Z", "0.1.0-SNAPSHOT"));
        return log;
    }

    @Test void compareWritesTheTableJsonAndSvg(@TempDir Path dir) throws Exception {
        Path e1 = log(dir, "evolutionary", 1, 2000, 1000), e2 = log(dir, "evolutionary", 2, 1100, 1020),
                r1 = log(dir, "random", 1, 2000, 2000, 2000, 1010), r2 = log(dir, "random", 2, 2000, 2000, 2000, 2000, 2000, 2000);
        Path json = dir.resolve("compare.json"), svg = dir.resolve("compare.svg");
        CliTest.Run r = CliTest.tessera("logs", "compare", e1.toString(), e2.toString(), r1.toString(), r2.toString(), "--json", json.toString(), "--svg", svg.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.strip().replaceAll("\\s+", " ").equals("random 2 6 0 500.0 never (> 6)")), r.out());
        assertTrue(r.out().contains("evolutionary / random (median trials): <= 0.36"), r.out());

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals(95, j.get("percent").asInt());
        assertEquals(1000.0, j.get("bestThroughput").asDouble(), 1e-9);
        assertEquals(List.of(2, 2, 4), j.get("runs").findValues("trialsToReach").stream().filter(JsonNode::isInt).map(JsonNode::asInt).toList());
        assertTrue(j.get("runs").get(3).get("trialsToReach").isNull(), j.toString());
        assertEquals(2.0, j.get("strategies").get(0).get("low").asDouble());
        assertEquals(5.5, j.get("strategies").get(1).get("low").asDouble());
        assertTrue(j.get("strategies").get(1).get("high").isNull());
        assertTrue(Files.readString(svg).contains(">95 % of best</text>"));

        r = CliTest.tessera("logs", "compare", dir.resolve("missing.jsonl").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no tuning log"), r.err());
    }
}
