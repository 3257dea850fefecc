package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each operator's definition, run by the reference interpreter, against a plain Java loop nest in f32. */
class OperatorDefinitionsTest {
    private static final double RTOL = 1e-5, ATOL = 1e-6;

    /** Random inputs (seeded by position) for every input of an instance, with the given shapes. */
    private static Map<Tensor, TensorValue> randomInputs(OperatorInstance inst, long[]... shapes) {
        Map<Tensor, TensorValue> in = new HashMap<>();
        for (int i = 0; i < inst.inputs().size(); i++) in.put(inst.inputs().get(i), TensorValue.random(DType.F32, 100 + i, shapes[i]));
        return in;
    }

    private static TensorValue run(OperatorInstance inst, Map<Tensor, TensorValue> in) {
        return ReferenceInterpreter.run(inst.outputs(), in).get(inst.output());
    }

    private static TensorValue expected(long[] shape, double[] data) { return TensorValue.of(DType.F32, data, shape); }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "3,5", "16,16", "7,33", "64,17"})
    void addBroadcastsTheRow(String shape) {
        Operator op = Operators.get("add");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = randomInputs(inst, new long[] {m, n}, new long[] {n});
        double[] a = in.get(inst.inputs().get(0)).data(), b = in.get(inst.inputs().get(1)).data();
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[i * n + j] = (float) a[i * n + j] + (float) b[j];
        run(inst, in).assertAllClose(expected(new long[] {m, n}, c), RTOL, ATOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "4,9", "13,64", "32,1000"})
    void reduceSumSumsRows(String shape) {
        Operator op = Operators.get("reduce_sum");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = randomInputs(inst, new long[] {m, n});
        double[] a = in.get(inst.inputs().get(0)).data();
        double[] b = new double[m];
        for (int i = 0; i < m; i++) {
            float acc = 0;
            for (int k = 0; k < n; k++) acc += (float) a[i * n + k];
            b[i] = acc;
        }
        run(inst, in).assertAllClose(expected(new long[] {m}, b), RTOL, ATOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "2,7", "5,64", "9,130"})
    void softmaxMatchesTheLoopAndRowsSumToOne(String shape) {
        Operator op = Operators.get("softmax");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = randomInputs(inst, new long[] {m, n});
        double[] x = in.get(inst.inputs().get(0)).data();
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) max = Math.max(max, (float) x[i * n + k]);
            float[] e = new float[n];
            float sum = 0;
            for (int k = 0; k < n; k++) {
                e[k] = (float) Math.exp((float) x[i * n + k] - max);
                sum += e[k];
            }
            for (int j = 0; j < n; j++) y[i * n + j] = e[j] / sum;
        }
        TensorValue out = run(inst, in);
        out.assertAllClose(expected(new long[] {m, n}, y), RTOL, ATOL);
        for (int i = 0; i < m; i++) {
            double rowSum = 0;
            for (int j = 0; j < n; j++) rowSum += out.get(i, j);
            assertEquals(1.0, rowSum, 1e-5, "row " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1,1", "8,32,16", "7,5,3", "33,17,65", "2,40,1"})
    void matmulMatchesTheTripleLoop(String shape) {
        Operator op = Operators.get("matmul");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1], kk = (int) s[2];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = randomInputs(inst, new long[] {m, kk}, new long[] {kk, n});
        double[] a = in.get(inst.inputs().get(0)).data(), b = in.get(inst.inputs().get(1)).data();
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int k = 0; k < kk; k++) acc += (float) a[i * kk + k] * (float) b[k * n + j];
                c[i * n + j] = acc;
            }
        run(inst, in).assertAllClose(expected(new long[] {m, n}, c), RTOL, ATOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1,5,5,1,3,3,1,1", "2,3,7,9,4,3,3,2,1", "1,2,8,8,3,3,3,2,0", "2,3,6,5,2,1,1,1,0",
            "1,4,9,7,5,5,3,1,2", "1,1,4,4,1,2,2,3,0"})
    void conv2dMatchesTheLoopNest(String shape) {
        Operator op = Operators.get("conv2d");
        long[] s = op.parseShape(shape);
        int n = (int) s[0], c = (int) s[1], h = (int) s[2], w = (int) s[3], f = (int) s[4], kh = (int) s[5], kw = (int) s[6],
                stride = (int) s[7], pad = (int) s[8];
        long[] o = Conv2dOp.outputSize(s);
        int oh = (int) o[0], ow = (int) o[1];
        OperatorInstance inst = op.build(s);
        assertArrayEquals(new long[] {n, f, oh, ow}, inst.output().shape().stream().mapToLong(e -> ((dev.tessera.ir.IntImm) e).value()).toArray());
        Map<Tensor, TensorValue> in = randomInputs(inst, new long[] {n, c, h, w}, new long[] {f, c, kh, kw});
        TensorValue x = in.get(inst.inputs().get(0)), wt = in.get(inst.inputs().get(1));
        double[] y = new double[n * f * oh * ow];
        for (int b = 0; b < n; b++)
            for (int ff = 0; ff < f; ff++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = 0;
                        for (int rc = 0; rc < c; rc++)
                            for (int ry = 0; ry < kh; ry++)
                                for (int rx = 0; rx < kw; rx++) {
                                    int iy = oy * stride + ry - pad, ix = ox * stride + rx - pad;
                                    float v = iy >= 0 && iy < h && ix >= 0 && ix < w ? (float) x.get(b, rc, iy, ix) : 0f;
                                    acc += v * (float) wt.get(ff, rc, ry, rx);
                                }
                        y[((b * f + ff) * oh + oy) * ow + ox] = acc;
                    }
        run(inst, in).assertAllClose(expected(new long[] {n, f, oh, ow}, y), RTOL, ATOL);
    }

    @Test
    void symbolicInstancesBindTheLeadingDimensionFromTheInputs() {
        OperatorInstance mm = Operators.get("matmul").buildSymbolic(new long[] {0, 6, 4});
        assertEquals(1, mm.shapeVars().size());
        assertEquals(OperatorInstance.SYMBOLIC, mm.shapeArgs()[0]);
        OperatorInstance concrete = Operators.get("matmul").build(new long[] {3, 6, 4});
        for (long m : new long[] {1, 3, 10}) {
            Map<Tensor, TensorValue> in = randomInputs(mm, new long[] {m, 4}, new long[] {4, 6});
            TensorValue out = run(mm, in);
            assertArrayEquals(new long[] {m, 6}, out.shape());
            if (m == 3) {
                Map<Tensor, TensorValue> cin = Map.of(concrete.inputs().get(0), in.get(mm.inputs().get(0)),
                        concrete.inputs().get(1), in.get(mm.inputs().get(1)));
                assertEquals(run(concrete, cin), out);
            }
        }
        for (Operator op : Operators.all()) {
            OperatorInstance inst = op.buildSymbolic();
            assertEquals(1, inst.shapeVars().size(), op.name());
            assertEquals(inst.shapeVars().get(0), inst.inputs().get(0).shape().get(0), op.name());
        }
        String wrong = assertThrows(TesseraUserError.class, () -> ReferenceInterpreter.run(mm.outputs(),
                randomInputs(mm, new long[] {3, 5}, new long[] {4, 6}))).getMessage();
        assertTrue(wrong.contains("input A has shape [3, 5]"), wrong);
    }

    @Test
    void sampledPointsOfLargeInstancesAgreeWithTheLoop() {
        OperatorInstance sm = Operators.get("softmax").build(new long[] {4096, 1024});
        Map<Tensor, TensorValue> in = randomInputs(sm, new long[] {4096, 1024});
        ReferenceInterpreter interp = new ReferenceInterpreter(sm.outputs(), in);
        TensorValue x = in.get(sm.inputs().get(0));
        for (int s = 0; s < 50; s++) {
            int i = (s * 977) % 4096, j = (s * 131) % 1024;
            float max = Float.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < 1024; k++) max = Math.max(max, (float) x.get(i, k));
            for (int k = 0; k < 1024; k++) sum += (float) Math.exp((float) x.get(i, k) - max);
            float want = (float) Math.exp((float) x.get(i, j) - max) / sum;
            assertEquals(want, interp.evaluateAt(sm.output(), i, j), 1e-7);
        }
    }
}
