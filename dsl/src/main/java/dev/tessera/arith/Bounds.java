package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.HashMap;
import java.util.Map;

/**
 * Symbolic interval analysis: the range of an integer expression when each scoped variable ranges
 * over its interval (variables outside the scope are fixed symbols). Used by bounds inference (the
 * region of a producer a loop needs) and to prove guards redundant, so the result is sound: it
 * may be wider than the true range, never narrower. Signed 32/64-bit arithmetic is assumed not to
 * overflow (as in Halide); other integer types get constant bounds that are sound under wrapping.
 */
public final class Bounds {
    private Bounds() {}

    /** The interval of {@code e} over the scope, with simplified bounds (scalar, for every lane of a vector). */
    public static Interval of(Expr e, Map<Var, Interval> scope) {
        return simplified(bounds(e, scope));
    }

    /**
     * Bounds larger than this many nodes are replaced by constants (or dropped). Bounds of bounds
     * compose: through a graph of stages whose regions read each other, exact symbolic bounds grow
     * with the number of paths, exponentially, while a coarser bound costs little precision.
     */
    static final int MAX_BOUND_NODES = 300;

    private static Interval simplified(Interval i) {
        Expr lo = i.min() == null ? null : Simplifier.simplify(i.min());
        Expr hi = i.max() == null ? null : i.max() == i.min() ? lo : Simplifier.simplify(i.max());
        return new Interval(lo == null ? null : capped(lo, true), hi == null ? null : capped(hi, false));
    }

    private static Expr capped(Expr bound, boolean lower) {
        if (Exprs.size(bound, MAX_BOUND_NODES + 1) <= MAX_BOUND_NODES) return bound;
        ConstantRange r = ConstantRange.of(bound, Map.of());
        long c = lower ? r.lo() : r.hi();
        return c == ConstantRange.NEG_INF || c == ConstantRange.POS_INF ? null : new IntImm(c, bound.type().scalar());
    }

    private static boolean dependsOnScope(Expr e, Map<Var, Interval> scope) {
        if (scope.isEmpty()) return false;
        for (Var v : Exprs.vars(e)) if (scope.containsKey(v)) return true;
        return false;
    }

    private static Interval bounds(Expr e, Map<Var, Interval> scope) {
        DType t = e.type();
        if (!dependsOnScope(e, scope)) {
            if (!t.isVector()) return Interval.point(e);
            if (e instanceof Broadcast(Expr v, int n)) return Interval.point(v);
        }
        if (!Rewriter.noOverflow(t.scalar())) return constant(e, scope);
        return switch (e) {
            case IntImm i -> Interval.point(i);
            case Var v -> {
                Interval iv = scope.get(v);
                if (iv == null && t.isVector()) yield Interval.everything(); // bounds are scalar: a vector variable has none of its own
                if (iv == null) yield Interval.point(v);
                Map<Var, Interval> rest = new HashMap<>(scope);
                rest.remove(v);
                Expr lo = iv.min() == null ? null : bounds(iv.min(), rest).min();
                Expr hi = iv.max() == null ? null : bounds(iv.max(), rest).max();
                yield new Interval(lo, hi);
            }
            case Binary(Op op, Expr a, Expr b) when !op.isComparison() && !op.isLogical() ->
                    binary(op, e, simplified(bounds(a, scope)), simplified(bounds(b, scope)), scope);
            case Select s -> simplified(bounds(s.t(), scope)).union(simplified(bounds(s.f(), scope)));
            case Cast(DType to, Expr v) when widens(v.type().scalar(), to.scalar()) -> {
                Interval iv = bounds(v, scope);
                yield new Interval(iv.min() == null ? null : new Cast(to.scalar(), iv.min()),
                        iv.max() == null ? null : new Cast(to.scalar(), iv.max()));
            }
            case Broadcast(Expr v, int n) -> bounds(v, scope);
            case Ramp(Expr base, Expr stride, int lanes) -> ramp(simplified(bounds(base, scope)), stride, lanes, scope);
            default -> constant(e, scope);
        };
    }

    private static boolean widens(DType from, DType to) {
        if (!from.isIntegral() || !to.isIntegral()) return false;
        if (from.isInt()) return to.isInt() && to.bits() >= from.bits();
        return to.isUInt() ? to.bits() >= from.bits() : to.bits() > from.bits();
    }

    private static Interval constant(Expr e, Map<Var, Interval> scope) {
        DType t = e.type().scalar();
        if (!t.isIntegral() && !t.isBool()) return Interval.everything();
        ConstantRange r = ConstantRange.of(e, scope);
        return new Interval(r.lo() == ConstantRange.NEG_INF ? null : new IntImm(r.lo(), t),
                r.hi() == ConstantRange.POS_INF ? null : new IntImm(r.hi(), t));
    }

    private static Expr bin(Op op, Expr a, Expr b) {
        return a == null || b == null ? null : new Binary(op, a, b);
    }

    private static Interval binary(Op op, Expr e, Interval a, Interval b, Map<Var, Interval> scope) {
        if (a.isPoint() && b.isPoint()) return Interval.point(new Binary(op, a.min(), b.min()));
        Long c = b.isPoint() ? Exprs.constInt(b.min()) : null;
        return switch (op) {
            case ADD -> new Interval(bin(Op.ADD, a.min(), b.min()), bin(Op.ADD, a.max(), b.max()));
            case SUB -> new Interval(bin(Op.SUB, a.min(), b.max()), bin(Op.SUB, a.max(), b.min()));
            case MUL -> {
                if (c != null) yield scale(a, b.min(), c);
                Long ca = a.isPoint() ? Exprs.constInt(a.min()) : null;
                if (ca != null) yield scale(b, a.min(), ca);
                if (!a.isBounded() || !b.isBounded()) yield constant(e, scope);
                Expr p1 = bin(Op.MUL, a.min(), b.min()), p2 = bin(Op.MUL, a.min(), b.max());
                Expr p3 = bin(Op.MUL, a.max(), b.min()), p4 = bin(Op.MUL, a.max(), b.max());
                yield new Interval(bin(Op.MIN, bin(Op.MIN, p1, p2), bin(Op.MIN, p3, p4)),
                        bin(Op.MAX, bin(Op.MAX, p1, p2), bin(Op.MAX, p3, p4)));
            }
            case DIV -> {
                if (c != null) {
                    if (c == 0) yield Interval.point(new IntImm(0, e.type().scalar()));
                    if (c > 0) yield new Interval(bin(Op.DIV, a.min(), b.min()), bin(Op.DIV, a.max(), b.min()));
                    yield new Interval(bin(Op.DIV, a.max(), b.min()), bin(Op.DIV, a.min(), b.min()));
                }
                if (ConstantRange.of(((Binary) e).b(), scope).lo() >= 1) {
                    // A divisor >= 1 moves the dividend toward zero, never past it.
                    Expr zero = new IntImm(0, e.type().scalar());
                    yield new Interval(bin(Op.MIN, a.min(), zero), bin(Op.MAX, a.max(), zero));
                }
                yield constant(e, scope);
            }
            case MOD -> {
                Expr x = ((Binary) e).a();
                DType t = e.type().scalar();
                if (c != null) {
                    if (c == 0 || c == -1) yield Interval.point(new IntImm(0, t));
                    if (c > 0) {
                        if (ConstantRange.of(x, scope).within(0, c - 1)) yield a;
                        yield new Interval(new IntImm(0, t), new IntImm(c - 1, t));
                    }
                    yield new Interval(new IntImm(c + 1, t), new IntImm(0, t));
                }
                if (ConstantRange.of(((Binary) e).b(), scope).lo() >= 1) {
                    Expr hi = bin(Op.SUB, b.max(), new IntImm(1, t));
                    if (ConstantRange.of(x, scope).lo() >= 0 && a.max() != null) hi = hi == null ? a.max() : bin(Op.MIN, hi, a.max());
                    yield new Interval(new IntImm(0, t), hi);
                }
                yield constant(e, scope);
            }
            case MIN -> new Interval(bin(Op.MIN, a.min(), b.min()),
                    a.max() == null ? b.max() : b.max() == null ? a.max() : bin(Op.MIN, a.max(), b.max()));
            case MAX -> new Interval(a.min() == null ? b.min() : b.min() == null ? a.min() : bin(Op.MAX, a.min(), b.min()),
                    bin(Op.MAX, a.max(), b.max()));
            default -> constant(e, scope);
        };
    }

    private static Interval scale(Interval a, Expr k, long c) {
        if (c == 0) return Interval.point(k);
        Expr lo = bin(Op.MUL, a.min(), k), hi = bin(Op.MUL, a.max(), k);
        return c > 0 ? new Interval(lo, hi) : new Interval(hi, lo);
    }

    private static Interval ramp(Interval base, Expr stride, int lanes, Map<Var, Interval> scope) {
        DType t = stride.type();
        Expr last = new IntImm(lanes - 1, t);
        Long s = Exprs.constInt(stride);
        if (s != null) {
            Expr span = new IntImm(s * (lanes - 1), t);
            return s >= 0 ? new Interval(base.min(), bin(Op.ADD, base.max(), span))
                    : new Interval(bin(Op.ADD, base.min(), span), base.max());
        }
        Interval st = simplified(bounds(stride, scope));
        Expr zero = new IntImm(0, t);
        Expr lo = bin(Op.ADD, base.min(), bin(Op.MIN, zero, bin(Op.MUL, st.min(), last)));
        Expr hi = bin(Op.ADD, base.max(), bin(Op.MAX, zero, bin(Op.MUL, st.max(), last)));
        return new Interval(lo, hi);
    }
}
