package dev.tessera.ir;

/** A scalar repeated in every lane. */
public record Broadcast(Expr value, int lanes) implements Expr {
    public Broadcast {
        if (value.type().isVector()) throw new IllegalArgumentException("broadcast of a vector");
        if (lanes < 2) throw new IllegalArgumentException("broadcast needs >= 2 lanes");
    }
    @Override public DType type() { return value.type().withLanes(lanes); }
}
