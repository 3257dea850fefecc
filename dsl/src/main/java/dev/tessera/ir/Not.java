package dev.tessera.ir;

/** Logical negation of a bool. */
public record Not(Expr a) implements Expr {
    public Not {
        if (!a.type().isBool()) throw new IllegalArgumentException("! needs bool, got " + a.type());
    }
    @Override public DType type() { return a.type(); }
}
