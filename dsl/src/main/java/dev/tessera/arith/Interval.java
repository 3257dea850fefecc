package dev.tessera.arith;

import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;

/** TEMPORARY stub until the arith branch lands. */
public record Interval(Expr min, Expr max) {
    public static Interval point(Expr e) { return new Interval(e, e); }
    public static Interval everything() { return new Interval(null, null); }
    public Interval union(Interval o) {
        Expr lo = min == null || o.min == null ? null : Te.min(min, o.min);
        Expr hi = max == null || o.max == null ? null : Te.max(max, o.max);
        return new Interval(lo, hi);
    }
}
