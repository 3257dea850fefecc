package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.TensorValue;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * conv2d with dilation and groups, conv2d_nhwc, depthwise_conv2d and pool2d, run by the reference
 * interpreter, against one direct loop nest written in NCHW with explicit padding checks.
 */
class ConvolutionDefinitionsTest {
    private static final double RTOL = 1e-5, ATOL = 1e-5;

    /** A direct grouped, dilated NCHW convolution: x [n][c][h][w], w [f][c/g][kh][kw]. */
    static double[] conv(double[][][][] x, double[][][][] w, int stride, int pad, int dil, int groups) {
        int n = x.length, c = x[0].length, h = x[0][0].length, wd = x[0][0][0].length;
        int f = w.length, cg = w[0].length, kh = w[0][0].length, kw = w[0][0][0].length, fg = f / groups;
        int oh = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1, ow = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
        assertEquals(c / groups, cg);
        double[] out = new double[n * f * oh * ow];
        for (int b = 0; b < n; b++)
            for (int ff = 0; ff < f; ff++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        float acc = 0;
                        for (int rc = 0; rc < cg; rc++)
                            for (int ry = 0; ry < kh; ry++)
                                for (int rx = 0; rx < kw; rx++) {
                                    int iy = oy * stride + ry * dil - pad, ix = ox * stride + rx * dil - pad;
                                    int ch = ff / fg * cg + rc;
                                    float v = iy >= 0 && iy < h && ix >= 0 && ix < wd ? (float) x[b][ch][iy][ix] : 0f;
                                    acc += v * (float) w[ff][rc][ry][rx];
                                }
                        out[((b * f + ff) * oh + oy) * ow + ox] = acc;
                    }
        return out;
    }

    static double[][][][] nest(double[] d, int a, int b, int c, int e) {
        double[][][][] out = new double[a][b][c][e];
        for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) for (int k = 0; k < c; k++) for (int l = 0; l < e; l++)
            out[i][j][k][l] = d[((i * b + j) * c + k) * e + l];
        return out;
    }

    /** NCHW data [a][b][c][d] permuted to layout {@code perm} (e.g. {0,2,3,1} gives NHWC), flat. */
    static double[] permute(double[][][][] x, int[] perm) {
        int[] dims = {x.length, x[0].length, x[0][0].length, x[0][0][0].length};
        int[] pd = {dims[perm[0]], dims[perm[1]], dims[perm[2]], dims[perm[3]]};
        double[] out = new double[dims[0] * dims[1] * dims[2] * dims[3]];
        int[] idx = new int[4];
        for (idx[0] = 0; idx[0] < dims[0]; idx[0]++) for (idx[1] = 0; idx[1] < dims[1]; idx[1]++)
            for (idx[2] = 0; idx[2] < dims[2]; idx[2]++) for (idx[3] = 0; idx[3] < dims[3]; idx[3]++)
                out[((idx[perm[0]] * pd[1] + idx[perm[1]]) * pd[2] + idx[perm[2]]) * pd[3] + idx[perm[3]]] = x[idx[0]][idx[1]][idx[2]][idx[3]];
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,1,5,5,1,3,3,1,1", "2,4,6,5,6,3,2,1,2,2,2", "1,6,9,8,3,3,3,2,1,1,3", "1,2,7,7,4,2,2,1,0,3", "1,4,5,6,4,3,3,1,1,1,4"})
    void conv2dWithDilationAndGroupsMatchesTheLoopNest(String shape) { matchesTheLoopNest(Operators.get("conv2d"), shape, RTOL, ATOL); }

    /** Odd and even output sizes (partial output blocks), padding 0 to 2, batch 2, C != F. */
    @ParameterizedTest
    @ValueSource(strings = {"1,1,4,4,1,3,3,1,1", "1,3,7,6,4,3,3,1,1", "2,5,6,6,7,3,3,1,0", "1,4,5,9,3,3,3,1,2", "1,2,3,3,2,3,3,1,0"})
    void conv2dWinogradMatchesTheLoopNest(String shape) {
        matchesTheLoopNest(Operators.get("conv2d_winograd"), shape, RTOL, ATOL);
        // F(4x4, 3x3): coefficients up to 8 and 1/24 round more (inputs in [-1, 1], sums of up to 45 products)
        matchesTheLoopNest(Operators.configured("conv2d_winograd[output_tile=4]"), shape, 1e-4, 1e-4);
    }

    /** An NCHW convolution operator (conv2d's shape arguments and weight layout) against {@link #conv}. */
    private static void matchesTheLoopNest(Operator op, String shape, double rtol, double atol) {
        long[] s = op.parseShape(shape);
        OperatorInstance inst = op.build(s);
        ConvShape c = ConvShape.of(s);
        assertArrayEquals(new long[] {c.n(), c.f(), c.oh(), c.ow()}, Interp.shape(inst.output()));
        assertArrayEquals(new long[] {c.f(), c.c() / c.groups(), c.kh(), c.kw()}, Interp.shape(inst.inputs().get(1)));
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[][][][] x = nest(Interp.data(inst, in, 0), (int) c.n(), (int) c.c(), (int) c.h(), (int) c.w());
        double[][][][] w = nest(Interp.data(inst, in, 1), (int) c.f(), (int) c.channelsPerGroup(), (int) c.kh(), (int) c.kw());
        Interp.assertClose(inst, Interp.run(inst, in), conv(x, w, (int) c.stride(), (int) c.pad(), (int) c.dilation(), (int) c.groups()), rtol, atol);
    }

    @Test
    void theNineArgumentFormMeansDilationAndGroupsOne() {
        Operator op = Operators.get("conv2d");
        OperatorInstance nine = op.build(new long[] {1, 2, 5, 5, 3, 3, 3, 1, 1});
        OperatorInstance eleven = op.build(new long[] {1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1});
        assertEquals(dev.tessera.lower.Workload.describe(eleven.outputs()), dev.tessera.lower.Workload.describe(nine.outputs()));
        assertArrayEquals(new long[] {1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1}, nine.shapeArgs());
        assertEquals(op.flops(new long[] {1, 2, 5, 5, 3, 3, 3, 1, 1}), op.flops(new long[] {1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1}));
    }

    @Test
    void dilatedConvolutionByHand() {
        // A 1x1x5x5 ramp 0..24, a 2x2 kernel of ones with dilation 2: out[y][x] = in[y][x] + in[y][x+2] + in[y+2][x] + in[y+2][x+2].
        OperatorInstance inst = Operators.get("conv2d").build(new long[] {1, 1, 5, 5, 1, 2, 2, 1, 0, 2, 1});
        double[] ramp = new double[25];
        for (int i = 0; i < 25; i++) ramp[i] = i;
        TensorValue out = Interp.run(inst, Interp.inputs(inst, ramp, new double[] {1, 1, 1, 1}));
        assertArrayEquals(new long[] {1, 1, 3, 3}, out.shape());
        // in[y][x] = 5y + x: the four taps sum to 4*(5y + x) + 2*5 + 2 + 10 + 2 ... = 20y + 4x + 24
        double[] want = new double[9];
        for (int y = 0; y < 3; y++) for (int x = 0; x < 3; x++) want[y * 3 + x] = 20 * y + 4 * x + 24;
        Interp.assertClose(inst, out, want, 0, 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,3,6,7,19,3,3,2,1", "2,4,5,6,6,2,3,1,1,2,2", "1,3,7,7,3,3,3,1,1,1,3"})
    void conv2dNhwcIsConv2dInAnotherLayout(String shape) {
        Operator op = Operators.get("conv2d_nhwc");
        long[] s = op.parseShape(shape);
        ConvShape c = ConvShape.of(s);
        OperatorInstance inst = op.build(s);
        assertArrayEquals(new long[] {c.n(), c.h(), c.w(), c.c()}, Interp.shape(inst.inputs().get(0)));
        assertArrayEquals(new long[] {c.kh(), c.kw(), c.channelsPerGroup(), c.f()}, Interp.shape(inst.inputs().get(1)));
        assertArrayEquals(new long[] {c.n(), c.oh(), c.ow(), c.f()}, Interp.shape(inst.output()));
        // Random NCHW data and OIHW weights, fed to conv2d_nhwc in NHWC and HWIO.
        OperatorInstance nchw = Operators.get("conv2d").build(s);
        Map<Tensor, TensorValue> in = Interp.randomInputs(nchw);
        double[][][][] x = nest(Interp.data(nchw, in, 0), (int) c.n(), (int) c.c(), (int) c.h(), (int) c.w());
        double[][][][] w = nest(Interp.data(nchw, in, 1), (int) c.f(), (int) c.channelsPerGroup(), (int) c.kh(), (int) c.kw());
        TensorValue got = Interp.run(inst, Interp.inputs(inst, permute(x, new int[] {0, 2, 3, 1}), permute(w, new int[] {2, 3, 1, 0})));
        double[] want = conv(x, w, (int) c.stride(), (int) c.pad(), (int) c.dilation(), (int) c.groups());
        Interp.assertClose(inst, got, permute(nest(want, (int) c.n(), (int) c.f(), (int) c.oh(), (int) c.ow()), new int[] {0, 2, 3, 1}), RTOL, ATOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1,3,7,6,3,3,2,1", "2,2,6,19,3,2,1,2,2", "1,5,4,4,1,1,1,0"})
    void depthwiseConv2dIsAConvolutionWithOneGroupPerChannel(String shape) {
        Operator op = Operators.get("depthwise_conv2d");
        long[] s = op.parseShape(shape);
        OperatorInstance inst = op.build(s);
        ConvShape c = DepthwiseConv2dOp.conv(s);
        assertArrayEquals(new long[] {c.c(), 1, c.kh(), c.kw()}, Interp.shape(inst.inputs().get(1)));
        Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
        double[][][][] x = nest(Interp.data(inst, in, 0), (int) c.n(), (int) c.c(), (int) c.h(), (int) c.w());
        double[][][][] w = nest(Interp.data(inst, in, 1), (int) c.c(), 1, (int) c.kh(), (int) c.kw());
        Interp.assertClose(inst, Interp.run(inst, in), conv(x, w, (int) c.stride(), (int) c.pad(), (int) c.dilation(), (int) c.c()), RTOL, ATOL);
    }

    @ParameterizedTest
    @ValueSource(strings = {"max", "avg"})
    void pool2dMatchesTheLoopNestIgnoringPadding(String type) {
        Operator op = Operators.get("pool2d").withAttributes(Map.of("pool_type", type));
        for (String shape : new String[] {"1,3,7,6,3,3,2,1", "2,2,9,18,2,3,1,1", "1,1,4,4,2,2,2,0", "1,2,5,5,3,3,3,2"}) {
            long[] s = op.parseShape(shape);
            int n = (int) s[0], c = (int) s[1], h = (int) s[2], w = (int) s[3], kh = (int) s[4], kw = (int) s[5], st = (int) s[6], pad = (int) s[7];
            int oh = (h + 2 * pad - kh) / st + 1, ow = (w + 2 * pad - kw) / st + 1;
            OperatorInstance inst = op.build(s);
            assertArrayEquals(new long[] {n, c, oh, ow}, Interp.shape(inst.output()), shape);
            Map<Tensor, TensorValue> in = Interp.randomInputs(inst);
            double[] x = Interp.data(inst, in, 0);
            double[] want = new double[n * c * oh * ow];
            for (int p = 0; p < n * c; p++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        float max = Float.NEGATIVE_INFINITY, sum = 0;
                        int count = 0;
                        for (int ry = 0; ry < kh; ry++)
                            for (int rx = 0; rx < kw; rx++) {
                                int iy = oy * st + ry - pad, ix = ox * st + rx - pad;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                float v = (float) x[(p * h + iy) * w + ix];
                                max = Math.max(max, v);
                                sum += v;
                                count++;
                            }
                        want[(p * oh + oy) * ow + ox] = type.equals("max") ? max : sum / count;
                    }
            Interp.assertClose(inst, Interp.run(inst, in), want, RTOL, 1e-6);
        }
    }

    @Test
    void poolingByHand() {
        // 1x1x3x3 ramp 1..9, 2x2 windows, stride 2, pad 1: windows cover {1}, {2,3}, {4,7}, {5,6,8,9}.
        double[] ramp = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        long[] shape = {1, 1, 3, 3, 2, 2, 2, 1};
        OperatorInstance max = Operators.get("pool2d").build(shape);
        Interp.assertClose(max, Interp.run(max, Interp.inputs(max, ramp)), new double[] {1, 3, 7, 9}, 0, 0);
        OperatorInstance avg = Operators.get("pool2d").withAttributes(Map.of("pool_type", "avg")).build(shape);
        Interp.assertClose(avg, Interp.run(avg, Interp.inputs(avg, ramp)), new double[] {1, 2.5, 5.5, 7}, 0, 0);
        // All-negative input: the padding (-inf for max, not counted for avg) never shows.
        double[] neg = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
        Interp.assertClose(max, Interp.run(max, Interp.inputs(max, neg)), new double[] {-1, -2, -4, -5}, 0, 0);
    }
}
