package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Numerics;
import dev.tessera.target.HostBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlvmNumericsTest {
    private static final long[] DIVIDENDS = {-7, 7, 0, 1, -1, 6, -6, 13, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1, -64, 64, 99};
    private static final long[] DIVISORS = {0, -1, 1, 2, -2, 3, -3, 8, -8, 7, Long.MIN_VALUE, Long.MAX_VALUE};

    /** Runs a two-input integer kernel over every (dividend, divisor) pair. */
    private static long[] runPairs(DType t, int lanes, Binary.Op op, long[] as, long[] bs) {
        int n = as.length * bs.length;
        int padded = (n + lanes - 1) / lanes * lanes;
        long[] x = new long[padded], y = new long[padded];
        for (int i = 0; i < n; i++) { x[i] = as[i / bs.length]; y[i] = bs[i % bs.length]; }
        var k = compile(elementwise("divmod", List.of(t, t), t, lanes, in -> bin(op, in.get(0), in.get(1))));
        try (HostBuffer a = HostBuffer.ofLongs(t, x, padded); HostBuffer b = HostBuffer.ofLongs(t, y, padded);
             HostBuffer o = HostBuffer.allocate(t, padded)) {
            k.call(a, b, o);
            return java.util.Arrays.copyOf(o.toLongs(), n);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 4})
    void integerDivModMatchNumericsIncludingZeroMinusOneAndMinValue(int lanes) {
        long[] div = runPairs(DType.I64, lanes, Binary.Op.DIV, DIVIDENDS, DIVISORS);
        long[] mod = runPairs(DType.I64, lanes, Binary.Op.MOD, DIVIDENDS, DIVISORS);
        for (int i = 0; i < div.length; i++) {
            long a = DIVIDENDS[i / DIVISORS.length], b = DIVISORS[i % DIVISORS.length];
            assertEquals(Numerics.floorDiv(a, b), div[i], a + " / " + b);
            assertEquals(Numerics.floorMod(a, b), mod[i], a + " % " + b);
        }
    }

    @Test
    void i32DivisionByMinusOneOfMinValueWraps() {
        long[] as = {Integer.MIN_VALUE, -7, 7}, bs = {-1, 0, 2, -2};
        long[] div = runPairs(DType.I32, 1, Binary.Op.DIV, as, bs), mod = runPairs(DType.I32, 1, Binary.Op.MOD, as, bs);
        for (int i = 0; i < div.length; i++) {
            long a = as[i / bs.length], b = bs[i % bs.length];
            assertEquals(IntImm.wrap(Numerics.floorDiv(a, b), DType.I32), div[i], a + " / " + b);
            assertEquals(Numerics.floorMod(a, b), mod[i], a + " % " + b);
        }
    }

    @Test
    void unsignedDivModByZeroIsZero() {
        long[] as = {200, 7, 0, 255}, bs = {0, 1, 3, 16, 255};
        long[] div = runPairs(DType.U8, 4, Binary.Op.DIV, as, bs), mod = runPairs(DType.U8, 4, Binary.Op.MOD, as, bs);
        for (int i = 0; i < div.length; i++) {
            long a = as[i / bs.length], b = bs[i % bs.length];
            assertEquals(b == 0 ? 0 : a / b, div[i], a + " / " + b);
            assertEquals(b == 0 ? 0 : a % b, mod[i], a + " % " + b);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, 1, 4, 3, -3, 64, -8})
    void divModByConstantsUseFloorSemantics(long divisor) {
        for (int lanes : new int[] {1, 8}) {
            Expr cst = lanes == 1 ? c(divisor) : new Broadcast(c(divisor), lanes);
            var kd = compile(elementwise("divc", List.of(DType.I64), DType.I64, lanes, in -> bin(Binary.Op.DIV, in.get(0), cst)));
            var km = compile(elementwise("modc", List.of(DType.I64), DType.I64, lanes, in -> bin(Binary.Op.MOD, in.get(0), cst)));
            long[] xs = {-17, -16, -9, -8, -1, 0, 1, 7, 8, 9, 17, Long.MIN_VALUE, Long.MAX_VALUE, -3, 3, 100};
            try (HostBuffer a = HostBuffer.ofLongs(DType.I64, xs, xs.length); HostBuffer d = HostBuffer.allocate(DType.I64, xs.length);
                 HostBuffer m = HostBuffer.allocate(DType.I64, xs.length)) {
                kd.call(a, d);
                km.call(a, m);
                for (int i = 0; i < xs.length; i++) {
                    assertEquals(Numerics.floorDiv(xs[i], divisor), d.getLong(i), xs[i] + " / " + divisor + " lanes " + lanes);
                    assertEquals(Numerics.floorMod(xs[i], divisor), m.getLong(i), xs[i] + " % " + divisor + " lanes " + lanes);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 8})
    void halfPrecisionArithmeticRoundsAfterEveryOperation(int lanes) {
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            // out = (a + b) * a: two roundings, each to nearest even.
            var k = compile(elementwise("h", List.of(t, t), t, lanes,
                    in -> bin(Binary.Op.MUL, bin(Binary.Op.ADD, in.get(0), in.get(1)), in.get(0))));
            int n = 64;
            double[] x = new double[n], y = new double[n];
            for (int i = 0; i < n; i++) { x[i] = 1 + i / 37.0; y[i] = 1e-3 * (i - 30) + (i % 5) * 300.123; }
            try (HostBuffer a = HostBuffer.of(t, x, n); HostBuffer b = HostBuffer.of(t, y, n); HostBuffer o = HostBuffer.allocate(t, n)) {
                k.call(a, b, o);
                for (int i = 0; i < n; i++) {
                    float xa = (float) a.get(i), yb = (float) b.get(i);
                    double sum = Numerics.roundTo(xa + yb, t);
                    double want = Numerics.roundTo((float) sum * xa, t);
                    assertEquals(want, o.get(i), t + " lane " + i + ": (" + xa + " + " + yb + ") * " + xa);
                }
            }
        }
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaN() {
        var k = compile(elementwise("bfr", List.of(DType.F32), DType.BF16, 1, in -> new Cast(DType.BF16, in.get(0))));
        float[] xs = {1.00390625f, 1.01171875f, Float.NaN, Float.POSITIVE_INFINITY, -0f, 3.4e38f, 1e-40f};
        try (HostBuffer a = HostBuffer.ofFloats(xs, xs.length); HostBuffer o = HostBuffer.allocate(DType.BF16, xs.length)) {
            k.call(a, o);
            for (int i = 0; i < xs.length; i++)
                assertEquals((double) Numerics.bf16ToFloat(Numerics.floatToBf16(xs[i])), o.get(i), "bf16(" + xs[i] + ")");
        }
    }

    private static double[] castRun(DType from, DType to, int lanes, double[] xs) {
        var k = compile(elementwise("cast", List.of(from), to, lanes, in -> new Cast(to.withLanes(lanes), in.get(0))));
        try (HostBuffer a = HostBuffer.of(from, xs, xs.length); HostBuffer o = HostBuffer.allocate(to, xs.length)) {
            k.call(a, o);
            return o.toDoubles();
        }
    }

    @Test
    void floatToIntCastsSaturateAndMapNaNToZero() {
        double[] xs = {1e10, -1e10, Double.NaN, 3.7, -3.7, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.5};
        for (int lanes : new int[] {1, 8}) {
            assertArrayEquals(new double[] {Integer.MAX_VALUE, Integer.MIN_VALUE, 0, 3, -3, Integer.MAX_VALUE, Integer.MIN_VALUE, 0},
                    castRun(DType.F32, DType.I32, lanes, xs));
            assertArrayEquals(new double[] {127, -128, 0, 3, -3, 127, -128, 0}, castRun(DType.F64, DType.I8, lanes, xs));
            assertArrayEquals(new double[] {255, 0, 0, 3, 0, 255, 0, 0}, castRun(DType.F32, DType.U8, lanes, xs));
        }
    }

    @Test
    void boolCastsAreNotEqualZeroAndZeroOne() {
        double[] fs = {0, -0.0, Double.NaN, 2, -0.25, 0, 1, 0};
        assertArrayEquals(new double[] {0, 0, 1, 1, 1, 0, 1, 0}, castRun(DType.F32, DType.BOOL, 8, fs));
        double[] is = {0, 5, -1, 256, 0, 0, 1, 7};
        assertArrayEquals(new double[] {0, 1, 1, 1, 0, 0, 1, 1}, castRun(DType.I32, DType.BOOL, 1, is));
        double[] bs = {0, 1, 1, 0, 1, 0, 0, 1};
        assertArrayEquals(bs, castRun(DType.BOOL, DType.F32, 8, bs));
        assertArrayEquals(bs, castRun(DType.BOOL, DType.I64, 1, bs));
        assertArrayEquals(bs, castRun(DType.BOOL, DType.BF16, 1, bs));
    }

    @Test
    void integerCastsWrapAndExtendBySignedness() {
        assertArrayEquals(new double[] {44, 127, -128, -1}, castRun(DType.I64, DType.I8, 1, new double[] {300, -129, 128, 255}));
        assertArrayEquals(new double[] {255, 0, 128, 1}, castRun(DType.U8, DType.I32, 4, new double[] {255, 0, 128, 1}));
        assertArrayEquals(new double[] {-1, 0, -128, 1}, castRun(DType.I8, DType.I64, 4, new double[] {-1, 0, -128, 1}));
        assertArrayEquals(new double[] {255, 0, 128, 1}, castRun(DType.I8, DType.U8, 1, new double[] {-1, 0, -128, 1}));
    }

    @Test
    void floatConversionsRoundLikeNumerics() {
        double[] xs = {1.0 / 3, 65519.0, 70000, 1e-8, -2.5e-5, Math.PI, 1e300, Double.NaN};
        for (DType to : new DType[] {DType.F16, DType.BF16, DType.F32}) {
            double[] got = castRun(DType.F64, to, 8, xs);
            for (int i = 0; i < xs.length; i++) assertEquals(Numerics.roundTo(xs[i], to), got[i], "f64 -> " + to + " of " + xs[i]);
        }
        double[] ints = {1, -3, 4097, 123456789};
        double[] got = castRun(DType.I32, DType.F16, 1, ints);
        for (int i = 0; i < ints.length; i++) assertEquals(Numerics.roundTo(ints[i], DType.F16), got[i]);
        double[] halves = {0.333251953125, -2.0, 65504};
        assertArrayEquals(halves, castRun(DType.F16, DType.F64, 1, halves));
    }

    @Test
    void minMaxComparisonsAndFloatMod() {
        var k = compile(elementwise("mm", List.of(DType.F32, DType.F32), DType.F32, 4, in -> {
            Expr a = in.get(0), b = in.get(1);
            Expr mod = bin(Binary.Op.MOD, a, b);
            Expr mx = bin(Binary.Op.MAX, a, b), mn = bin(Binary.Op.MIN, a, b);
            return new dev.tessera.ir.Select(bin(Binary.Op.LT, a, b), bin(Binary.Op.ADD, mod, bin(Binary.Op.MUL, mx, mn)), mod);
        }));
        double[] x = {-7.5, 7.5, 3, -1}, y = {2, -2, 3, 0.25};
        try (HostBuffer a = HostBuffer.of(DType.F32, x, 4); HostBuffer b = HostBuffer.of(DType.F32, y, 4); HostBuffer o = HostBuffer.allocate(DType.F32, 4)) {
            k.call(a, b, o);
            for (int i = 0; i < 4; i++) {
                double mod = x[i] - y[i] * Math.floor(x[i] / y[i]);
                double want = x[i] < y[i] ? mod + Math.max(x[i], y[i]) * Math.min(x[i], y[i]) : mod;
                assertEquals(want, o.get(i), 1e-6, "lane " + i);
            }
        }
        var ki = compile(elementwise("mmi", List.of(DType.I32, DType.I32), DType.I32, 1,
                in -> bin(Binary.Op.SUB, bin(Binary.Op.MAX, in.get(0), in.get(1)), bin(Binary.Op.MIN, in.get(0), in.get(1)))));
        try (HostBuffer a = HostBuffer.of(DType.I32, new double[] {-5, 9}, 2); HostBuffer b = HostBuffer.of(DType.I32, new double[] {3, -2}, 2);
             HostBuffer o = HostBuffer.allocate(DType.I32, 2)) {
            ki.call(a, b, o);
            assertArrayEquals(new double[] {8, 11}, o.toDoubles());
        }
    }

    private static final double[][] ERF_TABLE = {
            {0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
            {-1, -0.8427007929497149}, {2, 0.9953222650189527}, {-0.3, -0.3286267594591112}, {3, 0.9999779095030014}};

    @ParameterizedTest
    @ValueSource(strings = {"f32", "f64"})
    void mathFunctionsMatchJavaMath(String dtype) {
        DType t = DType.parse(dtype);
        int n = 16;
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) xs[i] = 0.05 + i * 0.61;
        double[] signed = new double[n];
        for (int i = 0; i < n; i++) signed[i] = (i - 7.3) * 0.77;
        record Case(Call.Fn fn, double[] inputs, DoubleUnaryOperator ref) {}
        List<Case> cases = new ArrayList<>(List.of(
                new Case(Call.Fn.EXP, signed, Math::exp), new Case(Call.Fn.LOG, xs, Math::log), new Case(Call.Fn.SQRT, xs, Math::sqrt),
                new Case(Call.Fn.RSQRT, xs, v -> 1 / Math.sqrt(v)), new Case(Call.Fn.TANH, signed, Math::tanh),
                new Case(Call.Fn.SIGMOID, signed, v -> 1 / (1 + Math.exp(-v))), new Case(Call.Fn.ABS, signed, Math::abs),
                new Case(Call.Fn.FLOOR, signed, Math::floor), new Case(Call.Fn.CEIL, signed, Math::ceil)));
        double[] erfIn = new double[n];
        for (int i = 0; i < n; i++) erfIn[i] = ERF_TABLE[i % ERF_TABLE.length][0];
        for (int lanes : new int[] {1, 8}) {
            for (Case c : cases) {
                var k = compile(elementwise(c.fn().lowerName(), List.of(t), t, lanes, in -> new Call(c.fn(), List.of(in.get(0)))));
                double[] got = run1(k, t, roundAll(c.inputs(), t));
                for (int i = 0; i < n; i++) {
                    double x = Numerics.roundTo(c.inputs()[i], t), want = c.ref().applyAsDouble(x);
                    assertEquals(want, got[i], 1e-5 * Math.max(1, Math.abs(want)), c.fn() + "(" + x + ") " + t + " lanes " + lanes);
                }
            }
            var erf = compile(elementwise("erf", List.of(t), t, lanes, in -> new Call(Call.Fn.ERF, List.of(in.get(0)))));
            double[] got = run1(erf, t, erfIn);
            for (int i = 0; i < n; i++)
                assertEquals(ERF_TABLE[i % ERF_TABLE.length][1], got[i], 1e-6, "erf(" + erfIn[i] + ") " + t);
            var pow = compile(elementwise("pow", List.of(t, t), t, lanes, in -> new Call(Call.Fn.POW, List.of(in.get(0), in.get(1)))));
            try (HostBuffer a = HostBuffer.of(t, xs, n); HostBuffer b = HostBuffer.of(t, signed, n); HostBuffer o = HostBuffer.allocate(t, n)) {
                pow.call(a, b, o);
                for (int i = 0; i < n; i++) {
                    double want = Math.pow(a.get(i), b.get(i));
                    assertEquals(want, o.get(i), 1e-5 * Math.max(1, Math.abs(want)), "pow " + a.get(i) + ", " + b.get(i));
                }
            }
        }
    }

    @Test
    void integerAbsWrapsAtMinValue() {
        var k = compile(elementwise("iabs", List.of(DType.I32), DType.I32, 4, in -> new Call(Call.Fn.ABS, List.of(in.get(0)))));
        long[] xs = {-5, 5, 0, Integer.MIN_VALUE};
        try (HostBuffer a = HostBuffer.ofLongs(DType.I32, xs, 4); HostBuffer o = HostBuffer.allocate(DType.I32, 4)) {
            k.call(a, o);
            assertArrayEquals(new long[] {5, 5, 0, Integer.MIN_VALUE}, o.toLongs());
        }
    }

    private static double[] roundAll(double[] xs, DType t) {
        double[] r = new double[xs.length];
        for (int i = 0; i < r.length; i++) r[i] = Numerics.roundTo(xs[i], t);
        return r;
    }

    private static double[] run1(LlvmKernel k, DType t, double[] xs) {
        try (HostBuffer a = HostBuffer.of(t, xs, xs.length); HostBuffer o = HostBuffer.allocate(t, xs.length)) {
            k.call(a, o);
            return o.toDoubles();
        }
    }
}
