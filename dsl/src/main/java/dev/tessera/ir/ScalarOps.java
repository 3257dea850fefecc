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
                case MOD -> fit(a - fit(b * Math.floor(fit(a / b, s)), s), s); // rounded step by step, as compiled code runs it
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
        if (from.isFloat()) return ScalarMath.floatToInt(v, t);
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
            case ERF -> ScalarMath.erf(x);
        };
        return fit(r, s);
    }
}
