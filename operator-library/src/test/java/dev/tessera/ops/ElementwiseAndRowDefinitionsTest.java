package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.TensorValue;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The elementwise, broadcast, reduction, transpose and row operators, run by the reference
 * interpreter, against Java loops and hand-computed values.
 */
class ElementwiseAndRowDefinitionsTest {
    private static final double RTOL = 1e-5, ATOL = 1e-6;

    @Test
    void reluAndGeluByHand() {
        double[] x = {-2, -1, -0.5, 0, 0.5, 1, 2, 3};
        OperatorInstance relu = Operators.get("relu").build(new long[] {2, 4});
        Interp.assertClose(relu, Interp.run(relu, Interp.inputs(relu, x)), new double[] {0, 0, 0, 0, 0.5, 1, 2, 3}, 0, 0);
        // PyTorch: torch.nn.functional.gelu(x) and gelu(x, approximate='tanh')
        OperatorInstance gelu = Operators.get("gelu").build(new long[] {2, 4});
        double[] exact = {-0.04550026389635842, -0.15865525393145707, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429,
                1.9544997361036416, 2.9959502751177644};
        Interp.assertClose(gelu, Interp.run(gelu, Interp.inputs(gelu, x)), exact, 1e-6, 1e-7);
        OperatorInstance tanh = Operators.get("gelu").withAttributes(Map.of("approximate", "tanh")).build(new long[] {2, 4});
        double[] approx = new double[x.length];
        for (int i = 0; i < x.length; i++)
            approx[i] = 0.5 * x[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x[i] + 0.044715 * x[i] * x[i] * x[i])));
        Interp.assertClose(tanh, Interp.run(tanh, Interp.inputs(tanh, x)), approx, 1e-6, 1e-7);
        assertEquals(-0.15880800939172324, approx[1], 1e-12); // PyTorch's value at -1
    }

    @ParameterizedTest
    @CsvSource({"add,row", "add,none", "add,column", "add,scalar", "multiply,row", "multiply,none", "multiply,column", "multiply,scalar"})
    void binaryOperatorsBroadcastB(String name, String broadcast) {
        Operator op = Operators.get(name).withAttributes(Map.of("broadcast", broadcast));
        int m = 5, n = 7;
        OperatorInstance inst = op.build(new long[] {m, n});
        long[] bShape = switch (broadcast) {
            case "row" -> new long[] {n};
            case "none" -> new long[] {m, n};
            case "column" -> new long[] {m};
            default -> new long[] {1};
        };
        assertArrayEquals(bShape, Interp.shape(inst.inputs().get(1)));
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[] a = Interp.data(inst, in, 0), b = Interp.data(inst, in, 1);
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                float bv = (float) b[switch (broadcast) {
                    case "row" -> j;
                    case "none" -> i * n + j;
                    case "column" -> i;
                    default -> 0;
                }];
                c[i * n + j] = name.equals("add") ? (float) a[i * n + j] + bv : (float) a[i * n + j] * bv;
            }
        Interp.assertClose(inst, Interp.run(inst, in), c, RTOL, ATOL);
        assertEquals(4.0 * (2 * m * n + java.util.Arrays.stream(bShape).reduce(1, (x, y) -> x * y)), op.bytes(new long[] {m, n}));
    }

    @Test
    void reductionsByHand() {
        double[] x = {1, -2, 3, 0.5, 4, -6, 7, 8};
        OperatorInstance mean = Operators.get("reduce_mean").build(new long[] {2, 4});
        Interp.assertClose(mean, Interp.run(mean, Interp.inputs(mean, x)), new double[] {0.625, 3.25}, 0, 0);
        OperatorInstance max = Operators.get("reduce_max").build(new long[] {2, 4});
        Interp.assertClose(max, Interp.run(max, Interp.inputs(max, x)), new double[] {3, 8}, 0, 0);
        OperatorInstance allNegative = Operators.get("reduce_max").build(new long[] {1, 3});
        Interp.assertClose(allNegative, Interp.run(allNegative, Interp.inputs(allNegative, new double[] {-5, -3, -4})), new double[] {-3}, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "4,9", "13,64", "17,5"})
    void reductionsMatchTheLoop(String shape) {
        for (String name : new String[] {"reduce_mean", "reduce_max"}) {
            Operator op = Operators.get(name);
            long[] s = op.parseShape(shape);
            int m = (int) s[0], n = (int) s[1];
            OperatorInstance inst = op.build(s);
            Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
            double[] a = Interp.data(inst, in, 0);
            double[] want = new double[m];
            for (int i = 0; i < m; i++) {
                float acc = name.equals("reduce_max") ? Float.NEGATIVE_INFINITY : 0;
                for (int k = 0; k < n; k++) acc = name.equals("reduce_max") ? Math.max(acc, (float) a[i * n + k]) : acc + (float) a[i * n + k];
                want[i] = name.equals("reduce_max") ? acc : acc / (float) n;
            }
            Interp.assertClose(inst, Interp.run(inst, in), want, RTOL, ATOL);
        }
    }

    @Test
    void transposeSwapsTheAxes() {
        OperatorInstance byHand = Operators.get("transpose").build(new long[] {2, 3});
        assertArrayEquals(new long[] {3, 2}, Interp.shape(byHand.output()));
        Interp.assertClose(byHand, Interp.run(byHand, Interp.inputs(byHand, new double[] {1, 2, 3, 4, 5, 6})), new double[] {1, 4, 2, 5, 3, 6}, 0, 0);
        OperatorInstance inst = Operators.get("transpose").build(new long[] {19, 13});
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        TensorValue a = in.get(inst.inputs().get(0)), t = Interp.run(inst, in);
        for (int i = 0; i < 13; i++) for (int j = 0; j < 19; j++) assertEquals(a.get(j, i), t.get(i, j));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "2,7", "5,64", "9,130"})
    void logSoftmaxMatchesTheLoopAndExponentiatesToRowsSummingToOne(String shape) {
        Operator op = Operators.get("log_softmax");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[] x = Interp.data(inst, in, 0);
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < n; k++) max = Math.max(max, x[i * n + k]);
            for (int k = 0; k < n; k++) sum += Math.exp(x[i * n + k] - max);
            for (int j = 0; j < n; j++) y[i * n + j] = x[i * n + j] - max - Math.log(sum);
        }
        TensorValue out = Interp.run(inst, in);
        Interp.assertClose(inst, out, y, RTOL, 1e-5);
        for (int i = 0; i < m; i++) {
            double rowSum = 0;
            for (int j = 0; j < n; j++) rowSum += Math.exp(out.get(i, j));
            assertEquals(1.0, rowSum, 1e-5, "row " + i);
        }
    }

    @Test
    void logSoftmaxIsStableForLargeInputs() {
        OperatorInstance inst = Operators.get("log_softmax").build(new long[] {1, 3});
        // log_softmax([1000, 1001, 1002]) = [-2.4076059, -1.4076059, -0.4076059]; a naive log(sum exp) overflows.
        TensorValue out = Interp.run(inst, Interp.inputs(inst, new double[] {1000, 1001, 1002}));
        Interp.assertClose(inst, out, new double[] {-2.4076059644443806, -1.4076059644443806, -0.4076059644443806}, 1e-6, 1e-6);
    }

    @Test
    void layernormByHand() {
        // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25; gamma [1, 1, 2, 2], beta [0, 1, 0, 1].
        OperatorInstance inst = Operators.get("layernorm").build(new long[] {1, 4});
        TensorValue out = Interp.run(inst, Interp.inputs(inst, new double[] {1, 2, 3, 4}, new double[] {1, 1, 2, 2}, new double[] {0, 1, 0, 1}));
        double r = 1 / Math.sqrt(1.25 + 1e-5);
        Interp.assertClose(inst, out, new double[] {-1.5 * r, -0.5 * r + 1, 2 * 0.5 * r, 2 * 1.5 * r + 1}, 1e-6, 1e-6);
        // A constant row normalizes to beta (the variance is 0; eps keeps it finite).
        OperatorInstance flat = Operators.get("layernorm").build(new long[] {1, 3});
        out = Interp.run(flat, Interp.inputs(flat, new double[] {7, 7, 7}, new double[] {3, 3, 3}, new double[] {0.25, 0.5, 1}));
        Interp.assertClose(flat, out, new double[] {0.25, 0.5, 1}, 0, 1e-6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1", "3,32", "6,13", "4,1000"})
    void layernormMatchesTheTwoPassLoop(String shape) {
        Operator op = Operators.get("layernorm");
        long[] s = op.parseShape(shape);
        int m = (int) s[0], n = (int) s[1];
        OperatorInstance inst = op.build(s);
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[] x = Interp.data(inst, in, 0), gamma = Interp.data(inst, in, 1), beta = Interp.data(inst, in, 2);
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            double mean = 0, var = 0;
            for (int k = 0; k < n; k++) mean += x[i * n + k];
            mean /= n;
            for (int k = 0; k < n; k++) var += (x[i * n + k] - mean) * (x[i * n + k] - mean);
            var /= n;
            for (int j = 0; j < n; j++) y[i * n + j] = (x[i * n + j] - mean) / Math.sqrt(var + 1e-5) * gamma[j] + beta[j];
        }
        Interp.assertClose(inst, Interp.run(inst, in), y, 1e-4, 1e-4);
    }
}
