package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Not;
import dev.tessera.ir.Select;

/**
 * Rules for !, &&, || and select: constants, double negation, negated comparisons flipped
 * ({@code !(a < b) -> b <= a} on integers), {@code x && x}, {@code x && !x}, a select with a known
 * condition or equal sides.
 */
final class LogicRules {
    private LogicRules() {}

    static Expr not(Rewriter r, Expr a) {
        int lanes = a.type().lanes();
        if (Rewriter.isTrue(a)) return Rewriter.boolConst(false, lanes);
        if (Rewriter.isFalse(a)) return Rewriter.boolConst(true, lanes);
        if (a instanceof Not(Expr x)) return x;
        if (a instanceof Binary(Op op, Expr x, Expr y)) {
            if (op == Op.EQ) return r.binary(Op.NE, x, y);
            if (op == Op.NE) return r.binary(Op.EQ, x, y);
            if (x.type().scalar().isIntegral()) {
                if (op == Op.LT) return r.binary(Op.LE, y, x);
                if (op == Op.LE) return r.binary(Op.LT, y, x);
            }
        }
        return new Not(a);
    }

    static Expr andOr(Rewriter r, Op op, Expr a, Expr b) {
        boolean and = op == Op.AND;
        int lanes = a.type().lanes();
        if (Rewriter.isTrue(a)) return and ? b : a;
        if (Rewriter.isFalse(a)) return and ? a : b;
        if (Rewriter.isTrue(b)) return and ? a : b;
        if (Rewriter.isFalse(b)) return and ? b : a;
        if (a.equals(b)) return a;
        if (a.equals(new Not(b)) || b.equals(new Not(a))) return Rewriter.boolConst(!and, lanes);
        return new Binary(op, a, b);
    }

    static Expr select(Rewriter r, Expr c, Expr t, Expr f) {
        if (Rewriter.isTrue(c)) return t;
        if (Rewriter.isFalse(c)) return f;
        if (t.equals(f)) return t;
        if (c instanceof Not(Expr inner)) return select(r, inner, f, t);
        if (t.type().isBool() && c.type().equals(t.type()) && Rewriter.isTrue(t) && Rewriter.isFalse(f)) return c;
        return new Select(c, t, f);
    }
}
