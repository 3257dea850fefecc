package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Measures the machine's FP32 FMA peak and stream-copy bandwidth with a small C program (the
 * resource {@code peak.c}: independent FMAs on 12 vector accumulators; a vector copy), compiled at
 * run time by {@code gcc -O2 -march=native} so that it uses the widest vectors the CPU has.
 */
public final class PeakProbe {
    private static final String SOURCE = "/dev/tessera/bench/peak.c";

    private PeakProbe() {}

    /**
     * Compiles and runs the probe: FMA peak for each of {@code fmaThreads}, copy bandwidth with
     * {@code copyThreads} threads over arrays of {@code copyMiB} MiB. Raises {@link TesseraUserError}
     * when there is no C compiler or the probe fails.
     */
    public static Peak measure(List<Integer> fmaThreads, int copyThreads, int copyMiB) {
        String cc = System.getenv().getOrDefault("CC", "gcc");
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tessera-peak");
            Path src = dir.resolve("peak.c"), exe = dir.resolve("peak");
            try (InputStream in = PeakProbe.class.getResourceAsStream(SOURCE)) {
                if (in == null) throw new IllegalStateException("missing resource " + SOURCE);
                Files.copy(in, src);
            }
            List<String> compile = List.of(cc, "-O2", "-march=native", "-fno-tree-loop-distribute-patterns", "-pthread", "-o", exe.toString(), src.toString());
            run(compile, 120, "compiling the peak probe (" + String.join(" ", compile) + ")");
            List<String> probe = new ArrayList<>();
            probe.add(exe.toString());
            for (int t : fmaThreads) probe.add(Integer.toString(t));
            probe.add("--");
            probe.add(Integer.toString(copyThreads));
            probe.add(Integer.toString(copyMiB));
            String out = run(probe, 300, "running the peak probe");
            return parse(out, String.join(" ", compile.subList(0, 5)));
        } catch (IOException e) {
            throw new TesseraUserError("peak probe: " + e.getMessage());
        } finally {
            if (dir != null) deleteQuietly(dir);
        }
    }

    /** The probe's JSON output as a {@link Peak}. */
    static Peak parse(String json, String how) throws IOException {
        JsonNode n = new ObjectMapper().readTree(json);
        Map<Integer, Double> fma = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.get("fma_gflops").fields(); it.hasNext(); ) {
            var e = it.next();
            fma.put(Integer.parseInt(e.getKey()), e.getValue().asDouble());
        }
        return new Peak(n.get("isa").asText() + ", " + n.get("accumulators").asInt() + " accumulators", fma,
                n.get("copy_threads").asInt(), n.get("copy_gbps").asDouble(), how);
    }

    private static String run(List<String> command, int timeoutS, String what) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new TesseraUserError(what + ": cannot start " + command.get(0) + " (" + e.getMessage() + "); install gcc or set CC");
        }
        try {
            // Small outputs: read after exit is safe, but read first so a chatty compiler cannot block on a full pipe.
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TesseraUserError(what + ": timed out after " + timeoutS + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new TesseraUserError(what + " failed (exit " + p.exitValue() + "): " + text.strip());
            return text;
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TesseraUserError(what + ": interrupted");
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a temporary folder left behind is harmless
        }
    }
}
