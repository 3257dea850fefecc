package dev.tessera.bench;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.TuningLog;
import dev.tessera.autotune.TuningRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/compare}: measures the machine's limits, Tessera's kernels and the peers' on the
 * workload table in one run, and writes {@code bench/results/<machine>.md}, {@code .json} and
 * {@code .svg}.
 */
@Command(name = "bench/compare", mixinStandardHelpOptions = true,
        description = "Measure Tessera against OpenBLAS, PyTorch and Halide on the workloads of BENCHMARKS.md, side by side in one run.")
public final class Compare implements Callable<Integer> {
    @Option(names = "--workloads", description = "Workload table (JSON); default: the built-in one (bench/src/main/resources/dev/tessera/bench/workloads.json).")
    Path workloads;

    @Option(names = "--only", description = "Comma-separated workload ids, or OPERATOR:SHAPE for an ad-hoc Tessera-only row.")
    String only;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds the repetitions are split into; each round times Tessera, then every peer, "
            + "so that all see the machine's slow and fast periods alike (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed calls first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "15", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--min-batch-ms", defaultValue = "20", description = "Shortest timed repetition; short kernels are called in batches (default ${DEFAULT-VALUE}).")
    double minBatchMs;

    @Option(names = "--threads", defaultValue = "2", description = "Threads for every target (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--no-peers", description = "Measure Tessera only (no Python).")
    boolean noPeers;

    @Option(names = "--no-peak", description = "Do not measure the FMA peak and stream bandwidth (no C compiler needed).")
    boolean noPeak;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "The Python with the Debian peer packages (default ${DEFAULT-VALUE}).")
    String python;

    @Option(names = "--peer-script", description = "The peers' script (default: bench/peers/peers.py under the repository root).")
    Path peerScript;

    @Option(names = "--peer-timeout-s", defaultValue = "900", description = "Longest one peer figure may take (default ${DEFAULT-VALUE}).")
    double peerTimeoutS;

    @Option(names = "--out", description = "Results folder (default: bench/results under the repository root).")
    Path out;

    @Option(names = "--machine", description = "Results file name (default: from the CPU model and count, e.g. amd-epyc-2-cores).")
    String machineName;

    @Option(names = "--check-points", defaultValue = "1024", description = "Output points of each Tessera kernel checked against the reference interpreter (default ${DEFAULT-VALUE}).")
    int checkPoints;

    @Option(names = "--check-budget-s", defaultValue = "60", description = "Longest the reference check of one workload may take (default ${DEFAULT-VALUE}).")
    double checkBudgetS;

    @Option(names = "--schedule", defaultValue = "best", description = "Tessera's schedules: best (the fastest record of the tuning logs for each workload on this CPU or a compatible one, else the default schedule; as tessera bench) or default (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--logs", description = "Tuning logs that --schedule best reads: a .jsonl file or a folder of them (default: tuning-logs under the repository root).")
    Path logs;

    @Option(names = "--copy-mib", defaultValue = "256", description = "Size of each array of the stream-copy probe (default ${DEFAULT-VALUE}).")
    int copyMiB;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command in-process and returns its exit code. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Compare());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof TesseraUserError) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    @Override public Integer call() throws IOException {
        Path root = Path.of(System.getProperty("tessera.bench.root", ".")).toAbsolutePath().normalize();
        WorkloadTable table = workloads == null ? WorkloadTable.builtIn() : WorkloadTable.read(workloads);
        List<Workload> selected = table.select(only);
        Timing.Protocol protocol = new Timing.Protocol(warmup, repeats, minBatchMs, rounds);
        List<TuningRecord> records = switch (schedule) {
            case "default" -> null;
            case "best" -> {
                Path where = logs != null ? logs : root.resolve("tuning-logs");
                yield logs == null && !Files.isDirectory(where) ? List.of() : TuningLog.readFileOrFolder(where, System.err);
            }
            default -> throw new TesseraUserError("--schedule must be best or default, got '" + schedule + "'");
        };
        Harness.Options options = new Harness.Options(protocol, threads, checkPoints, checkBudgetS * 1000, records);
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();

        Machine machine = Machine.probe();
        log("machine: " + machine.describe());
        Peak peak = null;
        String peakError = "--no-peak";
        if (!noPeak) {
            log("measuring the FMA peak (1 and " + threads + " threads) and stream-copy bandwidth (" + threads + " threads) ...");
            try {
                peak = PeakProbe.measure(threads == 1 ? List.of(1) : List.of(1, threads), threads, copyMiB);
                log("  FMA peak " + peak.fmaGflops() + " GFLOP/s (" + peak.isa() + "), stream copy " + ReportWriter.num(peak.copyGbps()) + " GB/s");
            } catch (TesseraUserError e) {
                peakError = e.getMessage();
                log("  not measured: " + peakError);
            }
        }

        PeerProcess peers = null;
        Map<String, String> versions = Map.of();
        try {
            if (!noPeers) {
                Path script = peerScript != null ? peerScript : root.resolve("bench/peers/peers.py");
                log("starting the peers: " + python + " " + script);
                peers = PeerProcess.start(python, script, threads, peerTimeoutS);
                if (peers.deadReason() != null) log("  peers not available: " + peers.deadReason());
                versions = peers.versions();
                if (!versions.isEmpty()) log("  " + versions);
            }
            List<Figure> figures = Harness.run(selected, options, peers, Compare::log);
            Report report = new Report(machine, peak, peakError, threads, protocol, versions, selected, figures, date, commit(root));
            Path dir = out != null ? out : root.resolve("bench/results");
            String name = machineName != null ? machineName : machine.slug();
            List<Path> files = ReportWriter.write(report, dir, name);
            System.out.println(ReportWriter.markdown(report, null));
            for (Path f : files) log("wrote " + f);
            return 0;
        } finally {
            if (peers != null) peers.close();
        }
    }

    private static void log(String s) {
        System.err.println(s);
        System.err.flush();
    }

    /** The repository's short commit, with "+changes" when the tree is dirty; empty outside git. */
    static String commit(Path root) {
        try {
            String head = git(root, "rev-parse", "--short", "HEAD");
            if (head.isEmpty()) return "";
            return git(root, "status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + "+changes";
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String git(Path root, String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-C", root.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return "";
        return out;
    }
}
