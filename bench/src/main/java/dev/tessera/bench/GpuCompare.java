package dev.tessera.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraUserError;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import dev.tessera.target.cuda.CudaCompiler;
import dev.tessera.target.gpu.GpuBackend;
import dev.tessera.target.opencl.OpenClRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench/gpu/compare}: Tessera's GPU kernels against cuBLAS and PyTorch eager on the same GPU
 * in one run (the GPU workloads of BENCHMARKS.md), with the device-to-device copy bandwidth as the
 * limit of the memory-bound kernels; writes {@code <gpu>.md}, {@code .json} and {@code .svg}
 * (bench/results for a CUDA run; a temporary folder for a {@code --quick} dry run or an OpenCL run).
 */
@Command(name = "bench/gpu/compare", mixinStandardHelpOptions = true,
        description = "Measure Tessera's GPU kernels against cuBLAS and PyTorch eager on the same GPU, side by side in one run.")
public final class GpuCompare implements Callable<Integer> {
    /** Elements of each array of the copy-bandwidth probe: 256 MiB, far past any L2. */
    static final long COPY_ELEMENTS = 64L << 20;

    @Option(names = "--target", defaultValue = "cuda", description = "cuda (default) or opencl (any OpenCL device; TESSERA_OPENCL_DEVICE picks one).")
    String target;

    @Option(names = "--quick", description = "A dry run: small shapes, results in a temporary folder named *-dryrun (never bench/results).")
    boolean quick;

    @Option(names = "--workloads", description = "Workload table (JSON); default: the built-in GPU table (bench/src/main/resources/dev/tessera/bench/gpu-workloads.json, or gpu-workloads-quick.json with --quick).")
    Path workloads;

    @Option(names = "--only", description = "Comma-separated workload ids.")
    String only;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed calls first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--repeats", defaultValue = "20", description = "Timed repetitions (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--min-batch-ms", defaultValue = "20", description = "Shortest timed repetition in device time; short kernels run in batches (default ${DEFAULT-VALUE}).")
    double minBatchMs;

    @Option(names = "--no-peers", description = "Measure Tessera only (no Python).")
    boolean noPeers;

    @Option(names = "--python", description = "The Python with PyTorch (default: python3 from the PATH, else /usr/bin/python3, whichever imports torch first).")
    String python;

    @Option(names = "--peer-script", description = "The peers' script (default: bench/peers/gpu_peers.py under the repository root).")
    Path peerScript;

    @Option(names = "--peer-timeout-s", defaultValue = "900", description = "Longest one peer figure may take (default ${DEFAULT-VALUE}).")
    double peerTimeoutS;

    @Option(names = "--out", description = "Results folder (default: bench/results for a CUDA run, a new temporary folder otherwise).")
    Path out;

    @Option(names = "--name", description = "Results file name (default: from the GPU's name, e.g. nvidia-h100-80gb-hbm3-gpu; -dryrun added with --quick).")
    String name;

    @Option(names = "--check-points", defaultValue = "1024", description = "Output points of each kernel checked against the reference interpreter (default ${DEFAULT-VALUE}).")
    int checkPoints;

    @Option(names = "--check-budget-s", defaultValue = "60", description = "Longest the reference check of one workload may take (default ${DEFAULT-VALUE}).")
    double checkBudgetS;

    @Option(names = "--keep-data", description = "Keep the inputs and outputs written for the peers (in the results folder's data/).")
    boolean keepData;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command in-process and returns its exit code: 0, 2 for a usage or device error, 3 when a kernel gave a wrong answer. */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new GpuCompare());
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
        if (!target.equals("cuda") && !target.equals("opencl"))
            throw new TesseraUserError("--target " + target + " is not a GPU target; legal: cuda, opencl");
        WorkloadTable table = workloads != null ? WorkloadTable.read(workloads) : WorkloadTable.resource(quick ? GPU_QUICK : GPU_FULL);
        List<Workload> selected = table.select(only);
        Timing.Protocol protocol = new Timing.Protocol(warmup, repeats, minBatchMs);
        String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();

        GpuBackend backend = (GpuBackend) Backend.byName(target);
        Target device = backend.runtime().target(); // no device: a TesseraUserError saying why
        Report.GpuDevice gpu = describe(device);
        log("GPU: " + gpu.describe());
        Machine machine = Machine.probe();

        Path dir = out != null ? out : target.equals("cuda") && !quick ? root.resolve("bench/results") : Files.createTempDirectory("tessera-gpu-bench-");
        String fileName = name != null ? name : slug(device.cpu()) + "-" + (target.equals("cuda") ? "gpu" : "opencl") + (quick ? "-dryrun" : "");
        Path dataDir = noPeers ? null : keepData ? dir.resolve("data") : Files.createTempDirectory("tessera-gpu-bench-data-");
        GpuHarness.Options options = new GpuHarness.Options(protocol, checkPoints, checkBudgetS * 1000, dataDir);

        PeerProcess peers = null;
        Map<String, String> versions = new LinkedHashMap<>();
        try {
            if (!noPeers) {
                Path script = peerScript != null ? peerScript : root.resolve("bench/peers/gpu_peers.py");
                if (python == null) python = pythonWithTorch();
                String peerDevice = target.equals("cuda") ? "cuda" : "cpu";
                log("starting the peers: " + python + " " + script + " serve --device " + peerDevice);
                peers = PeerProcess.start(python, script, List.of("--device", peerDevice), Map.of(), false, peerTimeoutS);
                if (peers.deadReason() != null) log("  peers not available: " + peers.deadReason());
                versions.putAll(peers.versions());
                if (!versions.isEmpty()) log("  " + versions);
            }
            Peak limits = limits(backend, peers, protocol);
            log("  limit: " + limits.how());

            List<Figure> figures = new ArrayList<>();
            boolean wrong = false;
            for (Workload w : selected) {
                GpuHarness.Run t = GpuHarness.tessera(w, backend, options);
                Figure tessera = t.figure();
                List<Figure> peerFigures = new ArrayList<>();
                for (String peer : w.peers()) {
                    if (peers == null) {
                        peerFigures.add(Figure.notAvailable(w.id(), peer, "peers not run (--no-peers)"));
                        continue;
                    }
                    ObjectNode extra = new ObjectMapper().createObjectNode();
                    if (t.data() != null) extra.set("data", t.data());
                    PeerProcess.Answer a = peers.ask(w, peer, protocol, extra);
                    peerFigures.add(a.figure());
                    tessera = GpuHarness.withPeerCheck(w, tessera, a.json());
                }
                figures.add(tessera);
                figures.addAll(peerFigures);
                log(line(w, tessera));
                for (Figure f : peerFigures) log(line(w, f));
                if (tessera.status() == Figure.Status.FAILED && tessera.message().startsWith("WRONG ANSWER")) {
                    wrong = true;
                    log("!!! " + w.id() + ": Tessera's output is WRONG: " + tessera.message());
                }
                if (t.data() != null && !keepData) deleteTree(Path.of(t.data().get("dir").asText()));
            }
            Report report = new Report(machine, limits, "", 1, protocol, versions, selected, figures, date, commit(root), gpu);
            List<Path> files = ReportWriter.write(report, dir, fileName);
            System.out.println(ReportWriter.markdown(report, null));
            for (Path f : files) log("wrote " + f);
            if (wrong) log("!!! at least one kernel gave a wrong answer (the rows marked failed above)");
            return wrong ? 3 : 0;
        } finally {
            if (peers != null) peers.close();
            if (dataDir != null && !keepData) deleteTree(dataDir);
        }
    }

    static final String GPU_FULL = "/dev/tessera/bench/gpu-workloads.json";
    static final String GPU_QUICK = "/dev/tessera/bench/gpu-workloads-quick.json";

    /**
     * The device-to-device copy bandwidth: PyTorch's {@code dst.copy_(src)} on the GPU when the
     * peers run there, else (no peers, or an OpenCL device the peers do not run on) Tessera's own
     * copy kernel; both are measured where they can be and named.
     */
    private Peak limits(GpuBackend backend, PeerProcess peers, Timing.Protocol protocol) {
        long elements = quick ? 4L << 20 : COPY_ELEMENTS;
        double tessera = Double.NaN;
        String tesseraHow;
        try {
            tessera = GpuHarness.copyKernelGbps(backend, elements, protocol);
            tesseraHow = String.format(Locale.ROOT, "Tessera's copy kernel %s GB/s", ReportWriter.num(tessera));
        } catch (RuntimeException e) {
            tesseraHow = "Tessera's copy kernel failed: " + e.getMessage();
        }
        double torch = Double.NaN;
        String torchHow = null;
        if (peers != null && peers.deadReason() == null) {
            Workload copy = new Workload("copy", "copy", "copy", Long.toString(elements), null, Workload.Bound.MEMORY, List.of("pytorch"));
            PeerProcess.Answer a = peers.ask(copy, "pytorch", protocol, new ObjectMapper().createObjectNode());
            if (a.figure().isOk()) {
                torch = a.json().path("bytes").asDouble() / (a.figure().medianMs() * 1e6);
                torchHow = String.format(Locale.ROOT, "PyTorch %s %s GB/s", a.figure().note(), ReportWriter.num(torch));
            } else {
                torchHow = "PyTorch copy " + a.figure().status().text() + ": " + a.figure().message();
            }
        }
        boolean useTorch = target.equals("cuda") && Double.isFinite(torch);
        String how = (useTorch ? torchHow + " (the limit); " + tesseraHow : tesseraHow + " (the limit)" + (torchHow == null ? "" : "; " + torchHow + " (not the GPU's)"))
                + String.format(Locale.ROOT, "; 2 x %d MiB", elements * 4 >> 20);
        return new Peak("", Map.of(), 0, useTorch ? torch : tessera, how);
    }

    private Report.GpuDevice describe(Target device) {
        String driver = "unknown", compiler;
        if (target.equals("cuda")) {
            driver = nvidiaDriver();
            compiler = CudaCompiler.compilerName().orElse("no CUDA compiler");
        } else {
            OpenClRuntime.Device d = OpenClRuntime.devices().stream().filter(x -> x.name().equals(device.cpu())).findFirst().orElse(null);
            if (d != null) driver = d.platform() + ", " + d.version() + " (" + d.type() + ")";
            compiler = "the OpenCL driver";
        }
        return new Report.GpuDevice(device.cpu(), target, device.gpu().arch(), device.cores(), driver, compiler);
    }

    /** The first of python3 (the PATH's) and /usr/bin/python3 that imports torch; python3 when neither does (the peers then say why). */
    private static String pythonWithTorch() {
        for (String candidate : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) return candidate;
                p.destroyForcibly();
            } catch (IOException e) {
                // not installed: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return "python3";
    }

    /** The NVIDIA kernel module's version, from /proc/driver/nvidia/version. */
    private static String nvidiaDriver() {
        try {
            String v = Files.readString(Path.of("/proc/driver/nvidia/version"));
            var m = java.util.regex.Pattern.compile("Kernel Module\\s+(?:for \\S+\\s+)?(\\d+\\.\\d+(?:\\.\\d+)?)").matcher(v);
            return m.find() ? m.group(1) : v.lines().findFirst().orElse("unknown").trim();
        } catch (IOException | RuntimeException e) {
            return "unknown (no /proc/driver/nvidia/version)";
        }
    }

    /** A file-name-safe name of a device, e.g. {@code nvidia-h100-80gb-hbm3}. */
    static String slug(String deviceName) {
        String s = deviceName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return s.isEmpty() ? "gpu" : s;
    }

    private static String line(Workload w, Figure f) {
        String head = String.format(Locale.ROOT, "%-16s %-9s ", w.id(), f.target());
        if (!f.isOk()) return head + f.status().text() + ": " + f.message();
        return head + String.format(Locale.ROOT, "median %s ms (spread %s, %d x %d calls), max abs error %s",
                ReportWriter.num(f.medianMs()), ReportWriter.percent(f.stats().spread()), f.stats().repeats(), f.stats().callsPerRepeat(),
                ReportWriter.sci(f.maxAbsError()));
    }

    private static void log(String s) {
        System.err.println(s);
        System.err.flush();
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (Stream<Path> files = Files.walk(p)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log("could not delete " + p + ": " + e.getMessage());
        }
    }

    private static String commit(Path root) {
        return Compare.commit(root);
    }
}
