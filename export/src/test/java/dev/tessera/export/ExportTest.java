package dev.tessera.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.OperatorInstance;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports matmul, a symbolic-rows softmax, conv2d and capsule_routing as library {@code tlib}, then
 * runs them without the JVM: from a C program (both ISA levels) and from Python (NumPy, and PyTorch
 * when it imports), against the reference interpreter.
 */
class ExportTest {
    @TempDir static Path tmp;
    static Exporter.Result result;
    static Path driver;

    /** The kernels, and the concrete shapes their reference instances use (softmax's N = 5). */
    static final List<String[]> KERNELS = List.of(
            new String[] {"matmul", "16,12,8", "16,12,8"},
            new String[] {"softmax", "N,24", "5,24"},
            new String[] {"conv2d", "1,3,7,6,4,3,3,2,1", "1,3,7,6,4,3,3,2,1"},
            new String[] {"capsule_routing", "2,6,3,4,5,2", "2,6,3,4,5,2"});

    @BeforeAll static void exportAndBuildDriver() throws Exception {
        List<KernelRequest> requests = new ArrayList<>();
        for (String[] k : KERNELS) requests.add(new KernelRequest(null, k[0], k[1], null, Map.of(), "default"));
        result = Exporter.export("tlib", requests, List.of("x86-64-v3", "x86-64-v4"), tmp.resolve("out"));
        driver = tmp.resolve("driver");
        Path src = tmp.resolve("driver.c");
        copyResource("driver.c", src);
        exec(null, "gcc", "-O1", "-I", result.dir().toString(), src.toString(), result.staticLibrary().toString(), "-o", driver.toString(), "-pthread", "-lm");
    }

    @Test void writesTheLibraryHeaderPythonModuleAndManifest() throws IOException {
        for (String f : List.of("libtlib.so", "libtlib.a", "tlib.h", "tlib.py", "manifest.json"))
            assertTrue(Files.exists(result.dir().resolve(f)), f);
        String h = Files.readString(result.header());
        assertTrue(h.contains("int tlib_matmul(const float *A, const float *B, float *matmul);"), h);
        assertTrue(h.contains("int tlib_softmax(const float *"), h);
        assertTrue(h.contains("int tlib_softmax(const float *X, float *softmax, int64_t N);"), h);
        assertTrue(h.contains("in  X: float[N, 24]"), h);
        assertTrue(h.contains("int tlib_call(const char *kernel, void *const *tensors, const int64_t *dims);"), h);
        JsonNode m = new ObjectMapper().readTree(result.manifest().toFile());
        assertEquals("tlib", m.get("name").asText());
        assertEquals("x86-64-v4", m.get("target").get("isa_levels").get(1).asText());
        assertEquals(4, m.get("kernels").size());
        assertEquals("N,24", m.get("kernels").get(1).get("shape").asText());
        assertTrue(m.get("kernels").get(0).get("schedule").isArray(), "the schedule trace is embedded as JSON");
        assertEquals(Exporter.sha256(result.sharedLibrary()), m.get("sha256").get("libtlib.so").asText());
        assertEquals(Exporter.sha256(result.python()), m.get("sha256").get("tlib.py").asText());
    }

    @Test void onlyThePublicApiIsExported() throws Exception {
        String syms = exec(null, "nm", "-D", "--defined-only", result.sharedLibrary().toString());
        assertTrue(syms.contains(" T tlib_matmul"), syms);
        assertTrue(syms.contains(" T tlib_call"), syms);
        assertTrue(!syms.contains("tessera_parallel_for") && !syms.contains("x86_64_v3"), syms);
    }

    @Test void cDriverListsKernelsAndReportsErrors() throws Exception {
        String out = exec(Map.of(), driver.toString(), "list");
        assertTrue(out.contains("isa x86-64-v"), out);
        assertTrue(out.contains("kernel matmul 3 0"), out);
        assertTrue(out.contains("kernel softmax 2 1"), out);
        assertTrue(out.contains("unknown 1"), out);
        assertTrue(out.contains("misaligned 3 a tensor pointer is not aligned to its element size"), out);
        assertTrue(out.contains("threads 3"), out);
    }

    @Test void cDriverMatchesTheReferenceOnEveryIsaLevel() throws Exception {
        for (String isa : List.of("x86-64-v3", "x86-64-v4")) {
            for (String[] k : KERNELS) {
                OperatorInstance inst = new KernelRequest(null, k[0], k[2], null, Map.of(), "default").build();
                List<TensorValue> ins = inputs(inst);
                List<String> cmd = new ArrayList<>(List.of(driver.toString(), k[0], "" + inst.inputs().size(), "" + inst.outputs().size()));
                for (TensorValue v : ins) cmd.add("" + v.size());
                Map<Tensor, TensorValue> bound = bind(inst, ins);
                List<TensorValue> refs = new ArrayList<>();
                for (Tensor t : inst.outputs()) {
                    TensorValue r = new ReferenceInterpreter(inst.outputs(), bound).evaluate(t);
                    refs.add(r);
                    cmd.add("" + r.size());
                }
                if (k[1].startsWith("N")) cmd.add("5");
                String out = exec(Map.of("TESSERA_ISA", isa, "TESSERA_NUM_THREADS", "2"), cmd.toArray(String[]::new));
                String[] lines = out.strip().split("\n");
                int p = 0;
                for (TensorValue r : refs)
                    for (int e = 0; e < r.size(); e++) {
                        double got = Double.parseDouble(lines[p++]), want = r.data()[e];
                        assertTrue(Math.abs(got - want) <= 1e-4 + 1e-3 * Math.abs(want),
                                k[0] + " (" + isa + ") element " + e + ": got " + got + ", want " + want);
                    }
                assertEquals(lines.length, p, k[0] + ": output count");
            }
        }
    }

    @Test void pythonModuleRunsEveryKernelOnNumpyAndTorch() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "no /usr/bin/python3 on this machine");
        assumeTrue(probe("import numpy"), "NumPy is not installed for /usr/bin/python3 (Debian python3-numpy)");
        ObjectMapper om = new ObjectMapper();
        ArrayNode cases = om.createArrayNode();
        for (String[] k : KERNELS) {
            OperatorInstance inst = new KernelRequest(null, k[0], k[2], null, Map.of(), "default").build();
            List<TensorValue> ins = inputs(inst);
            Map<Tensor, TensorValue> bound = bind(inst, ins);
            ObjectNode c = cases.addObject();
            c.put("kernel", k[0]);
            ArrayNode in = c.putArray("inputs"), out = c.putArray("outputs");
            for (int i = 0; i < ins.size(); i++) write(in.addObject(), tmp.resolve(k[0] + ".in" + i), ins.get(i));
            for (int o = 0; o < inst.outputs().size(); o++)
                write(out.addObject(), tmp.resolve(k[0] + ".ref" + o), new ReferenceInterpreter(inst.outputs(), bound).evaluate(inst.outputs().get(o)));
        }
        Path casesFile = tmp.resolve("cases.json");
        om.writeValue(casesFile.toFile(), cases);
        Path script = tmp.resolve("check.py");
        copyResource("check.py", script);
        String out = exec(Map.of("TESSERA_NUM_THREADS", "2"), "/usr/bin/python3", script.toString(), result.dir().toString(), casesFile.toString());
        assertTrue(out.contains("ALL OK"), out);
        assertTrue(out.contains("raised ValueError: matmul: argument A must have shape (16, 8), got (8, 16)"), out);
        if (!out.contains("torch yes")) System.err.println("ExportTest: PyTorch is not installed for /usr/bin/python3; checked NumPy only");
    }

    @Test void badRequestsAreUserErrors() {
        var e = assertThrows(TesseraUserError.class, () -> Exporter.export("t-lib", List.of(), List.of(), tmp.resolve("x")));
        assertTrue(e.getMessage().contains("not a C identifier"), e.getMessage());
        e = assertThrows(TesseraUserError.class, () -> Exporter.export("t", List.of(), List.of(), tmp.resolve("x")));
        assertTrue(e.getMessage().contains("nothing to export"), e.getMessage());
        e = assertThrows(TesseraUserError.class, () -> Exporter.export("t",
                List.of(new KernelRequest(null, "matmul", "4,4,4", null, Map.of(), null)), List.of("avx9000"), tmp.resolve("x")));
        assertTrue(e.getMessage().contains("legal levels: x86-64, x86-64-v2, x86-64-v3, x86-64-v4"), e.getMessage());
    }

    // ------------------------------------------------------------------ helpers

    /** Inputs filled by the formula driver.c repeats. */
    static List<TensorValue> inputs(OperatorInstance inst) {
        List<TensorValue> out = new ArrayList<>();
        for (int t = 0; t < inst.inputs().size(); t++) {
            Tensor x = inst.inputs().get(t);
            long[] shape = new long[x.rank()];
            long n = 1;
            for (int d = 0; d < shape.length; d++) {
                shape[d] = ((dev.tessera.ir.IntImm) x.shape().get(d)).value();
                n *= shape[d];
            }
            double[] data = new double[(int) n];
            for (int i = 0; i < n; i++) data[i] = (float) ((double) ((i * 37L + t * 11L) % 101) / 101.0 - 0.5);
            out.add(TensorValue.of(x.dtype(), data, shape));
        }
        return out;
    }

    static Map<Tensor, TensorValue> bind(OperatorInstance inst, List<TensorValue> values) {
        Map<Tensor, TensorValue> m = new LinkedHashMap<>();
        for (int i = 0; i < values.size(); i++) m.put(inst.inputs().get(i), values.get(i));
        return m;
    }

    static void write(ObjectNode node, Path file, TensorValue v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) v.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (double d : v.data()) b.putFloat((float) d);
        Files.write(file, b.array());
        node.put("file", file.toString());
        ArrayNode s = node.putArray("shape");
        for (long d : v.shape()) s.add(d);
    }

    static boolean probe(String python) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", python).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = ExportTest.class.getResourceAsStream(name)) {
            Files.write(to, in.readAllBytes());
        }
    }

    static String exec(Map<String, String> env, String... cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (env != null) pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", cmd) + " timed out");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}
