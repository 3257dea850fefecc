package dev.tessera.ir;

/**
 * {@code cond ? t : f}. Only the chosen side is evaluated, so a side may read memory that is valid
 * only when it is chosen (padding in conv2d): targets lower such reads to branches or masked loads.
 */
public record Select(Expr cond, Expr t, Expr f) implements Expr {
    public Select {
        if (!cond.type().isBool()) throw new IllegalArgumentException("select condition must be bool, got " + cond.type());
        if (!t.type().equals(f.type())) throw new IllegalArgumentException("select sides differ: " + t.type() + " vs " + f.type());
        if (cond.type().lanes() != t.type().lanes() && cond.type().lanes() != 1)
            throw new IllegalArgumentException("select lanes differ");
    }
    @Override public DType type() { return t.type(); }
}
