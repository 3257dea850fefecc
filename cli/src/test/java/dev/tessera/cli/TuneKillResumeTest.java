package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.autotune.TuningLog;
import dev.tessera.autotune.TuningRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code tessera tune} process killed with SIGKILL at a random point (seeded) after some
 * records were written, then resumed with {@code --resume}: the log ends with the records written
 * before the kill, unchanged, plus the rest, the same trials as an uninterrupted run of the same
 * seed, and no candidate measured twice.
 */
class TuneKillResumeTest {
    static final int TRIALS = 10;
    static final List<String> TUNE = List.of("tune", "matmul", "--shape", "16,16,16", "--space", "automatic", "--strategy", "random",
            "--seed", "3", "--trials", String.valueOf(TRIALS), "--repeats", "1", "--warmup", "0", "--batch", "4");

    @Test void aKilledRunResumesToTheRecordsOfAnUninterruptedOne(@TempDir Path dir) throws Exception {
        Random rnd = new Random(20251125);
        Path whole = dir.resolve("whole.jsonl"), killed = dir.resolve("killed.jsonl");
        CliTest.Run r = CliTest.tessera(args(whole));
        assertEquals(0, r.exit(), r.err());

        int killAfter = 1 + rnd.nextInt(TRIALS - 4); // records on disk before the kill: 1 .. TRIALS-4
        Process p = new ProcessBuilder(command(killed)).redirectErrorStream(true).redirectOutput(dir.resolve("killed.out").toFile()).start();
        java.util.Set<ProcessHandle> workers = new java.util.LinkedHashSet<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (completeLines(killed).size() < killAfter) {
            assertTrue(p.isAlive(), () -> "the tuning process ended before " + killAfter + " records: " + read(dir.resolve("killed.out")));
            assertTrue(System.nanoTime() < deadline, "no " + killAfter + " records within 60 s");
            p.descendants().forEach(workers::add);
            Thread.sleep(5);
        }
        Thread.sleep(rnd.nextInt(150)); // somewhere in the next candidate: compiling, measuring or writing
        p.descendants().forEach(workers::add);
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        // The measurement worker sees its input close and exits by itself.
        assertTrue(!workers.isEmpty(), "the tuner measures in a worker process");
        for (ProcessHandle w : workers) {
            w.onExit().get(20, TimeUnit.SECONDS);
            assertTrue(!w.isAlive(), "worker " + w.pid() + " outlived the killed tuner");
        }

        List<String> before = completeLines(killed);
        assertTrue(before.size() >= killAfter && before.size() < TRIALS, before.size() + " records before the kill");
        String bytes = Files.readString(killed, StandardCharsets.UTF_8);
        if (bytes.endsWith("\n")) {
            // The kill did not land in a write this time; cut a line as one that did would, so the reader's handling is checked every run.
            String next = Files.readAllLines(whole).get(before.size());
            Files.writeString(killed, next.substring(0, next.length() / 2), StandardOpenOption.APPEND);
        }

        r = CliTest.tessera(resumed(killed));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("line " + (before.size() + 1) + ": not JSON (truncated?)") && r.err().contains("(skipped)"), r.err());
        assertTrue(r.out().contains(TRIALS + " trials (" + (TRIALS - before.size()) + " measured now"), r.out());

        List<String> after = Files.readAllLines(killed);
        assertEquals(before, after.subList(0, before.size()), "the records written before the kill are unchanged");
        TuningLog.Contents log = TuningLog.read(killed);
        assertEquals(1, log.problems().size(), log.problems().toString());
        List<TuningRecord> records = log.records();
        assertEquals(TRIALS, records.size());
        assertEquals(TRIALS, new HashSet<>(records.stream().map(TuningRecord::key).toList()).size(), "no candidate measured twice");
        List<Integer> trials = records.stream().map(x -> x.provenance().trial()).toList();
        assertEquals(java.util.stream.IntStream.range(0, TRIALS).boxed().toList(), trials);
        // Random search proposes the same candidates after a resume: the same trials as the uninterrupted run, in order.
        List<String> expected = TuningLog.read(whole).records().stream().map(TuningRecord::key).toList();
        assertEquals(expected, records.stream().map(TuningRecord::key).toList());

        // Resuming a finished run measures nothing.
        r = CliTest.tessera(resumed(killed));
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains(TRIALS + " trials (0 measured now"), r.out());
    }

    private static String[] args(Path log) {
        List<String> a = new ArrayList<>(TUNE);
        a.add("--log");
        a.add(log.toString());
        return a.toArray(String[]::new);
    }

    private static String[] resumed(Path log) {
        List<String> a = new ArrayList<>(List.of(args(log)));
        a.add("--resume");
        return a.toArray(String[]::new);
    }

    /** The tessera command as a separate JVM: this JVM's java binary and class path. */
    private static List<String> command(Path log) {
        List<String> c = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xss16m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        c.addAll(List.of(args(log)));
        return c;
    }

    /** The lines of a log that end with a newline (a line being written when the process died has none). */
    private static List<String> completeLines(Path log) throws Exception {
        if (!Files.exists(log)) return List.of();
        String s = Files.readString(log, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', start)) {
            lines.add(s.substring(start, i));
            start = i + 1;
        }
        return lines;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
