package dev.tessera.ir;

import dev.tessera.TesseraUserError;

/**
 * An element type: a scalar kind, its bit width, and a lane count ({@code lanes > 1} only in vector IR).
 *
 * <p>Promotion (applied by the DSL when two operands differ, see {@link #promote}): bool converts to
 * anything; an integer meeting a float becomes that float; two floats give the wider one (f16 with
 * bf16 gives f32); two integers give the wider one, and at equal width signed wins.
 * Arithmetic on f16 and bf16 is carried out in f32 and rounded back after every operation.
 */
public record DType(Code code, int bits, int lanes) {
    /** The scalar kinds. */
    public enum Code { FLOAT, BFLOAT, INT, UINT, BOOL }

    public static final DType F64 = new DType(Code.FLOAT, 64, 1);
    public static final DType F32 = new DType(Code.FLOAT, 32, 1);
    public static final DType F16 = new DType(Code.FLOAT, 16, 1);
    public static final DType BF16 = new DType(Code.BFLOAT, 16, 1);
    public static final DType I64 = new DType(Code.INT, 64, 1);
    public static final DType I32 = new DType(Code.INT, 32, 1);
    public static final DType I8 = new DType(Code.INT, 8, 1);
    public static final DType U8 = new DType(Code.UINT, 8, 1);
    public static final DType BOOL = new DType(Code.BOOL, 1, 1);

    public DType {
        if (lanes < 1) throw new IllegalArgumentException("lanes must be >= 1: " + lanes);
    }

    public boolean isFloat() { return code == Code.FLOAT || code == Code.BFLOAT; }
    public boolean isInt() { return code == Code.INT; }
    public boolean isUInt() { return code == Code.UINT; }
    public boolean isIntegral() { return code == Code.INT || code == Code.UINT; }
    public boolean isBool() { return code == Code.BOOL; }
    public boolean isVector() { return lanes > 1; }

    /** Bytes one scalar element occupies in memory (bool takes a byte). */
    public int bytes() { return code == Code.BOOL ? 1 : bits / 8; }

    public DType scalar() { return lanes == 1 ? this : new DType(code, bits, 1); }
    public DType withLanes(int n) { return n == lanes ? this : new DType(code, bits, n); }

    /** The dtype of the name printed by {@link #toString()}, e.g. "f32", "i64", "bool". */
    public static DType parse(String name) {
        for (DType t : all()) if (t.toString().equals(name)) return t;
        throw new TesseraUserError("unknown dtype '" + name + "'; known dtypes: f32, f64, f16, bf16, i8, i32, i64, u8, bool");
    }

    public static DType[] all() { return new DType[] {F32, F64, F16, BF16, I8, I32, I64, U8, BOOL}; }

    /** The common type of two operands, following the promotion rules in the class comment. */
    public static DType promote(DType a, DType b) {
        if (a.equals(b)) return a;
        if (a.lanes != b.lanes) throw new IllegalArgumentException("lane mismatch " + a + " vs " + b);
        if (a.isBool()) return b;
        if (b.isBool()) return a;
        if (a.isFloat() && b.isFloat()) {
            if (a.bits != b.bits) return a.bits > b.bits ? a : b;
            return F32.withLanes(a.lanes); // f16 meets bf16
        }
        if (a.isFloat()) return a;
        if (b.isFloat()) return b;
        if (a.bits != b.bits) return a.bits > b.bits ? a : b;
        return a.isInt() ? a : b;
    }

    @Override
    public String toString() {
        String s = switch (code) {
            case FLOAT -> "f" + bits;
            case BFLOAT -> "bf" + bits;
            case INT -> "i" + bits;
            case UINT -> "u" + bits;
            case BOOL -> "bool";
        };
        return lanes == 1 ? s : s + "x" + lanes;
    }
}
