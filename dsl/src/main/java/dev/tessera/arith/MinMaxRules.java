package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;

/**
 * Rules for min and max: identical operands, constants to the right, nested constants combined
 * ({@code min(min(x, 3), 5) -> min(x, 3)}), and for integers an operand proved to be the smaller
 * (or larger) one from the scope, which covers {@code min(x + 1, x + 4)}. Float min/max keeps both
 * operands (NaN and signed zeros make ordering proofs unsound). Terms both operands share come
 * out ({@code min(x + a, x + b) -> x + min(a, b)}), so that a region's end minus its start cancels.
 */
final class MinMaxRules {
    private MinMaxRules() {}

    static Expr apply(Rewriter r, Op op, Expr a, Expr b) {
        if (a.equals(b)) return a;
        if (!a.type().scalar().isIntegral()) return new Binary(op, a, b);
        if (a instanceof IntImm && !(b instanceof IntImm)) { Expr t = a; a = b; b = t; }
        if (r.proveLE(a, b)) return op == Op.MIN ? a : b;
        if (r.proveLE(b, a)) return op == Op.MIN ? b : a;
        // min(min(x, c1), c2) -> min(x, min(c1, c2))
        if (b instanceof IntImm && a instanceof Binary(Op inner, Expr x, IntImm c1) && inner == op)
            return r.binary(op, x, r.binary(op, c1, b));
        if (Rewriter.noOverflow(a.type()) && !a.type().isVector()) {
            LinearForm la = LinearForm.of(a), lb = LinearForm.of(b), common = LinearForm.constant(a.type(), 0);
            for (var t : la.terms.entrySet())
                if (t.getValue().equals(lb.terms.get(t.getKey()))) common.addTerm(t.getKey(), t.getValue());
            if (!common.terms.isEmpty())
                return r.binary(Op.ADD, common.toExpr(), r.binary(op, la.plus(common, -1).toExpr(), lb.plus(common, -1).toExpr()));
        }
        return new Binary(op, a, b);
    }
}
