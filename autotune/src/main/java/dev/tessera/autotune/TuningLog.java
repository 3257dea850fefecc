package dev.tessera.autotune;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tuning log: a JSON Lines file with one {@link TuningRecord} per line. Appending writes, flushes
 * and fsyncs one record at a time, so a killed run loses at most the line it was writing; reading
 * skips (and reports) lines that are corrupt, truncated or of another schema version.
 */
public final class TuningLog {
    private static final ObjectMapper MAPPER = dev.tessera.schedule.TraceJson.mapper().copy()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A line that could not be read, 1-based. */
    public record Problem(int line, String message) {
        @Override public String toString() { return "line " + line + ": " + message; }
    }

    /** The readable records of a log and the lines that were skipped. */
    public record Contents(List<TuningRecord> records, List<Problem> problems) {
        public Contents { records = List.copyOf(records); problems = List.copyOf(problems); }
    }

    private TuningLog() {}

    /** The record as one line of JSON (no trailing newline). */
    public static String toJson(TuningRecord r) {
        try {
            return MAPPER.writeValueAsString(r);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize tuning record", e);
        }
    }

    /** Parses one line; raises {@link IllegalArgumentException} saying what is wrong with it. */
    public static TuningRecord fromJson(String line) {
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON (truncated?): " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException("not a JSON object");
        JsonNode v = node.get("schemaVersion");
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException("no schemaVersion");
        if (v.asInt() != TuningRecord.SCHEMA_VERSION)
            throw new IllegalArgumentException("schema version " + v.asInt() + " (this Tessera reads version " + TuningRecord.SCHEMA_VERSION + ")");
        try {
            TuningRecord r = MAPPER.treeToValue(node, TuningRecord.class);
            if (r.workload() == null || r.target() == null || r.provenance() == null) throw new IllegalArgumentException("missing workload, target or provenance");
            return r;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a tuning record: " + e.getOriginalMessage());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a tuning record: " + e.getMessage());
        }
    }

    /** Appends one record and forces it to disk before returning. */
    public static void append(Path log, TuningRecord r) {
        byte[] line = (toJson(r) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            if (log.toAbsolutePath().getParent() != null) Files.createDirectories(log.toAbsolutePath().getParent());
            try (FileOutputStream out = new FileOutputStream(log.toFile(), true)) {
                // A run killed mid-line leaves a partial last line; start on a fresh one so only that line is lost.
                if (endsMidLine(log)) out.write('\n');
                out.write(line);
                out.flush();
                out.getFD().sync();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to tuning log " + log, e);
        }
    }

    private static boolean endsMidLine(Path log) throws IOException {
        try (var f = new java.io.RandomAccessFile(log.toFile(), "r")) {
            if (f.length() == 0) return false;
            f.seek(f.length() - 1);
            return f.read() != '\n';
        }
    }

    /** Reads a log, skipping unreadable lines; a missing file reads as empty. */
    public static Contents read(Path log) {
        List<TuningRecord> records = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        if (!Files.exists(log)) return new Contents(records, problems);
        try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                try {
                    records.add(fromJson(line));
                } catch (IllegalArgumentException e) {
                    problems.add(new Problem(n, e.getMessage()));
                }
            }
        } catch (IOException e) {
            throw new TesseraUserError("cannot read tuning log " + log + ": " + e.getMessage(), e);
        }
        return new Contents(records, problems);
    }

    /** Reads a log that must exist, reporting skipped lines on {@code warnings}. */
    public static List<TuningRecord> readReporting(Path log, java.io.PrintStream warnings) {
        if (!Files.exists(log)) throw new TesseraUserError("tuning log " + log + " does not exist");
        Contents c = read(log);
        for (Problem p : c.problems()) warnings.println("warning: " + log + " " + p + " (skipped)");
        return c.records();
    }

    /**
     * Reads every record of a log file, or of every {@code .jsonl} file of a folder (in name order),
     * reporting skipped lines on {@code warnings}; a path that does not exist is a user error.
     */
    public static List<TuningRecord> readFileOrFolder(Path where, java.io.PrintStream warnings) {
        if (!Files.exists(where)) throw new TesseraUserError("tuning logs " + where + ": no such file or folder");
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(where)) {
            try (java.util.stream.Stream<Path> s = Files.list(where)) {
                s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new TesseraUserError("cannot list tuning logs in " + where + ": " + e.getMessage());
            }
        } else {
            files.add(where);
        }
        List<TuningRecord> all = new ArrayList<>();
        for (Path f : files) all.addAll(readReporting(f, warnings));
        return all;
    }
}
