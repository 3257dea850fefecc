package dev.tessera.ir;

/**
 * An iteration axis of a compute: a spatial axis (one per output dimension) or a reduction axis.
 * Axes run from 0 to {@code extent - 1}; the extent may be symbolic.
 */
public record Axis(Var var, Expr extent, Kind kind) {
    /** Whether an axis indexes the output or is summed (reduced) over. */
    public enum Kind { SPATIAL, REDUCE }

    public Axis {
        if (!extent.type().equals(DType.I64)) throw new IllegalArgumentException("axis extent must be i64");
    }

    public String name() { return var.name(); }
}
