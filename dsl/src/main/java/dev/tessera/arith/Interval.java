package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Expr;

/**
 * A closed symbolic interval {@code [min, max]} of an integer expression; a null bound means the
 * interval is unbounded on that side. The bounds are scalar expressions even for vector values
 * (they bound every lane).
 */
public record Interval(Expr min, Expr max) {
    private static final Interval EVERYTHING = new Interval(null, null);

    public Interval {
        if (min != null && max != null && !min.type().equals(max.type()))
            throw new IllegalArgumentException("interval bounds differ in type: " + min.type() + " vs " + max.type());
    }

    /** The interval holding exactly {@code e}. */
    public static Interval point(Expr e) { return new Interval(e, e); }

    public static Interval of(Expr min, Expr max) { return new Interval(min, max); }

    /** The unbounded interval. */
    public static Interval everything() { return EVERYTHING; }

    public boolean hasMin() { return min != null; }
    public boolean hasMax() { return max != null; }
    public boolean isBounded() { return min != null && max != null; }
    /** Whether both bounds are the same expression (structurally). */
    public boolean isPoint() { return min != null && min.equals(max); }
    public boolean isEverything() { return min == null && max == null; }

    /** The smallest interval holding both, with simplified bounds. */
    public Interval union(Interval o) {
        Expr lo = min == null || o.min == null ? null : Simplifier.simplify(new Binary(Binary.Op.MIN, min, o.min));
        Expr hi = max == null || o.max == null ? null : Simplifier.simplify(new Binary(Binary.Op.MAX, max, o.max));
        return new Interval(lo, hi);
    }
}
