package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;

/**
 * Rules for +, - and *. Scalar integers go through {@link LinearForm} (collection of like terms,
 * cancellation, distribution of constant factors, deterministic order); integer vectors fold ramps
 * and broadcasts; floats get only exact rewrites (x*1, x/1 and x - 0 keep every value, -0.0 and NaN
 * included; x + 0 does not, and nothing is reassociated).
 */
final class ArithRules {
    private ArithRules() {}

    static Expr apply(Rewriter r, Op op, Expr a, Expr b) {
        DType t = a.type();
        if (t.isFloat()) return floating(op, a, b);
        if (!t.isIntegral()) return new Binary(op, a, b);
        if (t.isVector()) return vector(r, op, a, b);
        if (op == Op.MUL && !(a instanceof IntImm) && !(b instanceof IntImm)) return new Binary(op, a, b);
        return linear(r, LinearForm.of(new Binary(op, a, b)).foldDivMod());
    }

    private static Expr linear(Rewriter r, LinearForm f) {
        Expr distributed = Rewriter.noOverflow(f.type) ? distributeIntoMinMax(r, f) : null;
        return distributed != null ? distributed : f.toExpr();
    }

    /**
     * {@code min(p, q) + e -> min(p + c, q + c) + (e - c)} (max alike; a negated min becomes a max),
     * where c holds the terms of e that cancel in p or in q: {@code min(x + 15, n) - x -> min(15, n - x)}
     * is what makes a clipped region's extent boundable. Null when nothing cancels.
     */
    private static Expr distributeIntoMinMax(Rewriter r, LinearForm f) {
        for (var en : f.terms.entrySet()) {
            long k = en.getValue();
            if ((k != 1 && k != -1) || !(en.getKey() instanceof Binary(Op mm, Expr p, Expr q)) || (mm != Op.MIN && mm != Op.MAX)) continue;
            LinearForm lp = LinearForm.of(p), lq = LinearForm.of(q);
            LinearForm moved = LinearForm.constant(f.type, 0), rest = f.copy();
            rest.addTerm(en.getKey(), -k);
            for (var t : rest.terms.entrySet())
                if (cancels(lp, k, t.getKey(), t.getValue()) || cancels(lq, k, t.getKey(), t.getValue())) moved.addTerm(t.getKey(), t.getValue());
            if (moved.terms.isEmpty()) continue;
            LinearForm np = moved.plus(lp, k), nq = moved.plus(lq, k);
            Op out = k == 1 ? mm : mm == Op.MIN ? Op.MAX : Op.MIN;
            return r.binary(Op.ADD, rest.plus(moved, -1).toExpr(), r.binary(out, linear(r, np), linear(r, nq)));
        }
        return null;
    }

    /** Whether c * term cancels against k * operand. */
    private static boolean cancels(LinearForm operand, long k, Expr term, long c) {
        Long own = operand.terms.get(term);
        return own != null && operand.wrap(k * own + c) == 0;
    }

    private static Expr floating(Op op, Expr a, Expr b) {
        if (op == Op.MUL && isFloat(b, 1)) return a;
        if (op == Op.MUL && isFloat(a, 1)) return b;
        if (op == Op.SUB && b instanceof FloatImm f && Double.doubleToRawLongBits(f.value()) == 0) return a;
        return new Binary(op, a, b);
    }

    static boolean isFloat(Expr e, double v) {
        return e instanceof FloatImm f && f.value() == v || e instanceof Broadcast(FloatImm g, int n) && g.value() == v;
    }

    private static Expr vector(Rewriter r, Op op, Expr a, Expr b) {
        switch (op) {
            case ADD, SUB -> {
                if (b instanceof Broadcast(IntImm z, int n) && z.value() == 0) return a;
                if (a instanceof Ramp(Expr b1, Expr s1, int n) && b instanceof Broadcast(Expr v, int m))
                    return r.ramp(r.binary(op, b1, v), s1, n);
                if (a instanceof Broadcast(Expr v, int m) && b instanceof Ramp(Expr b2, Expr s2, int n))
                    return r.ramp(r.binary(op, v, b2), op == Op.ADD ? s2 : r.binary(Op.SUB, new IntImm(0, s2.type()), s2), n);
                if (a instanceof Ramp(Expr b1, Expr s1, int n) && b instanceof Ramp(Expr b2, Expr s2, int m))
                    return r.ramp(r.binary(op, b1, b2), r.binary(op, s1, s2), n);
            }
            case MUL -> {
                if (b instanceof Broadcast(IntImm one, int n) && one.value() == 1) return a;
                if (a instanceof Broadcast(IntImm one, int n) && one.value() == 1) return b;
                if (a instanceof Ramp(Expr base, Expr s, int n) && b instanceof Broadcast(Expr v, int m))
                    return r.ramp(r.binary(Op.MUL, base, v), r.binary(Op.MUL, s, v), n);
                if (a instanceof Broadcast(Expr v, int m) && b instanceof Ramp(Expr base, Expr s, int n))
                    return r.ramp(r.binary(Op.MUL, base, v), r.binary(Op.MUL, s, v), n);
            }
            default -> {}
        }
        return new Binary(op, a, b);
    }
}
