package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;

/**
 * Rules for floor division and floor modulo by constants. For index types (see
 * {@link Rewriter#noOverflow}) multiples of the divisor move out of the division:
 * {@code (x*8 + y)/8 -> x + y/8} and {@code (x*8 + y) % 8 -> y % 8}, exact for floor semantics; a
 * quotient or remainder whose dividend is proved to lie in one block of the divisor folds away.
 */
final class DivModRules {
    private DivModRules() {}

    static Expr apply(Rewriter r, Op op, Expr a, Expr b) {
        DType t = a.type();
        if (t.isFloat()) return op == Op.DIV && ArithRules.isFloat(b, 1) ? a : new Binary(op, a, b);
        if (!t.isIntegral()) return new Binary(op, a, b);
        Long c = Rewriter.constant(b);
        if (c == null) return new Binary(op, a, b);
        if (c == 0) return Rewriter.zeroLike(a);
        if (c == 1) return op == Op.DIV ? a : Rewriter.zeroLike(a);
        if (!Rewriter.noOverflow(t) || c < 0) return new Binary(op, a, b);
        if (t.isVector()) return vector(r, op, a, b, c);
        IntImm cc = (IntImm) b;
        LinearForm f = LinearForm.of(a);
        LinearForm quotient = LinearForm.constant(t, Math.floorDiv(f.constant, c));
        LinearForm rest = LinearForm.constant(t, Math.floorMod(f.constant, c));
        for (var en : f.terms.entrySet()) {
            if (en.getValue() % c == 0) quotient.addTerm(en.getKey(), en.getValue() / c);
            else rest.addTerm(en.getKey(), en.getValue());
        }
        ConstantRange rr = r.range(rest, r.scope);
        long block = rr.finite() && Math.floorDiv(rr.lo(), c) == Math.floorDiv(rr.hi(), c) ? Math.floorDiv(rr.lo(), c) : Long.MIN_VALUE;
        if (op == Op.DIV) {
            if (block != Long.MIN_VALUE) return quotient.plus(LinearForm.constant(t, block), 1).toExpr();
            Expr restDiv = divide(r, rest.toExpr(), cc);
            if (quotient.isConstant() && quotient.constant == 0) return restDiv;
            return r.binary(Op.ADD, quotient.toExpr(), restDiv);
        }
        if (block != Long.MIN_VALUE) return rest.plus(LinearForm.constant(t, block * c), -1).toExpr();
        Expr restExpr = rest.toExpr();
        // (x % c1) % c2 -> x % c2 when c2 divides c1
        if (restExpr instanceof Binary(Op inner, Expr x, IntImm c1) && inner == Op.MOD && c1.value() > 0 && c1.value() % c == 0)
            return r.binary(Op.MOD, x, cc);
        return new Binary(Op.MOD, restExpr, cc);
    }

    /** x / c for a dividend with no multiple of c left in it; (x / c1) / c2 -> x / (c1*c2). */
    private static Expr divide(Rewriter r, Expr x, IntImm c) {
        if (x instanceof Binary(Op op, Expr y, IntImm c1) && op == Op.DIV && c1.value() > 0) {
            try {
                return r.binary(Op.DIV, y, new IntImm(Math.multiplyExact(c1.value(), c.value()), c.type()));
            } catch (ArithmeticException overflow) {
                // keep the nested form
            }
        }
        return new Binary(Op.DIV, x, c);
    }

    private static Expr vector(Rewriter r, Op op, Expr a, Expr b, long c) {
        // floor((base + i*s)/c) == base/c + i*(s/c) when c divides s; the remainder is the same in every lane.
        if (a instanceof Ramp(Expr base, Expr stride, int n) && stride instanceof IntImm s && s.value() % c == 0) {
            Expr cs = ((Broadcast) b).value();
            if (op == Op.DIV) return r.ramp(r.binary(Op.DIV, base, cs), new IntImm(s.value() / c, s.type()), n);
            return Rewriter.broadcast(r.binary(Op.MOD, base, cs), n);
        }
        // A ramp that stays within one block of c (its base constant or known modulo a multiple of c, the lanes not
        // crossing the next multiple): the quotient is the same in every lane, the remainder a ramp.
        // This keeps a read of a packed layout (x / c, x % c) a dense vector access.
        if (a instanceof Ramp(Expr base, Expr stride, int n) && stride instanceof IntImm s && s.value() >= 0) {
            ModularSet m = ModularSet.of(base);
            if (m.coeff() % c == 0 && Math.floorMod(m.base(), c) + s.value() * (n - 1) < c) { // coeff 0: the base is a constant
                Expr cs = ((Broadcast) b).value();
                if (op == Op.DIV) return Rewriter.broadcast(r.binary(Op.DIV, base, cs), n);
                return r.ramp(new IntImm(Math.floorMod(m.base(), c), base.type()), s, n);
            }
        }
        return new Binary(op, a, b);
    }
}
