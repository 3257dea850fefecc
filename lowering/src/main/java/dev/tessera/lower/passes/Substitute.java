package dev.tessera.lower.passes;

import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import java.util.Map;

/** Replaces variables in statements, including the variables loops and lets bind. */
public final class Substitute {
    private Substitute() {}

    /** Renames variables (bound or free) throughout a statement. */
    public static Stmt vars(Stmt s, Map<Var, Var> rename) {
        return exprs(s, Map.copyOf(rename));
    }

    /** Replaces free uses of variables by expressions; bound variables in the map must be renamed to variables. */
    public static Stmt exprs(Stmt s, Map<Var, ? extends Expr> map) {
        if (map.isEmpty()) return s;
        return new StmtMutator() {
            @Override public Expr mutate(Expr e) {
                return Exprs.substitute(e, map);
            }

            @Override public Stmt mutate(Stmt x) {
                Stmt m = mutateChildren(x);
                if (m instanceof For f && map.get(f.var()) instanceof Var nv)
                    return new For(nv, f.min(), f.extent(), f.kind(), f.body());
                if (m instanceof LetStmt l && map.get(l.var()) instanceof Var nv)
                    return new LetStmt(nv, l.value(), l.body());
                return m;
            }
        }.mutate(s);
    }
}
