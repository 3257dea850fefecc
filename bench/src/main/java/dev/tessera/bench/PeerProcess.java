package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The peers' Python process ({@code bench/peers/peers.py serve}), started once per run with
 * Debian's {@code /usr/bin/python3}: one JSON request a line on its stdin, one JSON answer a line
 * on its stdout; its stderr goes to ours. If it cannot start or dies, every later peer figure is
 * "not available" with the reason, and the run goes on.
 */
public final class PeerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EOF = "\u0000eof";

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Map<String, String> versions = new LinkedHashMap<>();
    private final double timeoutS;
    private String deadReason;

    private PeerProcess(Process process, double timeoutS) {
        this.process = process;
        this.timeoutS = timeoutS;
        if (process == null) {
            this.stdin = Writer.nullWriter();
            return;
        }
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException e) {
                // the process went away; EOF below tells the waiting side
            }
            lines.add(EOF);
        }, "peers-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code python script serve} with {@code threads} threads and waits for it to report
     * its versions. Never throws: a process that does not start is returned dead, with the reason.
     */
    public static PeerProcess start(String python, Path script, int threads, double requestTimeoutS) {
        return start(python, script, List.of("--threads", Integer.toString(threads)), Map.of("TESSERA_BENCH_THREADS", Integer.toString(threads)),
                true, requestTimeoutS);
    }

    /**
     * Starts {@code python script serve args...} with extra environment variables; {@code isolated}
     * keeps the interpreter to its own packages (no user site-packages, no PYTHONPATH), as the
     * Debian peers need. Never throws: a process that does not start is returned dead, with the reason.
     */
    public static PeerProcess start(String python, Path script, List<String> args, Map<String, String> env, boolean isolated, double requestTimeoutS) {
        List<String> command = new java.util.ArrayList<>(List.of(python));
        // -s: no user site-packages either, so only the Debian packages are imported.
        if (isolated) command.add("-s");
        command.addAll(List.of(script.toString(), "serve"));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().putAll(env);
        if (isolated) {
            // Debian's python must not pick up a virtual environment's or pyenv's packages.
            pb.environment().remove("PYTHONPATH");
            pb.environment().remove("PYTHONHOME");
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return dead("cannot start " + python + " " + script + ": " + e.getMessage());
        }
        PeerProcess peers = new PeerProcess(p, requestTimeoutS);
        String hello = peers.nextLine(120);
        if (hello == null) return peers;
        try {
            JsonNode n = JSON.readTree(hello);
            for (Iterator<Map.Entry<String, JsonNode>> it = n.path("versions").fields(); it.hasNext(); ) {
                var e = it.next();
                peers.versions.put(e.getKey(), e.getValue().asText());
            }
        } catch (IOException e) {
            peers.kill("the peer script's first line is not JSON: " + hello);
        }
        return peers;
    }

    private static PeerProcess dead(String why) {
        PeerProcess p = new PeerProcess(null, 1);
        p.deadReason = why;
        return p;
    }

    /** What the peer script reported about the libraries it loaded (numpy, openblas, torch, halide, ...). */
    public Map<String, String> versions() { return versions; }

    /** Why the process is not usable, or null while it is. */
    public String deadReason() { return deadReason; }

    /** A peer's figure and the whole answer it came in (a script may add fields of its own). */
    public record Answer(Figure figure, JsonNode json) {}

    /** Runs one peer on one workload under the protocol; a failure or a dead process gives a non-ok figure. */
    public Figure run(Workload w, String peer, Timing.Protocol protocol) {
        return ask(w, peer, protocol, JSON.createObjectNode()).figure();
    }

    /** {@link #run} with more request fields ({@code extra}'s, added to the request object); the answer whole. */
    public Answer ask(Workload w, String peer, Timing.Protocol protocol, ObjectNode extra) {
        if (deadReason != null) return new Answer(Figure.notAvailable(w.id(), peer, "peer process: " + deadReason), JSON.createObjectNode());
        ObjectNode req = JSON.createObjectNode();
        req.setAll(extra);
        ObjectNode wl = req.putObject("workload");
        wl.put("id", w.id());
        wl.put("kind", w.kind());
        wl.put("shape", w.shape());
        req.put("peer", peer);
        req.put("warmup", protocol.warmup());
        req.put("repeats", protocol.repeats());
        req.put("min_batch_ms", protocol.minBatchMs());
        try {
            stdin.write(req.toString() + "\n");
            stdin.flush();
        } catch (IOException e) {
            kill("cannot write to the peer process: " + e.getMessage());
            return new Answer(Figure.notAvailable(w.id(), peer, "peer process: " + deadReason), JSON.createObjectNode());
        }
        String line = nextLine(timeoutS);
        if (line == null) return new Answer(Figure.failed(w.id(), peer, "peer process: " + deadReason), JSON.createObjectNode());
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (IOException e) {
            json = JSON.createObjectNode();
        }
        return new Answer(parseAnswer(w.id(), peer, line), json);
    }

    /** A figure from one answer line of the peer script. */
    static Figure parseAnswer(String workload, String peer, String line) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (IOException e) {
            return Figure.failed(workload, peer, "unreadable answer from the peer script: " + line);
        }
        String status = n.path("status").asText();
        if (status.equals("not available")) return Figure.notAvailable(workload, peer, n.path("message").asText("no message"));
        if (!status.equals("ok")) return Figure.failed(workload, peer, n.path("message").asText("no message"));
        Timing.Stats stats = new Timing.Stats(n.get("median_ms").asDouble(), n.get("p25_ms").asDouble(), n.get("p75_ms").asDouble(),
                n.get("min_ms").asDouble(), n.get("max_ms").asDouble(), n.get("repeats").asInt(), n.get("calls_per_repeat").asLong());
        // The script sends "inf" when an output was not finite (JSON has no infinities).
        JsonNode e = n.path("max_abs_error");
        double error = e.isNumber() ? e.asDouble() : e.asText().equals("inf") ? Double.POSITIVE_INFINITY : Double.NaN;
        return Figure.ok(workload, peer, stats, error, 0, Double.NaN, Double.NaN, n.path("note").asText(""));
    }

    private String nextLine(double timeoutS) {
        if (deadReason != null) return null;
        try {
            String line = lines.poll((long) (timeoutS * 1000), TimeUnit.MILLISECONDS);
            if (line == null) {
                kill("no answer within " + timeoutS + " s");
                return null;
            }
            if (line.equals(EOF)) {
                kill("the peer script exited with status " + waitExit() + " (see its messages above)");
                return null;
            }
            return line;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill("interrupted");
            return null;
        }
    }

    private int waitExit() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private void kill(String why) {
        if (deadReason == null) deadReason = why;
        if (process != null) process.destroyForcibly();
    }

    @Override public void close() {
        if (process == null) return;
        if (deadReason == null && process.isAlive()) {
            try {
                stdin.write("{\"quit\": true}\n");
                stdin.flush();
                stdin.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        } else {
            process.destroyForcibly();
        }
    }
}
