package dev.tessera.ir;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/** Small queries and rewrites over expressions. */
public final class Exprs {
    private Exprs() {}

    /** Replaces variables by expressions. */
    public static Expr substitute(Expr e, Map<Var, ? extends Expr> map) {
        if (map.isEmpty()) return e;
        return new ExprMutator() {
            @Override public Expr mutate(Expr x) {
                if (x instanceof Var v) {
                    Expr r = map.get(v);
                    return r == null ? v : r;
                }
                return mutateChildren(x);
            }
        }.mutate(e);
    }

    /** The variables an expression mentions (reduction axis variables included), in first-seen order. */
    /** Whether e is a sum of variables and integer constants with constant factors. */
    public static boolean isAffine(Expr e) {
        return switch (e) {
            case IntImm i -> true;
            case Var v -> true;
            case Binary(var op, var a, var b) when op == Binary.Op.ADD || op == Binary.Op.SUB -> isAffine(a) && isAffine(b);
            case Binary(var op, var a, var b) when op == Binary.Op.MUL -> a instanceof IntImm && isAffine(b) || b instanceof IntImm && isAffine(a);
            default -> false;
        };
    }

    /** The number of nodes in e, counting up to limit (larger expressions give limit). */
    public static int size(Expr e, int limit) {
        int[] n = {0};
        new ExprVisitor() {
            @Override public void visit(Expr x) {
                if (n[0] >= limit) return;
                n[0]++;
                visitChildren(x);
            }
        }.visit(e);
        return Math.min(n[0], limit);
    }

    public static Set<Var> vars(Expr e) {
        Set<Var> out = new LinkedHashSet<>();
        new ExprVisitor() {
            @Override public void visit(Expr x) {
                if (x instanceof Var v) out.add(v);
                visitChildren(x);
            }
        }.visit(e);
        return out;
    }

    public static boolean uses(Expr e, Var v) {
        return vars(e).contains(v);
    }

    /** The constant value of an integer immediate, or null. */
    public static Long constInt(Expr e) {
        return e instanceof IntImm i ? i.value() : null;
    }

    public static boolean isConst(Expr e, long value) {
        return e instanceof IntImm i && i.value() == value;
    }
}
