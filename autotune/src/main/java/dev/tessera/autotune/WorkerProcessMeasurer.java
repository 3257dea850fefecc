package dev.tessera.autotune;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.autotune.TuningRecord.ErrorCode;
import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Measures candidates in a separate worker JVM ({@link MeasureWorker}, same java binary and class
 * path), so that a kernel that crashes, hangs or exhausts memory costs one error record, not the
 * tuning run. The worker is started on first use, reused across candidates, killed when a candidate
 * exceeds its time limit, and restarted after it dies. Before a worker's first candidate of a task it
 * computes the task's reference values ({@link ExpectedOutputs}), under a limit of its own
 * ({@link #REFERENCE_LIMIT_MS}), so that the candidate's limit covers compiling and running only.
 */
public final class WorkerProcessMeasurer implements Measurer {
    private static final ObjectMapper MAPPER = dev.tessera.schedule.TraceJson.mapper();
    private static final Object EOF = new Object();
    /** How long a worker may take to compute a task's reference values (a large operator's take minutes in the interpreter). */
    static final long REFERENCE_LIMIT_MS = 30 * 60_000;

    private final Options options;
    private final List<String> extraJvmArgs;
    private Process process;
    private Writer toWorker;
    private BlockingQueue<Object> fromWorker;
    private Path stderrFile;
    private int started;
    /** The tasks whose reference values the running worker holds. */
    private final Set<String> referenceReady = new HashSet<>();

    /** @param extraJvmArgs more JVM options for the worker, e.g. {@code -Xmx2g} */
    public WorkerProcessMeasurer(Options options, List<String> extraJvmArgs) {
        this.options = options;
        this.extraJvmArgs = List.copyOf(extraJvmArgs);
    }

    public WorkerProcessMeasurer(Options options) { this(options, List.of()); }

    /** How many worker processes this measurer has started (1 unless some died or were killed). */
    public int workersStarted() { return started; }

    @Override public Outcome measure(TuningTask task, Target target, List<Step> trace) {
        String taskKey;
        try {
            if (process == null || !process.isAlive()) start();
            taskKey = MAPPER.writeValueAsString(task);
        } catch (IOException e) {
            return died("cannot start the worker: " + e.getMessage());
        }
        if (!referenceReady.contains(taskKey)) {
            // Not part of any candidate's time limit: the reference values are computed once per worker and task.
            long limitMs = Math.max(options.timeoutMs(), REFERENCE_LIMIT_MS);
            Outcome prepared = exchange(new MeasureWorker.Request(task, target.kind(), target.fingerprint(), List.of(), options, true), limitMs,
                    "no reference values within " + limitMs + " ms; worker killed");
            if (prepared.error() != null) return prepared;
            referenceReady.add(taskKey);
        }
        return exchange(new MeasureWorker.Request(task, target.kind(), target.fingerprint(), trace, options, false), options.timeoutMs(),
                "no result within " + options.timeoutMs() + " ms (compile and " + (options.warmup() + options.repeats()) + " runs); worker killed");
    }

    /** Sends one request to the running worker and waits up to {@code limitMs} for its answer; past that, kills the worker. */
    private Outcome exchange(MeasureWorker.Request request, long limitMs, String timeoutMessage) {
        try {
            toWorker.write(MAPPER.writeValueAsString(request) + "\n");
            toWorker.flush();
        } catch (IOException e) {
            return died("cannot talk to the worker: " + e.getMessage());
        }
        Object answer;
        try {
            answer = fromWorker.poll(limitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while measuring", e);
        }
        if (answer == null) {
            stop();
            return Outcome.failed(ErrorCode.TIMEOUT, timeoutMessage);
        }
        if (answer == EOF) return died("worker exited");
        try {
            return MAPPER.readValue((String) answer, Outcome.class);
        } catch (IOException e) {
            stop();
            return Outcome.failed(ErrorCode.CRASH, "unreadable worker answer: " + e.getMessage());
        }
    }

    private Outcome died(String what) {
        int code = -1;
        try {
            if (process != null && process.waitFor(5, TimeUnit.SECONDS)) code = process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String tail = stderrTail();
        stop();
        boolean oom = tail.contains("OutOfMemoryError");
        return Outcome.failed(oom ? ErrorCode.OUT_OF_MEMORY : ErrorCode.CRASH,
                what + (code >= 0 ? " with code " + code : "") + (tail.isEmpty() ? "" : "; stderr: " + tail));
    }

    private void start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xss16m", "-XX:+ExitOnOutOfMemoryError"));
        cmd.addAll(extraJvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MeasureWorker.class.getName()));
        stderrFile = Files.createTempFile("tessera-worker", ".err");
        stderrFile.toFile().deleteOnExit();
        process = new ProcessBuilder(cmd).redirectError(stderrFile.toFile()).start();
        started++;
        referenceReady.clear();
        toWorker = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        fromWorker = queue;
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Thread t = new Thread(() -> {
            try {
                String line;
                while ((line = reader.readLine()) != null)
                    if (line.startsWith(MeasureWorker.PREFIX)) queue.add(line.substring(MeasureWorker.PREFIX.length()));
            } catch (IOException ignored) {
                // the worker was killed; EOF below tells the waiting measurement
            }
            queue.add(EOF);
        }, "tessera-worker-reader");
        t.setDaemon(true);
        t.start();
    }

    private String stderrTail() {
        try {
            if (stderrFile == null || !Files.exists(stderrFile)) return "";
            String s = Files.readString(stderrFile).strip();
            s = s.replaceAll("\\s+", " ");
            return s.length() > 400 ? "..." + s.substring(s.length() - 400) : s;
        } catch (IOException e) {
            return "";
        }
    }

    private void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
        if (stderrFile != null) {
            try {
                Files.deleteIfExists(stderrFile);
            } catch (IOException ignored) {
                // a temp file; deleteOnExit covers it
            }
            stderrFile = null;
        }
    }

    @Override public void close() { stop(); }
}
