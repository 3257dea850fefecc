package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.interp.TensorValue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** batch_matmul, dense and f64 matmul, run by the reference interpreter, against Java loops and hand-computed values. */
class MatmulFamilyDefinitionsTest {
    private static final double RTOL = 1e-5, ATOL = 1e-6;
    /** f64 results are exact to within a few ulps of the Java loop's (the same summation order). */
    private static final double RTOL64 = 1e-13, ATOL64 = 1e-14;

    @ParameterizedTest
    @ValueSource(strings = {"1,1,1,1", "3,5,19,7", "2,16,8,33"})
    void batchMatmulMultipliesEachPairOfTheBatch(String shape) {
        Operator op = Operators.get("batch_matmul");
        long[] s = op.parseShape(shape);
        int bs = (int) s[0], m = (int) s[1], n = (int) s[2], kk = (int) s[3];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[] a = Interp.data(inst, in, 0), b = Interp.data(inst, in, 1);
        double[] c = new double[bs * m * n];
        for (int x = 0; x < bs; x++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    float acc = 0;
                    for (int k = 0; k < kk; k++) acc += (float) a[(x * m + i) * kk + k] * (float) b[(x * kk + k) * n + j];
                    c[(x * m + i) * n + j] = acc;
                }
        Interp.assertClose(inst, Interp.run(inst, in), c, RTOL, ATOL);
    }

    @Test
    void batchMatmulByHand() {
        OperatorInstance inst = Operators.get("batch_matmul").build(new long[] {2, 1, 2, 2});
        // batch 0: [1 2] . [[1 0] [0 1]] = [1 2]; batch 1: [1 1] . [[2 3] [4 5]] = [6 8]
        TensorValue out = Interp.run(inst, Interp.inputs(inst, new double[] {1, 2, 1, 1}, new double[] {1, 0, 0, 1, 2, 3, 4, 5}));
        Interp.assertClose(inst, out, new double[] {1, 2, 6, 8}, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "relu", "gelu"})
    void denseAddsTheBiasAndAppliesTheActivation(String activation) {
        Operator op = Operators.get("dense").withAttributes(Map.of("activation", activation));
        assertEquals("dense[activation=" + activation + "]", op.describe());
        int m = 7, n = 21, kk = 5;
        OperatorInstance inst = op.build(new long[] {m, n, kk});
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[] a = Interp.data(inst, in, 0), b = Interp.data(inst, in, 1), bias = Interp.data(inst, in, 2);
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float acc = 0;
                for (int k = 0; k < kk; k++) acc += (float) a[i * kk + k] * (float) b[k * n + j];
                double z = acc + (float) bias[j];
                y[i * n + j] = switch (activation) {
                    case "relu" -> Math.max(z, 0);
                    case "gelu" -> 0.5 * z * (1 + erf(z / Math.sqrt(2)));
                    default -> z;
                };
            }
        Interp.assertClose(inst, Interp.run(inst, in), y, 1e-5, 1e-5);
    }

    @Test
    void denseByHand() {
        Operator relu = Operators.get("dense").withAttributes(Map.of("activation", "relu"));
        OperatorInstance inst = relu.build(new long[] {1, 3, 2});
        // A = [1 -1], B = [[1 2 3] [2 2 2]] -> A.B = [-1 0 1]; + bias [0.5 -0.5 -2] = [-0.5 -0.5 -1] -> relu = [0 0 0]
        TensorValue out = Interp.run(inst, Interp.inputs(inst, new double[] {1, -1}, new double[] {1, 2, 3, 2, 2, 2}, new double[] {0.5, -0.5, -2}));
        Interp.assertClose(inst, out, new double[] {0, 0, 0}, 0, 0);
        OperatorInstance none = Operators.get("dense").build(new long[] {1, 3, 2});
        out = Interp.run(none, Interp.inputs(none, new double[] {1, -1}, new double[] {1, 2, 3, 2, 2, 2}, new double[] {0.5, -0.5, -2}));
        Interp.assertClose(none, out, new double[] {-0.5, -0.5, -1}, 0, 0);
        // gelu(1) = 0.8413447..., gelu(-1) = -0.1586552...
        OperatorInstance gelu = Operators.get("dense").withAttributes(Map.of("activation", "gelu")).build(new long[] {1, 2, 1});
        out = Interp.run(gelu, Interp.inputs(gelu, new double[] {1}, new double[] {1, -1}, new double[] {0, 0}));
        Interp.assertClose(gelu, out, new double[] {0.8413447460685429, -0.15865525393145707}, 1e-6, 1e-7);
    }

    @ParameterizedTest
    @ValueSource(strings = {"matmul", "batch_matmul", "dense"})
    void f64InstancesComputeInDoublePrecision(String name) {
        Operator op = Operators.get(name);
        assertEquals(List.of(DType.F32, DType.F64), op.dtypes());
        long[] s = name.equals("batch_matmul") ? new long[] {2, 5, 9, 33} : new long[] {5, 9, 33};
        OperatorInstance inst = op.build(s, DType.F64);
        for (Tensor t : inst.inputs()) assertEquals(DType.F64, t.dtype(), t.name());
        assertEquals(DType.F64, inst.output().dtype());
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        int batch = name.equals("batch_matmul") ? (int) s[0] : 1, off = name.equals("batch_matmul") ? 1 : 0;
        int m = (int) s[off], n = (int) s[off + 1], kk = (int) s[off + 2];
        double[] a = Interp.data(inst, in, 0), b = Interp.data(inst, in, 1);
        double[] c = new double[batch * m * n];
        for (int x = 0; x < batch; x++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int k = 0; k < kk; k++) acc += a[(x * m + i) * kk + k] * b[(x * kk + k) * n + j];
                    if (name.equals("dense")) acc += Interp.data(inst, in, 2)[j];
                    c[(x * m + i) * n + j] = acc;
                }
        TensorValue out = Interp.run(inst, in);
        Interp.assertClose(inst, out, c, RTOL64, ATOL64);
        // The same inputs rounded to f32 give a result that differs from the f64 one by f32 rounding, not more.
        OperatorInstance f32 = op.build(s);
        Map<Tensor, TensorValue> in32 = new java.util.LinkedHashMap<>();
        for (int i = 0; i < f32.inputs().size(); i++)
            in32.put(f32.inputs().get(i), TensorValue.of(DType.F32, in.get(inst.inputs().get(i)).data(), Interp.shape(f32.inputs().get(i))));
        double diff = Interp.run(f32, in32).maxAbsDiff(TensorValue.of(DType.F32, out.data(), out.shape()));
        assertEquals(0, diff, 1e-5);
    }

    /** The scalar erf every interpreter uses (denseByHand checks gelu at +-1 against known values independently). */
    static double erf(double x) { return dev.tessera.ir.ScalarMath.erf(x); }
}
