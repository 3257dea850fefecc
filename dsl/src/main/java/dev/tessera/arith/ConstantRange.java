package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.HashMap;
import java.util.Map;

/**
 * A constant range {@code [lo, hi]} of an integer value, with {@link #NEG_INF} and {@link #POS_INF}
 * standing for unbounded sides. Computed with exact (overflow-checked) arithmetic, and clamped to
 * the dtype's range whenever a narrow result could have wrapped, so it is sound under Tessera's
 * wrapping integer semantics for every integer dtype.
 */
record ConstantRange(long lo, long hi) {
    static final long NEG_INF = Long.MIN_VALUE;
    static final long POS_INF = Long.MAX_VALUE;
    static final ConstantRange ALL = new ConstantRange(NEG_INF, POS_INF);

    static ConstantRange point(long v) {
        // The sentinels cannot be points; widening is sound.
        if (v == NEG_INF || v == POS_INF) return ALL;
        return new ConstantRange(v, v);
    }

    boolean finite() { return lo != NEG_INF && hi != POS_INF; }
    boolean isPoint() { return finite() && lo == hi; }
    boolean within(long a, long b) { return lo >= a && hi <= b; }

    static ConstantRange ofType(DType t) {
        t = t.scalar();
        if (t.isBool()) return new ConstantRange(0, 1);
        if (!t.isIntegral() || t.bits() >= 64) return ALL;
        if (t.isUInt()) return new ConstantRange(0, (1L << t.bits()) - 1);
        return new ConstantRange(-(1L << (t.bits() - 1)), (1L << (t.bits() - 1)) - 1);
    }

    /** This range if no value in it wraps in {@code t}, else the whole range of {@code t}. */
    ConstantRange fit(DType t) {
        ConstantRange r = ofType(t);
        return within(r.lo, r.hi) ? this : r;
    }

    static long addSat(long a, long b) {
        if (a == NEG_INF || b == NEG_INF) return NEG_INF;
        if (a == POS_INF || b == POS_INF) return POS_INF;
        long s = a + b;
        if (((a ^ s) & (b ^ s)) < 0) return a > 0 ? POS_INF : NEG_INF;
        return s;
    }

    ConstantRange add(ConstantRange o) {
        long l = lo == NEG_INF || o.lo == NEG_INF ? NEG_INF : addExactOr(lo, o.lo, NEG_INF);
        long h = hi == POS_INF || o.hi == POS_INF ? POS_INF : addExactOr(hi, o.hi, POS_INF);
        return new ConstantRange(l, h);
    }

    ConstantRange negate() {
        return new ConstantRange(hi == POS_INF ? NEG_INF : -hi, lo == NEG_INF ? POS_INF : -lo);
    }

    ConstantRange sub(ConstantRange o) { return add(o.negate()); }

    ConstantRange scale(long k) {
        if (k == 0) return point(0);
        if (k > 0) return new ConstantRange(mulOr(lo, k, NEG_INF), mulOr(hi, k, POS_INF));
        return new ConstantRange(mulOr(hi, k, NEG_INF), mulOr(lo, k, POS_INF));
    }

    ConstantRange mul(ConstantRange o) {
        if (o.isPoint()) return scale(o.lo);
        if (isPoint()) return o.scale(lo);
        if (finite() && o.finite()) {
            long[] c = {mulOr(lo, o.lo, NEG_INF), mulOr(lo, o.hi, NEG_INF), mulOr(hi, o.lo, NEG_INF), mulOr(hi, o.hi, NEG_INF)};
            for (long x : c) if (x == NEG_INF || x == POS_INF) return ALL;
            long l = Math.min(Math.min(c[0], c[1]), Math.min(c[2], c[3]));
            long h = Math.max(Math.max(c[0], c[1]), Math.max(c[2], c[3]));
            return new ConstantRange(l, h);
        }
        if (lo >= 0 && o.lo >= 0) return new ConstantRange(mulOr(lo, o.lo, NEG_INF), POS_INF);
        return ALL;
    }

    ConstantRange div(ConstantRange o) {
        if (o.isPoint()) {
            long c = o.lo;
            if (c == 0) return point(0);
            if (c > 0) return new ConstantRange(lo == NEG_INF ? NEG_INF : Math.floorDiv(lo, c), hi == POS_INF ? POS_INF : Math.floorDiv(hi, c));
            if (c == -1) return negate();
            return new ConstantRange(hi == POS_INF ? NEG_INF : Math.floorDiv(hi, c), lo == NEG_INF ? POS_INF : Math.floorDiv(lo, c));
        }
        // A divisor >= 1 never moves the dividend away from zero.
        if (o.lo >= 1) return new ConstantRange(Math.min(lo, 0), Math.max(hi, 0));
        return ALL;
    }

    ConstantRange mod(ConstantRange o) {
        if (o.isPoint()) {
            long c = o.lo;
            if (c == 0 || c == -1) return point(0);
            if (c > 0) return within(0, c - 1) ? this : new ConstantRange(0, c - 1);
            return within(c + 1, 0) ? this : new ConstantRange(c + 1, 0);
        }
        if (o.lo >= 1) {
            long h = o.hi == POS_INF ? POS_INF : o.hi - 1;
            if (lo >= 0) h = Math.min(h, hi);
            return new ConstantRange(0, h);
        }
        return ALL;
    }

    ConstantRange min(ConstantRange o) { return new ConstantRange(Math.min(lo, o.lo), Math.min(hi, o.hi)); }
    ConstantRange max(ConstantRange o) { return new ConstantRange(Math.max(lo, o.lo), Math.max(hi, o.hi)); }
    ConstantRange union(ConstantRange o) { return new ConstantRange(Math.min(lo, o.lo), Math.max(hi, o.hi)); }
    ConstantRange intersect(ConstantRange o) {
        long l = Math.max(lo, o.lo), h = Math.min(hi, o.hi);
        return l <= h ? new ConstantRange(l, h) : this;
    }

    private static long addExactOr(long a, long b, long inf) {
        try { return Math.addExact(a, b); } catch (ArithmeticException e) { return inf; }
    }

    private static long mulOr(long a, long k, long unused) {
        if (a == NEG_INF || a == POS_INF) {
            if (k == 0) return 0;
            boolean positive = (a == POS_INF) == (k > 0);
            return positive ? POS_INF : NEG_INF;
        }
        try {
            long r = Math.multiplyExact(a, k);
            if (r == NEG_INF || r == POS_INF) return r < 0 ? NEG_INF : POS_INF;
            return r;
        } catch (ArithmeticException e) {
            return ((a < 0) == (k < 0)) ? POS_INF : NEG_INF;
        }
    }

    // ---- evaluation over an expression ----

    /** The constant range of an integer or bool expression when scoped variables range over their intervals. */
    static ConstantRange of(Expr e, Map<Var, Interval> scope) {
        return new Evaluation(scope).of(e);
    }

    /**
     * One evaluation: a variable's range is found once (its interval's ends can name other scoped
     * variables, and those chains share variables, so re-evaluating per use is exponential); a
     * variable met again while its own range is being found counts as unbounded.
     */
    private static final class Evaluation {
        private final Map<Var, Interval> scope;
        private final Map<Var, ConstantRange> known = new HashMap<>();
        private final java.util.Set<Var> open = new java.util.HashSet<>();

        Evaluation(Map<Var, Interval> scope) { this.scope = scope; }

        ConstantRange of(Expr e) {
            DType t = e.type().scalar();
            if (t.isFloat()) return ALL;
            if (t.isIntegral() && t.bits() >= 64 && t.isUInt()) return ALL; // u64 values are not ordered as longs
            return compute(e, t).intersect(ofType(t));
        }

        private ConstantRange variable(Var v, DType t) {
            Interval iv = scope.get(v);
            if (iv == null || open.contains(v)) return ofType(t);
            ConstantRange r = known.get(v);
            if (r != null) return r;
            open.add(v);
            long l = iv.min() == null ? NEG_INF : of(iv.min()).lo;
            long h = iv.max() == null ? POS_INF : of(iv.max()).hi;
            open.remove(v);
            r = new ConstantRange(l, h).intersect(ofType(t));
            known.put(v, r);
            return r;
        }

        private ConstantRange compute(Expr e, DType t) {
            return switch (e) {
                case IntImm i -> point(i.value());
                case Var v -> variable(v, t);
                case Binary b when b.op().isComparison() || b.op().isLogical() -> new ConstantRange(0, 1);
                case Binary b -> {
                    ConstantRange x = of(b.a()), y = of(b.b());
                    ConstantRange r = switch (b.op()) {
                        case ADD -> x.add(y);
                        case SUB -> x.sub(y);
                        case MUL -> x.mul(y);
                        case DIV -> x.div(y);
                        case MOD -> x.mod(y);
                        case MIN -> x.min(y);
                        case MAX -> x.max(y);
                        default -> ALL;
                    };
                    yield r.fit(t);
                }
                case Select s -> of(s.t()).union(of(s.f()));
                case Cast c -> {
                    DType from = c.value().type().scalar();
                    if (t.isBool()) yield new ConstantRange(0, 1);
                    if (from.isFloat()) yield ofType(t); // saturating
                    yield of(c.value()).fit(t);
                }
                case Broadcast bc -> of(bc.value());
                case Ramp r -> {
                    long l1 = r.lanes() - 1;
                    ConstantRange steps = of(r.stride()).scale(l1).union(point(0));
                    yield of(r.base()).add(steps).fit(t);
                }
                default -> ofType(t);
            };
        }
    }
}
