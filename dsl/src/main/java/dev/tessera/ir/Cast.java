package dev.tessera.ir;

/**
 * A conversion. Float to integer truncates toward zero and saturates (NaN gives 0); integer to
 * integer wraps; anything to bool is {@code != 0}.
 */
public record Cast(DType type, Expr value) implements Expr {
    public Cast {
        if (type.lanes() != value.type().lanes()) throw new IllegalArgumentException("cast changes lanes");
    }
}
