package dev.tessera.lower.passes;

import dev.tessera.ir.*;
import dev.tessera.lower.ir.*;
import java.util.HashMap;
import java.util.Map;

/** TEMPORARY stub until the arith branch lands: substitutes constant lets, folds integer constants. */
public final class Simplify {
    public static Stmt apply(Stmt s) {
        Map<Var, Expr> consts = new HashMap<>();
        return new StmtMutator() {
            @Override public Expr mutate(Expr e) {
                if (e instanceof Var v && consts.containsKey(v)) return consts.get(v);
                Expr m = mutateChildren(e);
                if (m instanceof Binary(var op, var a, var b) && a instanceof IntImm x && b instanceof IntImm y && a.type().isIntegral())
                    return new IntImm((long) ScalarOps.binary(op, a.type(), x.value(), y.value()), m.type());
                return m;
            }
            @Override public Stmt mutate(Stmt x) {
                if (x instanceof LetStmt l) {
                    Expr v = mutate(l.value());
                    if (v instanceof IntImm) { consts.put(l.var(), v); return mutate(l.body()); }
                }
                return mutateChildren(x);
            }
        }.mutate(s);
    }
}
