package dev.tessera.ir;

/** A floating-point constant, rounded to its dtype. */
public record FloatImm(double value, DType type) implements Expr {
    public FloatImm {
        if (!type.isFloat() || type.isVector()) throw new IllegalArgumentException("FloatImm of " + type);
        value = Numerics.roundTo(value, type);
    }

    @Override public String toString() { return type.equals(DType.F32) ? value + "f" : value + ":" + type; }
}
