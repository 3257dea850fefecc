package dev.tessera.ir;

/** The vector {@code base, base + stride, ..., base + (lanes-1) * stride}. */
public record Ramp(Expr base, Expr stride, int lanes) implements Expr {
    public Ramp {
        if (base.type().isVector() || stride.type().isVector()) throw new IllegalArgumentException("ramp of vectors");
        if (!base.type().equals(stride.type())) throw new IllegalArgumentException("ramp base and stride differ in type");
        if (lanes < 2) throw new IllegalArgumentException("ramp needs >= 2 lanes");
    }
    @Override public DType type() { return base.type().withLanes(lanes); }
}
