package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.Call;
import dev.tessera.ir.DType;
import dev.tessera.target.HostBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The accuracy of {@link VectorMath}: each function, compiled as a scalar kernel and as a vector
 * kernel, on 10^5 inputs (random over the interesting range, across all exponents, random bit
 * patterns, and every threshold of the implementation), against {@link ReferenceMath}'s ~100-bit
 * values: errors are in ulps of the exact value. Where that is NaN, an infinity or a zero, the
 * result must be exactly that (sign included); special values follow {@link Math}.
 * Scalar and vector results must be bit-identical.
 */
class VectorMathTest {
    static final int N = 100_000;

    /** Largest measured error in ulps, with a little margin, per function and dtype (README table). */
    enum Fn {
        EXP(1.0, 1.0), LOG(1.0, 1.0), TANH(1.5, 1.5), ERF(1.5, 1.5), SIGMOID(2.0, 2.0), POW(1.0, 1.0);

        final double boundF32, boundF64;
        Fn(double boundF32, double boundF64) {
            this.boundF32 = boundF32;
            this.boundF64 = boundF64;
        }
        Call.Fn call() { return Call.Fn.valueOf(name()); }
    }

    static ReferenceMath.DD reference(Fn fn, double x, double y) {
        return switch (fn) {
            case EXP -> ReferenceMath.exp(x);
            case LOG -> ReferenceMath.log(x);
            case TANH -> ReferenceMath.tanh(x);
            case ERF -> ReferenceMath.erf(x);
            case SIGMOID -> ReferenceMath.sigmoid(x);
            case POW -> ReferenceMath.pow(x, y);
        };
    }

    /** Thresholds of the implementation and special values, each with its neighbours. */
    static double[] edges(Fn fn, DType t) {
        boolean f64 = t == DType.F64;
        List<Double> xs = new ArrayList<>(List.of(0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1.0, -1.0,
                0.5, -0.5, 2.0, f64 ? Double.MIN_VALUE : Float.MIN_VALUE, f64 ? Double.MIN_NORMAL : Float.MIN_NORMAL,
                f64 ? Double.MAX_VALUE : Float.MAX_VALUE, -(f64 ? Double.MAX_VALUE : Float.MAX_VALUE)));
        double[] cuts = switch (fn) {
            case EXP, SIGMOID -> f64 ? new double[] {709.782712893384, 709.7827128933841, -708.3964185322641, -744.4400719213812, -745.1332191019411, -745.1332191019412, 710, -746}
                    : new double[] {88.72283f, 88.72284f, -87.33655f, -103.27893f, -103.97208f, 89, -104};
            case LOG -> new double[] {0.70710677f, 0.7071067811865476, 1.4142135f, 1.4142135623730951, 1 + 1e-7, 1 - 1e-7};
            case TANH -> new double[] {0.625, 0.5625, 9.01, 19.06, 1e-20};
            case ERF -> new double[] {1, 1.25, 2.75, 3.92, 4, 5.92, 6, 1e-20};
            case POW -> new double[] {3, -3, 10};
        };
        for (double c : cuts) for (double s : new double[] {1, -1}) {
            double v = s * c;
            if (!f64) v = (float) v;
            xs.add(v);
            xs.add(f64 ? Math.nextUp(v) : Math.nextUp((float) v));
            xs.add(f64 ? Math.nextDown(v) : Math.nextDown((float) v));
        }
        return xs.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** N inputs for x: the edges, then a mix of the function's core range, all magnitudes and random bits. */
    static double[] inputs(Fn fn, DType t, long seed) {
        boolean f64 = t == DType.F64;
        SplittableRandom r = new SplittableRandom(seed);
        double core = switch (fn) {
            case EXP -> f64 ? 750 : 105;
            case SIGMOID -> f64 ? 750 : 105;
            case LOG -> 4;
            case TANH -> f64 ? 22 : 10;
            case ERF -> f64 ? 7 : 5;
            case POW -> 4;
        };
        int maxExp = f64 ? 1023 : 127, minExp = f64 ? -1074 : -149;
        DoubleSupplier uniform = () -> (fn == Fn.LOG || fn == Fn.POW ? r.nextDouble(0, core) : r.nextDouble(-core, core));
        DoubleSupplier anyMagnitude = () -> (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + r.nextDouble(), r.nextInt(minExp, maxExp));
        DoubleSupplier small = () -> (r.nextBoolean() ? 1 : -1) * Math.scalb(1 + r.nextDouble(), r.nextInt(-40, 0));
        DoubleSupplier bits = () -> f64 ? Double.longBitsToDouble(r.nextLong()) : Float.intBitsToFloat(r.nextInt());
        double[] edges = edges(fn, t);
        double[] xs = new double[N];
        for (int i = 0; i < N; i++) {
            double v;
            if (i < edges.length) v = edges[i];
            else {
                int k = r.nextInt(20);
                v = k < 12 ? uniform.getAsDouble() : k < 15 ? small.getAsDouble() : k < 18 ? anyMagnitude.getAsDouble() : bits.getAsDouble();
                if (fn == Fn.LOG && k < 18 && r.nextInt(8) != 0) v = Math.abs(v);
            }
            xs[i] = f64 ? v : (float) v;
        }
        return xs;
    }

    /** Exponents for pow: integers (odd and even), halves, a uniform range and special values. */
    static double[] exponents(DType t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] special = {0, -0.0, 1, -1, 2, 3, -3, 0.5, -0.5, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e10, -1e10, 0x1p53 + 2};
        double[] ys = new double[N];
        for (int i = 0; i < N; i++) {
            int k = r.nextInt(10);
            double v = k == 0 ? special[r.nextInt(special.length)] : k < 4 ? r.nextInt(-40, 41) : k < 5 ? r.nextInt(-40, 41) + 0.5 : r.nextDouble(-30, 30);
            ys[i] = t == DType.F64 ? v : (float) v;
        }
        return ys;
    }

    /** The error of got in ulps of the exact value ref; infinite when a special result is not matched exactly. */
    static double ulpError(double got, ReferenceMath.DD ref, DType t) {
        boolean f64 = t == DType.F64;
        double value = ref.value();
        double rounded = f64 ? value : (float) value;
        if (Double.isNaN(rounded)) return Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        if (Double.isNaN(got)) return Double.POSITIVE_INFINITY;
        if (Double.isInfinite(value) || value == 0) return Double.compare(got, value) == 0 ? 0 : Double.POSITIVE_INFINITY;
        if (Double.isInfinite(rounded) && Double.compare(got, rounded) == 0) return 0; // overflows, just
        if (got == 0 && rounded == 0) return Double.compare(got, rounded) == 0 ? 0 : Double.POSITIVE_INFINITY;
        int precision = f64 ? 53 : 24;
        int e = Math.max(Math.getExponent(value), f64 ? Double.MIN_EXPONENT : Float.MIN_EXPONENT);
        double ulp = Math.scalb(1.0, e - precision + 1);
        if (Double.isInfinite(got)) {
            if (Math.signum(got) != Math.signum(value)) return Double.POSITIVE_INFINITY;
            // Count the infinity as the next value after the largest finite one, 2^(emax + 1).
            return Math.scalb(1.0, precision) - Math.abs(value) / ulp;
        }
        int k = ref.exp2(); // got 2^-k, ulp 2^-k: exact, and in range
        return Math.abs((Math.scalb(got, -k) - ref.hi()) - ref.lo()) / Math.scalb(ulp, -k);
    }

    record Measured(double maxUlp, double worstX, double worstY, double worstGot) {}

    static Measured measure(Fn fn, DType t, double[] xs, double[] ys, double[] got) {
        double max = -1, wx = 0, wy = 0, wg = 0;
        for (int i = 0; i < xs.length; i++) {
            double err = ulpError(got[i], reference(fn, xs[i], ys == null ? 0 : ys[i]), t);
            if (err > max || Double.isNaN(err)) { max = err; wx = xs[i]; wy = ys == null ? 0 : ys[i]; wg = got[i]; }
        }
        return new Measured(max, wx, wy, wg);
    }

    static double[] run(Fn fn, DType t, int lanes, double[] xs, double[] ys) {
        boolean binary = fn == Fn.POW;
        var k = compile(elementwise(fn.name().toLowerCase(), binary ? List.of(t, t) : List.of(t), t, lanes,
                in -> new Call(fn.call(), binary ? List.of(in.get(0), in.get(1)) : List.of(in.get(0)))));
        try (HostBuffer a = HostBuffer.of(t, xs, xs.length); HostBuffer b = HostBuffer.of(t, binary ? ys : xs, xs.length);
             HostBuffer o = HostBuffer.allocate(t, xs.length)) {
            if (binary) k.call(a, b, o);
            else k.call(a, o);
            return o.toDoubles();
        }
    }

    @ParameterizedTest
    @EnumSource(Fn.class)
    void accurateInUlpsAndScalarEqualsVector(Fn fn) {
        StringBuilder report = new StringBuilder();
        boolean ok = true;
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            double[] xs = inputs(fn, t, 42 + fn.ordinal());
            double[] ys = fn == Fn.POW ? exponents(t, 7) : null;
            double[] scalar = run(fn, t, 1, xs, ys);
            int vectorLanes = t == DType.F64 ? 8 : 16;
            double[] vector = run(fn, t, vectorLanes, xs, ys);
            // 128-, 256-, 512- and 1024-bit vectors: on AVX-512 each width takes its own instructions.
            for (int bits : new int[] {128, 256, 512, 1024}) {
                int lanes = bits / (t == DType.F64 ? 64 : 32);
                double[] got = lanes == vectorLanes ? vector : run(fn, t, lanes, xs, ys);
                for (int i = 0; i < N; i++) {
                    if (Double.doubleToLongBits(scalar[i]) != Double.doubleToLongBits(got[i]))
                        fail(fn + " " + t + "(" + xs[i] + (ys == null ? "" : ", " + ys[i]) + "): scalar " + scalar[i] + " but "
                                + lanes + " lanes " + got[i]);
                }
            }
            Measured m = measure(fn, t, xs, ys, vector);
            double bound = t == DType.F64 ? fn.boundF64 : fn.boundF32;
            report.append(String.format("%s %s: max %.3f ulp (bound %.1f) at x=%s%s got %s want %s%n", fn, t, m.maxUlp(), bound, m.worstX(),
                    ys == null ? "" : " y=" + m.worstY(), m.worstGot(), reference(fn, m.worstX(), m.worstY()).value()));
            ok &= m.maxUlp() <= bound;
        }
        System.out.print(report);
        assertTrue(ok, report.toString());
    }

    @Test
    void specialValuesFollowJavaMath() {
        double inf = Double.POSITIVE_INFINITY, nan = Double.NaN;
        record Case(Fn fn, double x, double y, double want) {}
        List<Case> cases = List.of(
                new Case(Fn.EXP, inf, 0, inf), new Case(Fn.EXP, -inf, 0, 0.0), new Case(Fn.EXP, nan, 0, nan), new Case(Fn.EXP, -0.0, 0, 1),
                new Case(Fn.EXP, 1e4, 0, inf), new Case(Fn.EXP, -1e4, 0, 0.0),
                new Case(Fn.LOG, 0.0, 0, -inf), new Case(Fn.LOG, -0.0, 0, -inf), new Case(Fn.LOG, -1, 0, nan), new Case(Fn.LOG, -inf, 0, nan),
                new Case(Fn.LOG, inf, 0, inf), new Case(Fn.LOG, nan, 0, nan), new Case(Fn.LOG, 1, 0, 0.0),
                new Case(Fn.TANH, inf, 0, 1), new Case(Fn.TANH, -inf, 0, -1), new Case(Fn.TANH, -0.0, 0, -0.0), new Case(Fn.TANH, nan, 0, nan),
                new Case(Fn.TANH, 1e30, 0, 1), new Case(Fn.TANH, -40, 0, -1),
                new Case(Fn.ERF, inf, 0, 1), new Case(Fn.ERF, -inf, 0, -1), new Case(Fn.ERF, -0.0, 0, -0.0), new Case(Fn.ERF, nan, 0, nan),
                new Case(Fn.ERF, 1e30, 0, 1), new Case(Fn.ERF, -7, 0, -1),
                new Case(Fn.SIGMOID, inf, 0, 1), new Case(Fn.SIGMOID, -inf, 0, 0.0), new Case(Fn.SIGMOID, 0, 0, 0.5), new Case(Fn.SIGMOID, nan, 0, nan));
        List<Case> all = new ArrayList<>(cases);
        // pow: every pair of special bases and exponents, against Math.pow's list of special cases.
        double[] bases = {0.0, -0.0, inf, -inf, nan, 1, -1, 0.5, -0.5, 2, -2, -3};
        double[] exps = {0.0, -0.0, 1, -1, 2, 3, -3, 0.5, -0.5, inf, -inf, nan};
        for (double x : bases) for (double y : exps) all.add(new Case(Fn.POW, x, y, Math.pow(x, y)));
        // And some finite values, to the precision at hand.
        for (double x : new double[] {0.5, 2, -3, 10}) for (double y : new double[] {-3, -1, 0.5, -0.5, 2, 3}) all.add(new Case(Fn.POW, x, y, Math.pow(x, y)));
        List<String> wrong = new ArrayList<>();
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            for (int lanes : new int[] {1, 8}) {
                for (Fn fn : Fn.values()) {
                    List<Case> mine = all.stream().filter(c -> c.fn() == fn).toList();
                    int n = (mine.size() + 7) / 8 * 8;
                    double[] xs = new double[n], ys = new double[n];
                    for (int i = 0; i < mine.size(); i++) { xs[i] = mine.get(i).x(); ys[i] = mine.get(i).y(); }
                    double[] got = run(fn, t, lanes, xs, ys);
                    for (int i = 0; i < mine.size(); i++) {
                        Case c = mine.get(i);
                        double want = t == DType.F32 ? (float) c.want() : c.want();
                        if (Double.compare(got[i], want) != 0 && !(Double.isNaN(got[i]) && Double.isNaN(want)))
                            wrong.add(fn + " " + t + " lanes " + lanes + " (" + c.x() + (fn == Fn.POW ? ", " + c.y() : "") + ") = " + got[i] + ", want " + want);
                    }
                }
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void powOfIntegersIsExactWhenRepresentable() {
        DoubleBinaryOperator exact = Math::pow;
        for (DType t : new DType[] {DType.F32, DType.F64}) {
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int x = -12; x <= 12; x++) for (int y = -6; y <= 9; y++) { xs.add((double) x); ys.add((double) y); }
            double[] xa = xs.stream().mapToDouble(Double::doubleValue).toArray(), ya = ys.stream().mapToDouble(Double::doubleValue).toArray();
            int pad = (xa.length + 7) / 8 * 8;
            xa = java.util.Arrays.copyOf(xa, pad);
            ya = java.util.Arrays.copyOf(ya, pad);
            double[] got = run(Fn.POW, t, 8, xa, ya);
            for (int i = 0; i < xs.size(); i++) {
                double want = exact.applyAsDouble(xa[i], ya[i]);
                if (t == DType.F32 && (float) want != want) continue; // not representable in f32
                assertEquals(want, got[i], 0.0, "pow(" + xa[i] + ", " + ya[i] + ") " + t);
            }
        }
    }
}
