package dev.tessera.target.llvm;

import dev.tessera.ir.ScalarMath;

/**
 * exp, log, tanh, erf, sigmoid and pow to about 100 bits, in double-double arithmetic: the oracle
 * that {@link VectorMathTest} measures f64 errors against ({@link StrictMath} is itself up to an ulp
 * off, which would hide or fake an ulp of ours). Results are {@code (hi + lo) 2^exp2} with {@code |lo| <=
 * ulp(hi) / 2}; exp2 is 0 except for results so small that lo would underflow. Special values (NaN,
 * infinities, zeros, overflow, underflow) are {@link Math}'s, in hi.
 */
final class ReferenceMath {
    private ReferenceMath() {}

    /** An unevaluated sum (hi + lo) 2^exp2; arithmetic is on exp2 == 0 values only. */
    record DD(double hi, double lo, int exp2) {
        DD(double hi, double lo) { this(hi, lo, 0); }
        static DD of(double x) { return new DD(x, 0); }

        /** The value rounded to a double. */
        double value() { return exp2 == 0 ? hi : Math.scalb(hi, exp2); }

        DD add(DD y) {
            double s = hi + y.hi, bb = s - hi, e = (hi - (s - bb)) + (y.hi - bb);
            return normalize(s, e + lo + y.lo);
        }

        DD add(double y) { return add(of(y)); }
        DD negate() { return new DD(-hi, -lo); }
        DD sub(DD y) { return add(y.negate()); }

        DD mul(DD y) {
            double p = hi * y.hi, e = Math.fma(hi, y.hi, -p);
            return normalize(p, e + hi * y.lo + lo * y.hi);
        }

        DD mul(double y) { return mul(of(y)); }

        DD div(DD y) {
            double q1 = hi / y.hi;
            DD r = sub(y.mul(q1));
            double q2 = r.hi / y.hi;
            r = r.sub(y.mul(q2));
            return normalize(q1, q2 + r.hi / y.hi);
        }

        DD div(double y) { return div(of(y)); }
        DD scalb(int k) { return new DD(Math.scalb(hi, k), Math.scalb(lo, k)); }

        static DD normalize(double a, double b) {
            double s = a + b;
            if (Double.isInfinite(s) || Double.isNaN(s)) return new DD(s, 0);
            return new DD(s, b - (s - a));
        }
    }

    static final DD LN2 = new DD(0.6931471805599453, 2.3190468138462996e-17);
    static final DD TWO_OVER_SQRT_PI = new DD(1.1283791670955126, 1.533545961316588e-17);

    static DD exp(double x) { return exp(DD.of(x)); }

    static DD exp(DD x) {
        if (Double.isNaN(x.hi)) return x;
        if (x.hi > 710) return DD.of(Double.POSITIVE_INFINITY);
        if (x.hi < -746) return DD.of(0);
        double k = Math.rint(x.hi / LN2.hi);
        // r = x - k ln2, then e^r = (e^(r / 1024))^1024 with a short Taylor series.
        DD r = x.sub(LN2.mul(k)).scalb(-10);
        DD p = DD.of(1);
        for (int n = 14; n >= 1; n--) p = r.mul(p).div(n).add(1);
        for (int i = 0; i < 10; i++) p = p.mul(p);
        // Below 2^-960, lo would underflow: keep the power of two apart.
        if (k < -960) return Math.scalb(p.hi, (int) k) == 0 ? DD.of(0) : new DD(p.hi, p.lo, (int) k);
        int k1 = (int) k / 2, k2 = (int) k - k1;
        return p.scalb(k1).scalb(k2);
    }

    static DD log(double x) {
        if (Double.isNaN(x) || x < 0) return DD.of(Double.NaN);
        if (x == 0) return DD.of(Double.NEGATIVE_INFINITY);
        if (Double.isInfinite(x)) return DD.of(x);
        // Keep x e^-y representable: scale x to near 1 by a power of two first.
        int e = Math.getExponent(x) < Double.MIN_EXPONENT ? Math.getExponent(x * 0x1p60) - 60 : Math.getExponent(x);
        double m = Math.scalb(x, -e);
        double y = Math.log(m);
        // One Newton step on exp doubles the precision: y + m e^-y - 1.
        DD logM = DD.of(y).add(DD.of(m).mul(exp(-y)).add(-1));
        return logM.add(LN2.mul(e));
    }

    static DD tanh(double x) {
        if (Double.isNaN(x)) return DD.of(x);
        double ax = Math.abs(x);
        DD r;
        if (ax < 1e-9) r = DD.of(ax - ax * ax * ax / 3);
        else if (ax > 40) r = DD.of(1);
        else {
            DD e = exp(2 * ax);
            r = e.add(-1).div(e.add(1));
        }
        return x < 0 || (x == 0 && 1 / x < 0) ? r.negate() : r;
    }

    static DD sigmoid(double x) {
        if (Double.isNaN(x)) return DD.of(x);
        if (x < 0) {
            DD e = exp(x);
            if (e.exp2 != 0) return e; // e^x / (1 + e^x) = e^x to 100 bits
            return e.div(e.add(1));
        }
        DD e = exp(-x);
        if (e.exp2 != 0) return DD.of(1); // 1 - e^-x: lo would underflow
        return DD.of(1).div(e.add(1));
    }

    /** erf by its Taylor series below 3.5 (at most 5 of 32 digits lost to cancellation); beyond, 1 - erfc is exact enough in double. */
    static DD erf(double x) {
        if (Double.isNaN(x)) return DD.of(x);
        double ax = Math.abs(x);
        DD r;
        if (ax >= 3.5) r = DD.of(ScalarMath.erf(ax));
        else {
            DD x2 = DD.of(ax).mul(ax).negate();
            DD term = DD.of(ax), sum = DD.of(ax);
            for (int n = 1; n < 400 && Math.abs(term.hi) > 1e-40; n++) {
                term = term.mul(x2).div(n);
                sum = sum.add(term.div(2 * n + 1));
            }
            r = sum.mul(TWO_OVER_SQRT_PI);
        }
        return x < 0 || (x == 0 && 1 / x < 0) ? r.negate() : r;
    }

    static DD pow(double x, double y) {
        boolean integral = Math.rint(y) == y && !Double.isInfinite(y);
        if (Double.isNaN(x) || Double.isNaN(y) || Double.isInfinite(x) || Double.isInfinite(y) || x == 0 || y == 0 || y == 1
                || (x < 0 && !integral))
            return DD.of(StrictMath.pow(x, y));
        DD r = exp(log(Math.abs(x)).mul(y));
        boolean odd = integral && Math.rint(y / 2) != y / 2;
        return x < 0 && odd ? new DD(-r.hi, -r.lo, r.exp2) : r;
    }
}
