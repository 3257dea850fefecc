package dev.tessera.ir;

/** An integer (or bool) constant. The value is kept wrapped to the dtype's width. */
public record IntImm(long value, DType type) implements Expr {
    public IntImm {
        if (!(type.isIntegral() || type.isBool())) throw new IllegalArgumentException("IntImm of " + type);
        if (type.isVector()) throw new IllegalArgumentException("IntImm must be scalar; use Broadcast");
        value = wrap(value, type);
    }

    /** Wraps a value to the two's-complement (or unsigned) range of an integral dtype. */
    public static long wrap(long v, DType t) {
        if (t.isBool()) return v != 0 ? 1 : 0;
        int bits = t.bits();
        if (bits == 64) return v;
        long mask = (1L << bits) - 1;
        long u = v & mask;
        if (t.isUInt()) return u;
        return (u & (1L << (bits - 1))) != 0 ? u - (1L << bits) : u;
    }

    public static IntImm i64(long v) { return new IntImm(v, DType.I64); }
    public static IntImm bool(boolean b) { return new IntImm(b ? 1 : 0, DType.BOOL); }

    @Override public String toString() { return type.equals(DType.I64) ? Long.toString(value) : value + ":" + type; }
}
