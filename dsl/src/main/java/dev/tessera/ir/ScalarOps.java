package dev.tessera.ir;

/**
 * Tessera's scalar semantics on values held as doubles (integers exactly, up to 2^53): the
 * definition that interpreters follow and compiled kernels must match.
 */
public final class ScalarOps {
    private ScalarOps() {}

    /** Rounds or wraps a value to what the dtype can hold. */
    public static double fit(double v, DType t) {
        if (t.isFloat()) return Numerics.roundTo(v, t);
        if (t.isBool()) return v != 0 ? 1 : 0;
        return IntImm.wrap((long) v, t);
    }

    public static double binary(Binary.Op op, DType t, double a, double b) {
        DType s = t.scalar();
        if (s.isFloat()) {
            return switch (op) {
                case ADD -> fit(a + b, s);
                case SUB -> fit(a - b, s);
                case MUL -> fit(a * b, s);
                case DIV -> fit(a / b, s);
                case MOD -> fit(a - b * Math.floor(a / b), s);
                case MIN -> fit(Math.min(a, b), s);
                case MAX -> fit(Math.max(a, b), s);
                default -> compare(op, a, b);
            };
        }
        long x = (long) a, y = (long) b;
        return switch (op) {
            case ADD -> fit(x + y, s);
            case SUB -> fit(x - y, s);
            case MUL -> fit(x * y, s);
            case DIV -> fit(Numerics.floorDiv(x, y), s);
            case MOD -> fit(Numerics.floorMod(x, y), s);
            case MIN -> Math.min(x, y);
            case MAX -> Math.max(x, y);
            case AND -> (x != 0 && y != 0) ? 1 : 0;
            case OR -> (x != 0 || y != 0) ? 1 : 0;
            default -> compare(op, a, b);
        };
    }

    private static double compare(Binary.Op op, double a, double b) {
        boolean r = switch (op) {
            case EQ -> a == b;
            case NE -> a != b;
            case LT -> a < b;
            case LE -> a <= b;
            case GT -> a > b;
            case GE -> a >= b;
            default -> throw new IllegalStateException(op + " is not a comparison");
        };
        return r ? 1 : 0;
    }

    /** Float to integer truncates toward zero and saturates (NaN gives 0); integers wrap; bool is != 0. */
    public static double cast(DType to, DType from, double v) {
        DType t = to.scalar();
        if (t.isBool()) return v != 0 ? 1 : 0;
        if (t.isFloat()) return Numerics.roundTo(v, t);
        if (from.isFloat()) {
            if (Double.isNaN(v)) return 0;
            double lo = t.isUInt() ? 0 : (t.bits() == 64 ? Long.MIN_VALUE : -Math.pow(2, t.bits() - 1));
            double hi = t.isUInt() ? Math.pow(2, t.bits()) - 1 : (t.bits() == 64 ? Long.MAX_VALUE : Math.pow(2, t.bits() - 1) - 1);
            double c = Math.max(lo, Math.min(hi, v < 0 ? Math.ceil(v) : Math.floor(v)));
            return c;
        }
        return IntImm.wrap((long) v, t);
    }

    public static double call(Call.Fn fn, DType t, double... a) {
        DType s = t.scalar();
        if (!s.isFloat()) {
            if (fn == Call.Fn.ABS) return fit(Math.abs((long) a[0]), s);
            throw new IllegalStateException(fn + " on " + s);
        }
        double x = a[0];
        double r = switch (fn) {
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case TANH -> Math.tanh(x);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case POW -> Math.pow(x, a[1]);
            case ABS -> Math.abs(x);
            case FLOOR -> Math.floor(x);
            case CEIL -> Math.ceil(x);
            case ERF -> erf(x);
        };
        return fit(r, s);
    }

    /** The error function, accurate to about 1e-15 (a Maclaurin series below 2, a continued fraction for erfc above). */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double ax = Math.abs(x);
        if (ax < 2) {
            // Maclaurin series converges fast here.
            double sum = 0, term = x, x2 = x * x;
            for (int n = 0; n < 80; n++) {
                sum += term / (2 * n + 1);
                term *= -x2 / (n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        if (ax > 6) return Math.signum(x);
        // Continued fraction for erfc (Lentz), then erf = 1 - erfc.
        double tiny = 1e-300, f = ax, c = ax, d = 0;
        for (int n = 1; n < 300; n++) {
            double an = n / 2.0;
            double bn = ax;
            d = bn + an * d;
            if (Math.abs(d) < tiny) d = tiny;
            c = bn + an / c;
            if (Math.abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.signum(x) * (1 - erfc);
    }
}
