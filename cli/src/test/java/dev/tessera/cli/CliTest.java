package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end tests of the tessera command, run in-process. */
class CliTest {
    record Run(int exit, String out, String err) {}

    static synchronized Run tessera(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int exit = Main.run(args);
            return new Run(exit, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test void opsListsEveryOperatorWithItsShapeArguments() {
        Run r = tessera("ops");
        assertEquals(0, r.exit());
        for (String line : new String[] {"add ", "reduce_sum", "softmax", "matmul", "conv2d"}) assertTrue(r.out().contains(line), r.out());
        assertTrue(r.out().contains("M,N,K"), r.out());
        assertTrue(r.out().contains("N,C,H,W,F,KH,KW,stride,pad"), r.out());
    }

    @Test void benchJsonReportsTimeThroughputAndError() throws Exception {
        Run r = tessera("bench", "matmul", "--shape", "48,40,24", "--json", "--repeats", "3", "--warmup", "1");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out().trim());
        assertEquals("matmul", j.get("operator").asText());
        assertTrue(j.get("median_ms").asDouble() > 0);
        assertTrue(j.get("gflops").asDouble() > 0);
        assertTrue(j.get("max_abs_error").asDouble() < 1e-4, r.out());
        assertEquals(48 * 40, j.get("checked_points").asInt(), "small outputs are checked completely");
    }

    @Test void benchWithAPrepackKnobTimesCallsWithTheWeightsPackedOnceAhead() {
        Run r = tessera("bench", "dense", "--shape", "16,40,9", "--knob", "prepack_b=1", "--repeats", "3", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("prepacked: B packed once ahead of the timed calls (the packing is not in the times)"), r.out());
        assertTrue(r.out().contains("max abs error vs reference"), r.out());
    }

    @Test void benchTextForAMemoryBoundOperator() {
        Run r = tessera("bench", "softmax", "--shape", "33,70", "--repeats", "3");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("median"), r.out());
        assertTrue(r.out().contains("GB/s"), r.out());
        assertTrue(r.out().contains("max abs error vs reference"), r.out());
    }

    @Test void lowerPrintsTheLoopNest() {
        Run r = tessera("lower", "softmax", "--shape", "4,32");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("func softmax(X: f32[4, 32], softmax: f32[4, 32])"), r.out());
        assertTrue(r.out().contains("parallel for (i, 0, 4)"), r.out());
        assertTrue(r.out().contains("ramp("), "vectorized: " + r.out());
    }

    @Test void lowerDumpsEveryPass() {
        Run r = tessera("lower", "add", "--shape", "8,8", "--dump-passes");
        assertEquals(0, r.exit(), r.err());
        for (String pass : new String[] {"schedule_to_loops", "bounds_inference", "storage_flattening", "vectorize_loops", "final"})
            assertTrue(r.out().contains("// ---- after " + pass), pass);
    }

    @Test void lowerOnAGpuTargetPrintsTheHostStepsAndEachKernel(@TempDir Path dir) throws Exception {
        Run r = tessera("lower", "softmax", "--shape", "N,128", "--target", "cuda");
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.startsWith("func softmax(X: f32[M, 128], softmax: f32[M, 128], M: i64) {\n"
                + "  launch softmax_kernel0(X, softmax, M) grid (M, 1, 1) block (32, 1, 1) shared 768 bytes\n}\n"), out);
        // One block per row: the row staged in shared memory, max and sum shared by the block's 32 threads.
        assertTrue(out.contains("\nkernel softmax_kernel0(X: f32*, softmax: f32*, M: i64) block (32, 1, 1) {\n  shared X.cache[f32 * 128]\n"), out);
        assertTrue(out.contains("""
                    cross_thread_reduce max over threadIdx.x < 32 of softmax_max.partial via softmax_max.partial.tree {
                      softmax_max[0] = max(softmax_max[0], softmax_max.partial[0])
                    }
                """), out);

        // Intermediates computed at root: allocated in global memory by the host, one launch per stage.
        Run squash = tessera("lower", "capsule_squash", "--shape", "N,10,16", "--target", "cuda");
        assertEquals(0, squash.exit(), squash.err());
        assertTrue(squash.out().contains("  allocate global capsule_squash_norm2[f32 * B*10] {\n"
                + "    launch capsule_squash_kernel0(s, capsule_squash_norm2, B) grid (1, (capsule_squash_norm2.b.extent + 7)/8, 1) block (32, 8, 1)\n"), squash.out());

        // 16 x 16 threads per block; the block's 32 x 16 columns of B staged in shared memory, loaded by all its threads.
        Path sharedTile = dir.resolve("shared.json");
        Files.writeString(sharedTile, """
                [{"step":"gpu_tile","stage":"matmul","x":"i","y":"j","xFactor":16,"yFactor":16},
                 {"step":"compute_at","stage":"matmul_acc","consumer":"matmul","axis":"j.inner"},
                 {"step":"cache_read","tensor":"B","readers":["matmul_acc"]},
                 {"step":"compute_at","stage":"B.cache","consumer":"matmul","axis":"j.outer"},
                 {"step":"fuse","stage":"B.cache","outer":"i0","inner":"i1"},
                 {"step":"split","stage":"B.cache","axis":"i0.i1.fused","factor":16,"nparts":0,"tail":"guard"},
                 {"step":"split","stage":"B.cache","axis":"i0.i1.fused.outer","factor":16,"nparts":0,"tail":"guard"},
                 {"step":"bind","stage":"B.cache","axis":"i0.i1.fused.inner","thread":"threadIdx.x"},
                 {"step":"bind","stage":"B.cache","axis":"i0.i1.fused.outer.inner","thread":"threadIdx.y"}]""");
        Run shared = tessera("lower", "matmul", "--shape", "32,32,32", "--target", "opencl", "--dump-passes", "--schedule", sharedTile.toString());
        assertEquals(0, shared.exit(), shared.err());
        String s = shared.out();
        assertTrue(s.indexOf("// ---- after schedule_to_loops") < s.indexOf("// ---- after final")
                && s.indexOf("// ---- after final") < s.indexOf("// ---- device program (split_host_device, inject_barriers)"), s);
        String program = s.substring(s.indexOf("// ---- device program"));
        assertTrue(program.contains("  launch matmul_kernel0(A, B, matmul) grid (2, 2, 1) block (16, 16, 1) shared 2048 bytes\n"), program);
        assertTrue(program.contains("kernel matmul_kernel0(A: f32*, B: f32*, matmul: f32*) block (16, 16, 1) {\n  shared B.cache[f32 * 512]\n  local matmul_acc[f32 * 1]\n"), program);
        assertTrue(program.contains("""
                          threadIdx.x for (i0.i1.fused.inner, 0, 16) {
                            let i0 = (i0.i1.fused.outer.outer*16) + i0.i1.fused.outer.inner
                            let i1 = B.cache.i1.min + i0.i1.fused.inner
                            B.cache[((i0*16) + i1) - B.cache.i1.min] = B[(i0*32) + i1]
                          }
                        }
                      }
                      barrier
                """), program);

        // The launch is checked against the device (a typical one where none is present): 2048 threads in one block.
        Path tooBig = dir.resolve("big.json");
        Files.writeString(tooBig, "[{\"step\":\"gpu_tile\",\"stage\":\"matmul\",\"x\":\"i\",\"y\":\"j\",\"xFactor\":32,\"yFactor\":64},"
                + "{\"step\":\"compute_at\",\"stage\":\"matmul_acc\",\"consumer\":\"matmul\",\"axis\":\"j.inner\"}]");
        Run big = tessera("lower", "matmul", "--shape", "64,64,64", "--target", "cuda", "--schedule", tooBig.toString());
        assertEquals(2, big.exit());
        assertTrue(big.err().contains("uses 2048 threads per block (64 x 32 x 1), more than the limit of 1024 threads per block"), big.err());
    }

    @Test void sourcePrintsLlvmIrWithVectorCode() {
        Run r = tessera("source", "add", "--shape", "16,64", "--target", "llvm");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("define"), r.out());
        assertTrue(r.out().contains("<16 x float>"), r.out());
    }

    @Test void sourcePrintsCudaAndOpenClKernels() {
        Run cuda = tessera("source", "matmul", "--shape", "256,256,64", "--target", "cuda");
        assertEquals(0, cuda.exit(), cuda.err());
        assertTrue(cuda.out().contains("extern \"C\" __global__ void matmul_kernel0("), cuda.out());
        assertTrue(cuda.out().contains("blockIdx.x") && cuda.out().contains("threadIdx.x"), cuda.out());
        // --schedule default on a GPU target is the operator's GPU schedule: matmul stages its panels in shared memory.
        assertTrue(cuda.out().contains("__shared__ __align__(16) float A_cache[") && cuda.out().contains("__syncthreads();"), cuda.out());
        Run opencl = tessera("source", "softmax", "--shape", "64,128", "--target", "opencl");
        assertEquals(0, opencl.exit(), opencl.err());
        assertTrue(opencl.out().contains("__kernel void softmax_kernel0(") && opencl.out().contains("get_group_id(0)"), opencl.out());
        Run tuned = tessera("source", "matmul", "--shape", "8,8,8", "--target", "cuda", "--knob", "tile_rows=2");
        assertEquals(2, tuned.exit());
        assertTrue(tuned.err().contains("--schedule tuned (and --knob) is for the CPU"), tuned.err());
    }

    @Test void benchRunsOnOpenClWhereADeviceIsPresent() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.tessera.target.opencl.OpenClRuntime.unavailableReason().isEmpty(),
                () -> "no OpenCL device: " + dev.tessera.target.opencl.OpenClRuntime.unavailableReason().orElse(""));
        Run r = tessera("bench", "matmul", "--shape", "32,48,16", "--target", "opencl", "--repeats", "3", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("(opencl, device time)"), r.out());
        assertTrue(r.out().matches("(?s).*max abs error vs reference: [0-9.e-]+ .*"), r.out());
    }

    @Test void aTraceCanBeEditedAndReplayed(@TempDir Path dir) throws Exception {
        Run t = tessera("trace", "matmul", "--shape", "32,32,32");
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("\"step\":\"compute_at\""), t.out());
        Path file = dir.resolve("s.json");
        Files.writeString(file, t.out());
        Run b = tessera("bench", "matmul", "--shape", "32,32,32", "--schedule", file.toString(), "--json", "--repeats", "2");
        assertEquals(0, b.exit(), b.err());
        assertTrue(b.out().contains("\"max_abs_error\":0.0") || b.out().contains("\"max_abs_error\""), b.out());
    }

    @Test void userErrorsAreMessagesNotStackTraces(@TempDir Path dir) throws Exception {
        Run unknown = tessera("bench", "gemm");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown operator 'gemm'; known operators: add, reduce_sum, softmax, matmul, conv2d"), unknown.err());
        assertTrue(!unknown.err().contains("\tat "), "no stack trace: " + unknown.err());

        Run shape = tessera("bench", "matmul", "--shape", "64,64");
        assertEquals(2, shape.exit());
        assertTrue(shape.err().contains("matmul takes 3 shape arguments M,N,K"), shape.err());

        Run target = tessera("bench", "add", "--shape", "8,8", "--target", "tpu");
        assertEquals(2, target.exit());
        assertTrue(target.err().contains("unknown target 'tpu'"), target.err());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[{\"step\":\"split\",\"stage\":\"matmul\",\"axis\":\"q\",\"factor\":4,\"nparts\":0,\"tail\":\"guard\"}]");
        Run sched = tessera("lower", "matmul", "--shape", "8,8,8", "--schedule", bad.toString());
        assertEquals(2, sched.exit());
        assertTrue(sched.err().contains("split(matmul, q, factor=4)") && sched.err().contains("[i, j]"), sched.err());

        Run missing = tessera("lower", "matmul", "--schedule", dir.resolve("nope.json").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("cannot read schedule file"), missing.err());
    }
}
