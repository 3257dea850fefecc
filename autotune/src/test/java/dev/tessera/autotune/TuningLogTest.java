package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.schedule.Step;
import dev.tessera.schedule.TailStrategy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TuningLogTest {
    static TuningRecord record(String hash, String fingerprint, long medianNs, int trial) {
        var target = new TuningRecord.TargetInfo("llvm", "znver4", "+avx512f", 512, 2, fingerprint);
        var workload = new TuningWorkload("matmul", List.of(16L, 16L, 16L), "f32", Map.of(), hash, 8192);
        List<Step> trace = List.of(new Step.Split("matmul", "j", 4 + trial, 0, TailStrategy.GUARD), new Step.Vectorize("matmul", "j.inner"));
        return medianNs > 0
                ? new TuningRecord(1, workload, target, trace, new TuningRecord.Timing(medianNs, medianNs - 1, medianNs + 1, 5), null,
                        new TuningRecord.Provenance("random", 7, trial, Map.of()), "2025-01-01T00:00:00Z", "0.1.0-SNAPSHOT")
                : new TuningRecord(1, workload, target, trace, null, new TuningRecord.Failure(TuningRecord.ErrorCode.TIMEOUT, "too slow"),
                        new TuningRecord.Provenance("random", 7, trial, Map.of("tile_rows", 4L)), "2025-01-01T00:00:00Z", "0.1.0-SNAPSHOT");
    }

    @Test void recordsRoundTripThroughTheLog(@TempDir Path dir) {
        Path log = dir.resolve("t.jsonl");
        TuningRecord a = record("h", "fp", 1000, 0), b = record("h", "fp", -1, 1);
        TuningLog.append(log, a);
        TuningLog.append(log, b);
        TuningLog.Contents c = TuningLog.read(log);
        assertEquals(List.of(a, b), c.records());
        assertTrue(c.problems().isEmpty());
        assertEquals(a.key(), c.records().get(0).key());
    }

    @Test void corruptTruncatedAndForeignLinesAreSkippedWithTheirLineNumbers(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("t.jsonl");
        TuningLog.append(log, record("h", "fp", 1000, 0));
        Files.writeString(log, "this is not json\n", StandardOpenOption.APPEND);
        Files.writeString(log, TuningLog.toJson(record("h", "fp", 900, 1)).replace("\"schemaVersion\":1", "\"schemaVersion\":99") + "\n", StandardOpenOption.APPEND);
        String whole = TuningLog.toJson(record("h", "fp", 800, 2));
        Files.writeString(log, whole.substring(0, whole.length() / 2), StandardOpenOption.APPEND); // killed mid-write
        TuningLog.append(log, record("h", "fp", 700, 3)); // the next run appends on a fresh line
        TuningLog.Contents c = TuningLog.read(log);
        assertEquals(List.of(0, 3), c.records().stream().map(r -> r.provenance().trial()).toList());
        assertEquals(List.of(2, 3, 4), c.problems().stream().map(TuningLog.Problem::line).toList(), c.problems().toString());
        assertTrue(c.problems().get(1).message().contains("schema version 99"), c.problems().toString());
    }
}
