package dev.tessera.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A schedule that prepacks a constant input (or a stage computed from it alone, conv2d_winograd's
 * transformed filters) exports three entries: the kernel (packing on every
 * call, as before), {@code <kernel>_pack_<T>} and {@code <kernel>_prepacked}. A C program packs the
 * weights once, changes the caller's copy afterwards (the packed copy is the contract), and runs the
 * prepacked kernel twice; its outputs match the plain kernel's and the reference interpreter's.
 */
class ExportPrepackTest {
    @TempDir Path tmp;

    @Test void packOnceThenRunManyTimesFromC() throws Exception {
        // awkward shapes: the packed panels have zero-filled tails
        record Case(String op, String shape, String knob, String constant) {}
        List<Case> cases = List.of(new Case("matmul", "37,45,29", "prepack_b", "B"),
                new Case("conv2d", "1,5,9,8,19,3,3,1,1", "prepack_weight", "weight"),
                // a prepacked computed stage: the Winograd-transformed filters
                new Case("conv2d_winograd", "1,5,9,7,19,3,3,1,1", "prepack_weight", "weight"));
        List<KernelRequest> requests = new ArrayList<>();
        for (Case c : cases) {
            Operator op = Operators.get(c.op());
            long[] args = op.parseShape(c.shape());
            Schedule s = Schedule.create(op.build(args, op.dtypes().get(0)).outputs());
            op.applyTunedSchedule(s, args, Map.of(c.knob(), 1L));
            Path trace = tmp.resolve(c.op() + ".json");
            Files.writeString(trace, TraceJson.write(s.trace()));
            requests.add(new KernelRequest(null, c.op(), c.shape(), null, Map.of(), trace.toString()));
        }
        Exporter.Result r = Exporter.export("plib", requests, List.of("x86-64-v4"), tmp.resolve("out"));

        String h = Files.readString(r.header());
        assertTrue(h.contains("int plib_matmul_pack_B(const float *B, float *B_packed);"), h);
        assertTrue(h.contains("int plib_matmul_prepacked(const float *A, const float *B_packed, float *matmul);"), h);
        assertTrue(h.contains("prepacked: matmul with its constant inputs packed by matmul_pack_B."), h);
        JsonNode kernels = new ObjectMapper().readTree(r.manifest().toFile()).get("kernels");
        assertEquals(List.of("matmul kernel", "matmul_pack_B pack", "matmul_prepacked prepacked", "conv2d kernel", "conv2d_pack_weight pack",
                "conv2d_prepacked prepacked", "conv2d_winograd kernel", "conv2d_winograd_pack_weight pack", "conv2d_winograd_prepacked prepacked"),
                names(kernels));
        assertTrue(h.contains("int plib_conv2d_winograd_pack_weight(const float *weight, float *conv2d_winograd_weight);"), h);

        for (Case c : cases) {
            Operator op = Operators.get(c.op());
            OperatorInstance inst = op.build(op.parseShape(c.shape()), op.dtypes().get(0));
            List<TensorValue> ins = ExportTest.inputs(inst);
            TensorValue want = new ReferenceInterpreter(inst.outputs(), ExportTest.bind(inst, ins)).evaluate(inst.outputs().get(0));
            long packed = elements(kernels, c.op() + "_pack_" + c.constant(), 1);
            Path src = tmp.resolve(c.op() + ".c"), exe = tmp.resolve(c.op());
            Files.writeString(src, driver(c.op(), c.constant(), ins.get(0).size(), ins.get(1).size(), packed, want.size()));
            ExportTest.exec(null, "gcc", "-O1", "-I", r.dir().toString(), src.toString(), r.staticLibrary().toString(), "-o", exe.toString(), "-pthread", "-lm");
            String[] lines = ExportTest.exec(Map.of("TESSERA_NUM_THREADS", "2"), exe.toString()).strip().split("\n");
            assertEquals(3 * want.size(), lines.length, c.op() + ": three outputs (plain, prepacked, prepacked again)");
            for (int run = 0; run < 3; run++)
                for (int e = 0; e < want.size(); e++) {
                    double got = Double.parseDouble(lines[(int) (run * want.size() + e)]), w = want.data()[e];
                    assertTrue(Math.abs(got - w) <= 1e-4 + 1e-3 * Math.abs(w), c.op() + " run " + run + " element " + e + ": got " + got + ", want " + w);
                }
        }
    }

    private static List<String> names(JsonNode kernels) {
        List<String> out = new ArrayList<>();
        for (JsonNode k : kernels) out.add(k.get("name").asText() + " " + k.get("role").asText());
        return out;
    }

    /** The element count of tensor {@code index} of kernel {@code name}, from its shape in the manifest. */
    private static long elements(JsonNode kernels, String name, int index) {
        for (JsonNode k : kernels)
            if (k.get("name").asText().equals(name)) {
                String shape = k.get("tensors").get(index).get("shape").asText();
                long n = 1;
                for (String d : shape.replaceAll("[\\[\\] ]", "").split(",")) n *= Long.parseLong(d);
                return n;
            }
        throw new AssertionError("no kernel " + name + " in the manifest");
    }

    /**
     * A C program: inputs filled as {@link ExportTest#inputs} does; prints the plain kernel's output,
     * then packs the constant (second) input, overwrites the caller's copy with garbage, and prints
     * the prepacked kernel's output twice.
     */
    private static String driver(String k, String t, long in0, long in1, long packed, long out) {
        return """
                #include "plib.h"
                #include <stdio.h>
                #include <stdlib.h>
                static void fill(float *x, long n, int t) { for (long i = 0; i < n; i++) x[i] = (float) ((double) ((i * 37L + t * 11L) %% 101) / 101.0 - 0.5); }
                static void print(const float *x, long n) { for (long i = 0; i < n; i++) printf("%%.9g\\n", x[i]); }
                #define CHECK(call) do { int rc = (call); if (rc) { fprintf(stderr, "%%s: %%s\\n", #call, plib_strerror(rc)); return 1; } } while (0)
                int main(void) {
                    float *a = aligned_alloc(64, %d * 4 + 64), *b = aligned_alloc(64, %d * 4 + 64);
                    float *packed = aligned_alloc(64, %d * 4 + 64), *out = aligned_alloc(64, %d * 4 + 64);
                    fill(a, %d, 0);
                    fill(b, %d, 1);
                    CHECK(plib_%s(a, b, out));
                    print(out, %d);
                    CHECK(plib_%s_pack_%s(b, packed));
                    for (long i = 0; i < %d; i++) b[i] = 1e6f;
                    for (int run = 0; run < 2; run++) {
                        for (long i = 0; i < %d; i++) out[i] = -1;
                        CHECK(plib_%s_prepacked(a, packed, out));
                        print(out, %d);
                    }
                    return 0;
                }
                """.formatted(in0, in1, packed, out, in0, in1, k, out, k, t, in1, out, k, out);
    }
}
