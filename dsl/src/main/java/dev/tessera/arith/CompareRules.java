package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;

/**
 * Rules for comparisons: {@code >} and {@code >=} become {@code <} and {@code <=} with swapped
 * operands (exact for floats too); integer comparisons fold when the scope proves or refutes them;
 * for index types, terms common to both sides cancel and the constants move to the right
 * ({@code x + 1 < y + 5 -> x < y + 4}).
 */
final class CompareRules {
    private CompareRules() {}

    static Expr apply(Rewriter r, Op op, Expr a, Expr b) {
        if (op == Op.GT) return r.binary(Op.LT, b, a);
        if (op == Op.GE) return r.binary(Op.LE, b, a);
        DType t = a.type();
        int lanes = t.lanes();
        if (!t.scalar().isIntegral()) return new Binary(op, a, b);
        if (a.equals(b)) return Rewriter.boolConst(op == Op.EQ || op == Op.LE, lanes);
        Boolean known = r.decide(op, a, b);
        if (known != null) return Rewriter.boolConst(known, lanes);
        if (t.isVector() || !Rewriter.noOverflow(t)) return new Binary(op, a, b);
        LinearForm la = LinearForm.of(a), lb = LinearForm.of(b);
        LinearForm left = LinearForm.constant(t, 0), right = LinearForm.constant(t, lb.constant - la.constant);
        for (var en : la.terms.entrySet()) {
            long other = lb.terms.getOrDefault(en.getKey(), 0L);
            if (other == en.getValue()) continue;
            left.addTerm(en.getKey(), en.getValue());
        }
        for (var en : lb.terms.entrySet()) {
            long mine = la.terms.getOrDefault(en.getKey(), 0L);
            if (mine == en.getValue()) continue;
            right.addTerm(en.getKey(), en.getValue());
        }
        if (left.isConstant() && right.isConstant()) return r.binary(op, left.toExpr(), right.toExpr());
        if (left.isConstant() && right.constant != 0) {
            // c < y + k  ->  c - k < y
            left.constant = left.wrap(-right.constant);
            right.constant = 0;
        }
        return new Binary(op, left.toExpr(), right.toExpr());
    }
}
