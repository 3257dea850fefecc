package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprMutator;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.Map;

/**
 * The simplifier's engine: simplifies children first, then applies the rules of the node's
 * operation group. Rule classes call back into {@link #binary} to build already-simplified nodes,
 * and into {@link #decide} for facts proved from the scope.
 */
final class Rewriter extends ExprMutator {
    final Map<Var, Interval> scope;

    Rewriter(Map<Var, Interval> scope) { this.scope = scope; }

    @Override
    public Expr mutate(Expr e) {
        Expr n = mutateChildren(e);
        return switch (n) {
            case Binary(Op op, Expr a, Expr b) -> binary(op, a, b);
            case Not(Expr a) -> LogicRules.not(this, a);
            case Select(Expr c, Expr t, Expr f) -> LogicRules.select(this, c, t, f);
            case Cast(DType t, Expr v) -> cast(t, v);
            case Load(var buf, var idx, var pred) -> pred != null && isTrue(pred) ? new Load(buf, idx, null) : n;
            case Ramp(Expr base, Expr stride, int lanes) -> ramp(base, stride, lanes);
            default -> n;
        };
    }

    /** The simplified form of {@code a op b}, where a and b are already simplified. */
    Expr binary(Op op, Expr a, Expr b) {
        Expr folded = ConstantFolding.binary(op, a, b);
        if (folded != null) return folded;
        if (a instanceof Broadcast(Expr x, int n) && b instanceof Broadcast(Expr y, int m) && n == m)
            return broadcast(binary(op, x, y), n);
        return switch (op) {
            case ADD, SUB, MUL -> ArithRules.apply(this, op, a, b);
            case DIV, MOD -> DivModRules.apply(this, op, a, b);
            case MIN, MAX -> MinMaxRules.apply(this, op, a, b);
            case EQ, NE, LT, LE, GT, GE -> CompareRules.apply(this, op, a, b);
            case AND, OR -> LogicRules.andOr(this, op, a, b);
        };
    }

    Expr cast(DType t, Expr v) {
        if (v.type().equals(t)) return v;
        Expr folded = ConstantFolding.cast(t, v);
        if (folded != null) return folded;
        if (v instanceof Broadcast(Expr x, int n)) return broadcast(cast(t.scalar(), x), n);
        return new Cast(t, v);
    }

    Expr ramp(Expr base, Expr stride, int lanes) {
        if (stride instanceof IntImm s && s.value() == 0) return broadcast(base, lanes);
        return new Ramp(base, stride, lanes);
    }

    static Expr broadcast(Expr scalar, int lanes) {
        return lanes == 1 ? scalar : new Broadcast(scalar, lanes);
    }

    // ---- facts ----

    static boolean isTrue(Expr e) {
        return e instanceof IntImm i && i.type().isBool() && i.value() != 0
                || e instanceof Broadcast(Expr v, int n) && isTrue(v);
    }

    static boolean isFalse(Expr e) {
        return e instanceof IntImm i && i.type().isBool() && i.value() == 0
                || e instanceof Broadcast(Expr v, int n) && isFalse(v);
    }

    static Long constant(Expr e) {
        if (e instanceof IntImm i) return i.value();
        if (e instanceof Broadcast(IntImm i, int n)) return i.value();
        return null;
    }

    /** Signed integers of 32 or 64 bits: index arithmetic, assumed (as in Halide) never to overflow. */
    static boolean noOverflow(DType t) {
        return t.isInt() && t.bits() >= 32;
    }

    ConstantRange range(Expr e) { return ConstantRange.of(e, scope); }

    /** The constant range of a linear form, each term bounded separately (cancelled terms cost nothing). */
    ConstantRange range(LinearForm f, Map<Var, Interval> s) {
        ConstantRange r = ConstantRange.point(f.constant);
        for (var en : f.terms.entrySet()) r = r.add(ConstantRange.of(en.getKey(), s).scale(en.getValue()));
        return r;
    }

    /**
     * Decides {@code a op b} (op one of EQ, NE, LT, LE) for integers from the scope, or returns null.
     * Proof order: constant ranges of both sides; for index types the range of the canonical
     * difference; then symbolic bounds of the difference over the scope.
     */
    Boolean decide(Op op, Expr a, Expr b) {
        DType t = a.type();
        if (!t.scalar().isIntegral()) return null;
        ConstantRange d = range(a).sub(range(b));
        Boolean r = decide(op, d);
        if (r != null || !noOverflow(t)) return r;
        Expr diff;
        if (!t.isVector()) {
            LinearForm lf = LinearForm.of(a).plus(LinearForm.of(b), -1).foldDivMod();
            r = decide(op, range(lf, scope));
            if (r != null) return r;
            diff = lf.toExpr();
        } else {
            diff = new Binary(Op.SUB, a, b);
        }
        if (scope.isEmpty()) return null;
        Interval iv = Bounds.of(diff, scope);
        long lo = iv.min() == null ? ConstantRange.NEG_INF : range(LinearForm.of(iv.min()).foldDivMod(), Map.of()).lo();
        long hi = iv.max() == null ? ConstantRange.POS_INF : range(LinearForm.of(iv.max()).foldDivMod(), Map.of()).hi();
        return lo > hi ? null : decide(op, new ConstantRange(lo, hi));
    }

    /** Whether {@code a <= b} is provable. */
    boolean proveLE(Expr a, Expr b) { return Boolean.TRUE.equals(decide(Op.LE, a, b)); }

    private static Boolean decide(Op op, ConstantRange d) {
        long lo = d.lo(), hi = d.hi();
        return switch (op) {
            case LT -> hi != ConstantRange.POS_INF && hi < 0 ? Boolean.TRUE : lo != ConstantRange.NEG_INF && lo >= 0 ? Boolean.FALSE : null;
            case LE -> hi != ConstantRange.POS_INF && hi <= 0 ? Boolean.TRUE : lo != ConstantRange.NEG_INF && lo > 0 ? Boolean.FALSE : null;
            case EQ -> d.isPoint() && lo == 0 ? Boolean.TRUE : (lo != ConstantRange.NEG_INF && lo > 0) || (hi != ConstantRange.POS_INF && hi < 0) ? Boolean.FALSE : null;
            case NE -> {
                Boolean eq = decide(Op.EQ, d);
                yield eq == null ? null : !eq;
            }
            default -> null;
        };
    }

    static Expr boolConst(boolean v, int lanes) { return broadcast(IntImm.bool(v), lanes); }

    static Expr zeroLike(Expr e) {
        DType t = e.type();
        Expr z = t.isFloat() ? new FloatImm(0, t.scalar()) : new IntImm(0, t.scalar());
        return broadcast(z, t.lanes());
    }
}
