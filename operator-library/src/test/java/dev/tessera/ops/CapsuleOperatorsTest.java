package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.IntImm;
import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.lower.LoopInterpreter;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.schedule.Attachment;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The capsule operators (squash, dynamic routing, capsule conv2d): definitions run by the reference
 * interpreter against plain Java loops in f32, shape errors, and their default and tuned schedules
 * lowered and run by the loop interpreter.
 */
class CapsuleOperatorsTest {
    private static final double RTOL = 1e-5, ATOL = 1e-6;

    private static Map<Tensor, TensorValue> randomInputs(OperatorInstance inst, long seed) {
        Map<Tensor, TensorValue> in = new LinkedHashMap<>();
        for (int i = 0; i < inst.inputs().size(); i++) {
            Tensor t = inst.inputs().get(i);
            in.put(t, TensorValue.random(DType.F32, seed + i, shape(t)));
        }
        return in;
    }

    private static long[] shape(Tensor t) { return t.shape().stream().mapToLong(e -> ((IntImm) e).value()).toArray(); }

    private static TensorValue run(OperatorInstance inst, Map<Tensor, TensorValue> in) {
        return ReferenceInterpreter.run(inst.outputs(), in).get(inst.output());
    }

    // ---- capsule_squash ----

    /** The squash of one capsule in f32, as the operator defines it. */
    static void squash(float[] s, int offset, int d, float[] out) {
        float n2 = 0;
        for (int k = 0; k < d; k++) n2 += s[offset + k] * s[offset + k];
        float scale = n2 / ((n2 + 1f) * (float) Math.sqrt(n2 + (float) CapsuleSquashOp.EPSILON));
        for (int k = 0; k < d; k++) out[offset + k] = s[offset + k] * scale;
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1,1", "3,5,7", "2,10,16", "4,3,33"})
    void squashKeepsTheDirectionAndMapsTheLengthBelowOne(String shape) {
        Operator op = Operators.get("capsule_squash");
        long[] a = op.parseShape(shape);
        OperatorInstance inst = op.build(a);
        Map<Tensor, TensorValue> in = randomInputs(inst, 7);
        double[] data = in.get(inst.inputs().get(0)).data();
        int d = (int) a[2];
        for (int k = 0; k < d; k++) data[k] = 0; // capsule (0, 0) is zero: it squashes to zero, not NaN
        float[] s = toFloats(data), want = new float[s.length];
        for (int c = 0; c < s.length / d; c++) squash(s, c * d, d, want);
        TensorValue got = run(inst, in);
        got.assertAllClose(TensorValue.of(DType.F32, toDoubles(want), a), RTOL, ATOL);
        for (int k = 0; k < d; k++) assertEquals(0.0, got.data()[k], "the zero capsule");
        for (int c = 0; c < s.length / d; c++) {
            double len = 0;
            for (int k = 0; k < d; k++) len += got.data()[c * d + k] * got.data()[c * d + k];
            assertTrue(Math.sqrt(len) < 1, "capsule " + c + " has length " + Math.sqrt(len));
        }
    }

    @Test
    void squashOfALongCapsuleIsNearlyAUnitVector() {
        OperatorInstance inst = Operators.get("capsule_squash").build(new long[] {1, 1, 2});
        TensorValue got = run(inst, Map.of(inst.inputs().get(0), TensorValue.of(DType.F32, new double[] {30, 40}, 1, 1, 2)));
        // |s| = 50: v = 2500/2501 * (0.6, 0.8)
        assertEquals(0.6 * 2500 / 2501, got.data()[0], 1e-6);
        assertEquals(0.8 * 2500 / 2501, got.data()[1], 1e-6);
    }

    // ---- capsule_routing ----

    /** Dynamic routing in plain Java loops, f32, in the order BENCHMARKS.md writes it. */
    static float[] routing(float[] u, float[] w, int nb, int ni, int nj, int ndi, int ndo, int iters) {
        float[] uhat = new float[nb * ni * nj * ndo];
        for (int b = 0; b < nb; b++)
            for (int i = 0; i < ni; i++)
                for (int j = 0; j < nj; j++)
                    for (int o = 0; o < ndo; o++) {
                        float acc = 0;
                        for (int k = 0; k < ndi; k++) acc += w[((i * nj + j) * ndo + o) * ndi + k] * u[(b * ni + i) * ndi + k];
                        uhat[((b * ni + i) * nj + j) * ndo + o] = acc;
                    }
        float[] logits = new float[nb * ni * nj], c = new float[nb * ni * nj], s = new float[nb * nj * ndo], v = new float[nb * nj * ndo];
        for (int t = 1; t <= iters; t++) {
            for (int b = 0; b < nb; b++)
                for (int i = 0; i < ni; i++) {
                    int row = (b * ni + i) * nj;
                    float max = Float.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < nj; j++) max = Math.max(max, logits[row + j]);
                    for (int j = 0; j < nj; j++) sum += (float) Math.exp(logits[row + j] - max);
                    for (int j = 0; j < nj; j++) c[row + j] = (float) Math.exp(logits[row + j] - max) / sum;
                }
            for (int b = 0; b < nb; b++)
                for (int j = 0; j < nj; j++)
                    for (int o = 0; o < ndo; o++) {
                        float acc = 0;
                        for (int i = 0; i < ni; i++) acc += c[(b * ni + i) * nj + j] * uhat[((b * ni + i) * nj + j) * ndo + o];
                        s[(b * nj + j) * ndo + o] = acc;
                    }
            for (int cap = 0; cap < nb * nj; cap++) squash(s, cap * ndo, ndo, v);
            if (t == iters) break;
            for (int b = 0; b < nb; b++)
                for (int i = 0; i < ni; i++)
                    for (int j = 0; j < nj; j++) {
                        float agree = 0;
                        for (int o = 0; o < ndo; o++) agree += uhat[((b * ni + i) * nj + j) * ndo + o] * v[(b * nj + j) * ndo + o];
                        logits[(b * ni + i) * nj + j] += agree;
                    }
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1,1,1,1,1", "3,5,3,4,5,2", "2,7,4,3,6,3", "4,9,10,8,16,1", "5,6,3,2,3,4", "2,40,10,8,16,3"})
    void routingMatchesTheLoopsOfTheBenchmarkDefinition(String shape) {
        Operator op = Operators.get("capsule_routing");
        long[] a = op.parseShape(shape);
        OperatorInstance inst = op.build(a);
        assertEquals(List.of("u", "W"), inst.inputs().stream().map(Tensor::name).toList());
        assertArrayEquals(new long[] {a[0], a[1], a[3]}, shape(inst.inputs().get(0)));
        assertArrayEquals(new long[] {a[1], a[2], a[4], a[3]}, shape(inst.inputs().get(1)));
        assertArrayEquals(new long[] {a[0], a[2], a[4]}, shape(inst.output()));
        Map<Tensor, TensorValue> in = randomInputs(inst, 11);
        float[] want = routing(toFloats(in.get(inst.inputs().get(0)).data()), toFloats(in.get(inst.inputs().get(1)).data()),
                (int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5]);
        run(inst, in).assertAllClose(TensorValue.of(DType.F32, toDoubles(want), a[0], a[2], a[4]), RTOL, ATOL);
    }

    @Test
    void routingIterationsChangeTheResultAndTheFirstIterationWeighsUniformly() {
        Operator op = Operators.get("capsule_routing");
        OperatorInstance one = op.build(new long[] {2, 6, 3, 4, 5, 1}), three = op.build(new long[] {2, 6, 3, 4, 5, 3});
        Map<Tensor, TensorValue> in1 = randomInputs(one, 3);
        Map<Tensor, TensorValue> in3 = Map.of(three.inputs().get(0), in1.get(one.inputs().get(0)), three.inputs().get(1), in1.get(one.inputs().get(1)));
        TensorValue v1 = run(one, in1), v3 = run(three, in3);
        assertTrue(v1.maxAbsDiff(v3) > 1e-4, "routing by agreement moves the output");
        // One iteration: c = 1/J, so v = squash(mean over... sum_i û / J).
        float[] u = toFloats(in1.get(one.inputs().get(0)).data()), w = toFloats(in1.get(one.inputs().get(1)).data());
        float[] sUniform = new float[2 * 3 * 5], vUniform = new float[sUniform.length];
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 3; j++)
                for (int o = 0; o < 5; o++) {
                    double acc = 0;
                    for (int i = 0; i < 6; i++)
                        for (int k = 0; k < 4; k++) acc += w[((i * 3 + j) * 5 + o) * 4 + k] * u[(b * 6 + i) * 4 + k] / 3.0;
                    sUniform[(b * 3 + j) * 5 + o] = (float) acc;
                }
        for (int cap = 0; cap < 6; cap++) squash(sUniform, cap * 5, 5, vUniform);
        v1.assertAllClose(TensorValue.of(DType.F32, toDoubles(vUniform), 2, 3, 5), 1e-4, 1e-5);
    }

    @Test
    void routingShapeErrorsSayWhatIsLegal() {
        Operator op = Operators.get("capsule_routing");
        String iters0 = assertThrows(TesseraUserError.class, () -> op.build(new long[] {2, 4, 3, 4, 5, 0})).getMessage();
        assertEquals("capsule_routing: ITERS (routing iterations) must be between 1 and 16, got 0 (shape B,I,J,DI,DO,ITERS = [2, 4, 3, 4, 5, 0])", iters0);
        assertTrue(assertThrows(TesseraUserError.class, () -> op.build(new long[] {2, 4, 3, 4, 5, 17})).getMessage().contains("between 1 and 16, got 17"));
        String di = assertThrows(TesseraUserError.class, () -> op.build(new long[] {2, 4, 3, 0, 5, 3})).getMessage();
        assertTrue(di.contains("capsule_routing: shape argument DI must be positive, got 0"), di);
        String dout = assertThrows(TesseraUserError.class, () -> op.build(new long[] {2, 4, 3, 4, -5, 3})).getMessage();
        assertTrue(dout.contains("shape argument DO must be positive, got -5"), dout);
        String count = assertThrows(TesseraUserError.class, () -> op.build(new long[] {2, 4, 3, 4, 5})).getMessage();
        assertTrue(count.contains("capsule_routing takes 6 shape arguments B,I,J,DI,DO,ITERS, got 5"), count);
    }

    @Test
    void routingDefaultScheduleIsOneParallelBatchLoopWithEveryStageInside() {
        Operator op = Operators.get("capsule_routing");
        OperatorInstance inst = op.build(op.parseShape("128,1152,10,8,16,3"));
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        Stage out = s.stage("capsule_routing");
        assertEquals(List.of("b.outer", "j", "o", "b.inner"), out.leafNames());
        assertEquals(LoopKind.PARALLEL, out.loopKind(out.axis("b.outer")));
        assertEquals(LoopKind.VECTORIZED, out.loopKind(out.axis("b.inner")));
        for (Stage st : s.stages()) {
            if (st == out) continue;
            if (st.attachment() instanceof Attachment.Inline) {
                assertTrue(st.name().startsWith("caps_logits") || st.name().startsWith("caps_c"), st.name() + " is inlined");
                continue;
            }
            // Every stored stage sits, directly or through its consumers, inside the output's batch-block loop...
            Stage x = st;
            while (x.attachment() instanceof Attachment.At at && at.consumer() != out) x = at.consumer();
            Attachment.At at = assertInstanceOf(Attachment.At.class, x.attachment(), st.name());
            assertTrue(at.axis().name().equals("b.outer") || at.axis().name().equals("j"), st.name() + " at " + at.axis().name());
            // ... with its batch lanes innermost and vectorized.
            List<String> leaves = st.leafNames();
            assertEquals("b.inner", leaves.get(leaves.size() - 1), st.name());
            assertEquals(LoopKind.VECTORIZED, st.loopKind(st.axis("b.inner")), st.name());
        }
        assertEquals("i", ((Attachment.At) s.stage("caps_exp2").attachment()).axis().name());
        assertEquals("caps_s3", ((Attachment.At) s.stage("caps_agree2").attachment()).consumer().name(), "the last agreement is fused into the last weighted sum");
        assertEquals("capsule_routing", ((Attachment.At) s.stage("caps_agree1").attachment()).consumer().name());

        LoweredFunc f = Lower.lower(s, "capsule_routing");
        String ir = IRPrinter.print(f);
        assertEquals(1, count(ir, "parallel for"), ir);
        assertTrue(ir.indexOf("parallel for (b.outer, 0, 8)") < ir.indexOf("allocate caps_u_hat[f32 * 2949120]"), "û for one block of 16, inside the batch loop");
        assertEquals(5, count(ir, "for (i"), "passes over i: û, the three weighted sums (the last with the last agreement), the stored agreement\n" + ir);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int p = text.indexOf(what); p >= 0; p = text.indexOf(what, p + 1)) n++;
        return n;
    }

    // ---- capsule_conv2d ----

    @ParameterizedTest
    @ValueSource(strings = {"1,5,4,3,5,3,2,1", "2,3,3,2,17,2,1,0", "1,6,6,4,8,3,1,1", "1,7,5,1,1,1,1,0", "2,4,6,3,2,3,3,2"})
    void capsuleConv2dMatchesTheAnsorLoopNest(String shape) {
        Operator op = Operators.get("capsule_conv2d");
        long[] a = op.parseShape(shape);
        int n = (int) a[0], h = (int) a[1], w = (int) a[2], ci = (int) a[3], co = (int) a[4], k = (int) a[5], stride = (int) a[6], pad = (int) a[7];
        long[] o = CapsuleConv2dOp.outputSize(a);
        int oh = (int) o[0], ow = (int) o[1];
        OperatorInstance inst = op.build(a);
        assertArrayEquals(new long[] {n, h, w, 4, 4, ci}, shape(inst.inputs().get(0)));
        assertArrayEquals(new long[] {k, k, 4, 4, ci, co}, shape(inst.inputs().get(1)));
        assertArrayEquals(new long[] {n, oh, ow, 4, 4, co}, shape(inst.output()));
        Map<Tensor, TensorValue> in = randomInputs(inst, 21);
        TensorValue x = in.get(inst.inputs().get(0)), wt = in.get(inst.inputs().get(1));
        double[] y = new double[n * oh * ow * 16 * co];
        int p = 0;
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int pi = 0; pi < 4; pi++)
                        for (int pj = 0; pj < 4; pj++)
                            for (int f = 0; f < co; f++) {
                                float acc = 0;
                                for (int rh = 0; rh < k; rh++)
                                    for (int rw = 0; rw < k; rw++)
                                        for (int pk = 0; pk < 4; pk++)
                                            for (int rc = 0; rc < ci; rc++) {
                                                int iy = oy * stride + rh - pad, ix = ox * stride + rw - pad;
                                                float v = iy >= 0 && iy < h && ix >= 0 && ix < w ? (float) x.get(b, iy, ix, pi, pk, rc) : 0f;
                                                acc += v * (float) wt.get(rh, rw, pk, pj, rc, f);
                                            }
                                y[p++] = acc;
                            }
        run(inst, in).assertAllClose(TensorValue.of(DType.F32, y, n, oh, ow, 4, 4, co), RTOL, ATOL);
    }

    @Test
    void capsuleConv2dShapeErrorsSayWhatIsLegal() {
        Operator op = Operators.get("capsule_conv2d");
        op.build(new long[] {1, 4, 4, 2, 2, 3, 1, 0}); // PAD may be 0
        String big = assertThrows(TesseraUserError.class, () -> op.build(new long[] {1, 2, 5, 2, 2, 5, 1, 1})).getMessage();
        assertEquals("capsule_conv2d: the 5x5 kernel does not fit the padded 4x7 input (H=2, W=5, PAD=1); need K <= H + 2*PAD and K <= W + 2*PAD", big);
        String stride = assertThrows(TesseraUserError.class, () -> op.build(new long[] {1, 4, 4, 2, 2, 3, 0, 1})).getMessage();
        assertTrue(stride.contains("shape argument STRIDE must be positive, got 0"), stride);
        String pad = assertThrows(TesseraUserError.class, () -> op.build(new long[] {1, 4, 4, 2, 2, 3, 1, -1})).getMessage();
        assertTrue(pad.contains("shape argument PAD must be non-negative, got -1"), pad);
    }

    // ---- work, traffic, schedules ----

    @Test
    void workAndTrafficFollowTheShapes() {
        // CapsNet: û is 2*1152*10*16*8 per image, the rest is routing.
        long[] caps = {128, 1152, 10, 8, 16, 3};
        double uhat = 2.0 * 1152 * 10 * 16 * 8, perIter = 5.0 * 1152 * 10 + 2.0 * 1152 * 10 * 16 + 10 * (3 * 16 + 5), update = 2.0 * 1152 * 10 * 16 + 1152 * 10;
        assertEquals(128 * (uhat + 3 * perIter + 2 * update), Operators.get("capsule_routing").flops(caps));
        assertEquals(4.0 * (128 * 1152 * 8 + 1152 * 10 * 16 * 8 + 128 * 10 * 16), Operators.get("capsule_routing").bytes(caps));
        // Ansor's first CAP shape: 8x8 outputs, 16 pose entries x 32 channels, each a sum of 3*3*4*32 products.
        assertEquals(2.0 * 64 * 16 * 32 * 9 * 4 * 32, Operators.get("capsule_conv2d").flops(new long[] {1, 16, 16, 32, 32, 3, 2, 1}));
        assertEquals(4.0 * 16 * (16 * 16 * 32 + 9 * 32 * 32 + 64 * 32), Operators.get("capsule_conv2d").bytes(new long[] {1, 16, 16, 32, 32, 3, 2, 1}));
        assertEquals(128 * 10 * (3 * 16 + 5.0), Operators.get("capsule_squash").flops(new long[] {128, 10, 16}));
        assertEquals(4.0 * 2 * 128 * 10 * 16, Operators.get("capsule_squash").bytes(new long[] {128, 10, 16}));
    }

    private static final List<String> CAPSULE_OPS = List.of("capsule_squash", "capsule_routing", "capsule_conv2d");

    @Test
    void theDefaultConfigurationIsTheDefaultSchedule() {
        for (String name : CAPSULE_OPS) {
            Operator op = Operators.get(name);
            for (String shape : op.defaultShapes()) {
                long[] a = op.parseShape(shape);
                OperatorInstance inst = op.build(a);
                Schedule byDefault = Schedule.create(inst.outputs()), tuned = Schedule.create(inst.outputs());
                op.applyDefaultSchedule(byDefault);
                Map<String, Long> defaults = new HashMap<>();
                for (Knob k : op.knobs(a)) defaults.put(k.name(), k.defaultValue());
                op.applyTunedSchedule(tuned, a, defaults);
                assertEquals(byDefault.trace(), tuned.trace(), name + " " + shape);
            }
            String bad = assertThrows(TesseraUserError.class, () -> {
                OperatorInstance inst = op.build(op.parseShape(op.testShapes().get(0)));
                op.applyTunedSchedule(Schedule.create(inst.outputs()), inst.shapeArgs(), Map.of(op.knobs(inst.shapeArgs()).get(0).name(), 3L));
            }).getMessage();
            assertTrue(bad.contains("= 3 is not one of its choices"), bad);
        }
    }

    /**
     * Every value of every knob (one knob changed at a time, on each test shape and the symbolic
     * instance) lowers, and the loop interpreter, which bounds-checks every access, agrees with the
     * reference interpreter.
     */
    @Test
    void everyKnobValueLowersAndComputesTheDefinition() {
        for (String name : CAPSULE_OPS) {
            Operator op = Operators.get(name);
            for (String shape : op.testShapes()) {
                long[] a = op.parseShape(shape);
                List<Map<String, Long>> configs = new ArrayList<>(List.of(Map.of()));
                for (Knob k : op.knobs(a))
                    for (long c : k.choices()) if (c != k.defaultValue()) configs.add(Map.of(k.name(), c));
                for (Map<String, Long> config : configs) {
                    for (boolean symbolic : new boolean[] {false, true}) {
                        OperatorInstance inst = symbolic ? op.buildSymbolic(a) : op.build(a);
                        Schedule s = Schedule.create(inst.outputs());
                        op.applyTunedSchedule(s, a, config);
                        String what = name + " " + shape + (symbolic ? " (symbolic)" : "") + " " + config;
                        checkAgainstReference(inst, Lower.lower(s, name), a[0], what);
                    }
                }
            }
        }
    }

    /** Runs a lowered kernel in the loop interpreter with the leading dimension {@code lead} and compares it with the reference. */
    private static void checkAgainstReference(OperatorInstance inst, LoweredFunc f, long lead, String what) {
        Map<Tensor, TensorValue> in = new LinkedHashMap<>();
        long seed = 5;
        for (Tensor t : inst.inputs()) in.put(t, TensorValue.random(DType.F32, seed++, concrete(t, lead)));
        TensorValue want = ReferenceInterpreter.run(inst.outputs(), in).get(inst.output());
        List<double[]> buffers = new ArrayList<>();
        for (Tensor t : inst.inputs()) buffers.add(in.get(t).data().clone());
        double[] got = new double[(int) want.size()];
        buffers.add(got);
        long[] shapeValues = new long[f.shapeParams().size()];
        java.util.Arrays.fill(shapeValues, lead);
        LoopInterpreter.run(f, buffers, shapeValues);
        String m = want.firstMismatch(TensorValue.of(DType.F32, got, want.shape()), 1e-4, 1e-5);
        assertEquals(null, m, what);
    }

    /**
     * A lowering bug found with capsule_routing, now fixed in BoundsInference. Ten stages, each reading the previous two (a DAG with fan-out, like the routing
     * iterations), all computed inside the output's batch-block loop. When the block has a partial
     * tail (17 = 16 + 1) or a symbolic extent, BoundsInference writes each producer's region with the
     * readers' region expressions substituted in, not their names ({@code t3.b.extent}), so the
     * expressions grew with the number of paths through the DAG: Fibonacci-like, ~8x the IR at depth
     * 10 and ~25x at depth 12, and with a symbolic batch capsule_routing (3 iterations) did not lower
     * within minutes. Now regions are written in terms of their readers' region names.
     */
    @Test
    void regionsOfAStageDagInAPartialBlockStayLinear() {
        int full = IRPrinter.print(Lower.lower(fibonacciDag(10, 32), "dag")).length();
        int partial = IRPrinter.print(Lower.lower(fibonacciDag(10, 17), "dag")).length();
        // The partial block is partitioned into a steady state and a tail: about twice the code, not more.
        assertTrue(partial < 3 * full, "IR of " + partial + " chars with a partial last block, " + full + " with full blocks");
        for (long batch : new long[] {17, 0}) {
            int ten = IRPrinter.print(Lower.lower(fibonacciDag(10, batch), "dag")).length();
            int thirty = IRPrinter.print(Lower.lower(fibonacciDag(30, batch), "dag")).length();
            assertTrue(thirty < 5 * ten, (batch == 0 ? "symbolic batch" : "batch " + batch) + ": IR of " + thirty + " chars at depth 30, " + ten + " at depth 10");
        }
    }

    /**
     * t0 = x transposed; t_d = t_{d-1} + t_{d-2}; out = last, batch blocks of 16 in parallel, every
     * t_d computed per block. Batch 0 stands for a symbolic batch.
     */
    private static Schedule fibonacciDag(int depth, long batchSize) {
        dev.tessera.ir.Expr batch = batchSize == 0 ? dev.tessera.dsl.Te.shapeVar("batch") : dev.tessera.dsl.Te.c(batchSize);
        Tensor x = dev.tessera.dsl.Te.placeholder("x", DType.F32, batch, dev.tessera.dsl.Te.c(4));
        List<Tensor> chain = new ArrayList<>();
        chain.add(dev.tessera.dsl.Te.compute("t0", List.of(dev.tessera.dsl.Te.c(4), batch), List.of("j", "b"),
                v -> x.at(v.get(1), v.get(0))));
        for (int d = 1; d < depth; d++) {
            Tensor p = chain.get(d - 1), q = chain.get(Math.max(0, d - 2));
            chain.add(dev.tessera.dsl.Te.compute("t" + d, List.of(dev.tessera.dsl.Te.c(4), batch), List.of("j", "b"),
                    v -> p.at(v.get(0), v.get(1)).add(q.at(v.get(0), v.get(1)))));
        }
        Tensor last = chain.get(depth - 1);
        Tensor out = dev.tessera.dsl.Te.compute("out", List.of(batch, dev.tessera.dsl.Te.c(4)), List.of("b", "j"),
                v -> last.at(v.get(1), v.get(0)));
        Schedule s = Schedule.create(out);
        Stage o = s.stage("out");
        Stage.Parts b = o.split("b", 16);
        o.parallel(b.outer());
        for (Tensor t : chain) s.stage(t).computeAt(o, b.outer());
        return s;
    }

    private static long[] concrete(Tensor t, long lead) {
        return t.shape().stream().mapToLong(e -> e instanceof IntImm i ? i.value() : lead).toArray();
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
