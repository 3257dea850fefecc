package dev.tessera.ir;


/** Scalar conversions and math functions with Tessera's exact semantics, as the reference interpreter applies them. */
public final class ScalarMath {
    private ScalarMath() {}

    private static final double TWO_63 = 0x1p63;
    private static final double TWO_64 = 0x1p64;
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    private static final double ONE_OVER_SQRT_PI = 0.5641895835477563;

    /** Rounds a value to a float dtype; f16 and bf16 go through f32 (as their arithmetic does). */
    public static double round(double v, DType t) {
        if (t.bits() == 64) return v;
        if (t.code() == DType.Code.FLOAT && t.bits() == 32) return (float) v;
        return Numerics.roundTo(v, t);
    }

    /**
     * Float to integer conversion: truncates toward zero, saturates to the range of {@code t}, NaN
     * gives 0. The result is a long holding the value (u64 values above 2^63 as their bit pattern).
     */
    public static long floatToInt(double d, DType t) {
        if (Double.isNaN(d)) return 0;
        if (t.isBool()) return d != 0 ? 1 : 0;
        int bits = t.bits();
        if (t.isUInt()) {
            if (d <= 0) return 0;
            if (bits == 64) {
                if (d >= TWO_64) return -1L;
                if (d >= TWO_63) return (long) (d - TWO_63) + Long.MIN_VALUE;
                return (long) d;
            }
            long max = (1L << bits) - 1;
            return d >= max ? max : (long) d;
        }
        if (bits == 64) return (long) d; // Java's conversion already truncates and saturates
        long max = (1L << (bits - 1)) - 1, min = -(1L << (bits - 1));
        if (d >= max) return max;
        if (d <= min) return min;
        return (long) d;
    }

    /** The double nearest an integral value of type {@code from} (u64 read as unsigned). */
    public static double intToDouble(long v, DType from) {
        if (from.isUInt() && from.bits() == 64 && v < 0) return (double) (v >>> 1) * 2.0 + (v & 1);
        return (double) v;
    }

    /**
     * The error function, accurate to about 1e-15 relative over the whole real line. For
     * {@code |x| < 3} it sums the everywhere-positive series
     * {@code erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))}
     * (no cancellation); beyond, it evaluates the Laplace continued fraction of erfc backwards.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        double r;
        if (ax < 3.0) {
            double x2 = ax * ax;
            double term = ax, sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= 2.0 * x2 / (2 * n + 1);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
        } else if (ax < 6.5) {
            r = 1.0 - erfcContinuedFraction(ax);
        } else {
            r = 1.0;
        }
        return x < 0 ? -r : r;
    }

    /** erfc(x) for x >= 3: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))). */
    private static double erfcContinuedFraction(double x) {
        double t = x;
        for (int k = 80; k >= 1; k--) t = x + (k * 0.5) / t;
        return Math.exp(-x * x) * ONE_OVER_SQRT_PI / t;
    }
}
