package dev.tessera.ir;

/** Scalar rounding rules shared by the constant folder and the reference interpreter. */
public final class Numerics {
    private Numerics() {}

    /** Rounds a double to the nearest value representable in a float dtype (round to nearest even). */
    public static double roundTo(double v, DType t) {
        return switch (t.code()) {
            case FLOAT -> switch (t.bits()) {
                case 64 -> v;
                case 32 -> (float) v;
                case 16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
                default -> throw new IllegalStateException("float width " + t.bits());
            };
            case BFLOAT -> bf16ToFloat(floatToBf16((float) v));
            default -> throw new IllegalStateException("roundTo " + t);
        };
    }

    /** bfloat16 bits of a float, round to nearest even; NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Floor division with Tessera's semantics: rounds toward negative infinity; x / 0 == 0. */
    public static long floorDiv(long a, long b) {
        if (b == 0) return 0;
        if (b == -1) return -a; // avoids the overflow trap of MIN_VALUE / -1; wraps like the hardware result would
        return Math.floorDiv(a, b);
    }

    /** Floor modulo: the result has the sign of the divisor; x % 0 == 0. */
    public static long floorMod(long a, long b) {
        if (b == 0 || b == -1) return 0;
        return Math.floorMod(a, b);
    }
}
