package dev.tessera.lower.ir;

import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprMutator;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds statements bottom-up, mutating their expressions with the inherited {@link #mutate(Expr)}.
 * Override {@link #mutate(Stmt)} for the nodes of interest and call {@link #mutateChildren(Stmt)} for
 * the rest; a node is rebuilt only when a child changed.
 */
public class StmtMutator extends ExprMutator {
    public Stmt mutate(Stmt s) {
        return mutateChildren(s);
    }

    protected final Stmt mutateChildren(Stmt s) {
        return switch (s) {
            case For f -> {
                Expr min = mutate(f.min()), ext = mutate(f.extent());
                Stmt body = mutate(f.body());
                yield min == f.min() && ext == f.extent() && body == f.body() ? s : new For(f.var(), min, ext, f.kind(), body);
            }
            case LetStmt l -> {
                Expr v = mutate(l.value());
                Stmt body = mutate(l.body());
                yield v == l.value() && body == l.body() ? s : new LetStmt(l.var(), v, body);
            }
            case IfThenElse i -> {
                Expr c = mutate(i.cond());
                Stmt t = mutate(i.then());
                Stmt o = i.otherwise() == null ? null : mutate(i.otherwise());
                yield c == i.cond() && t == i.then() && o == i.otherwise() ? s : new IfThenElse(c, t, o);
            }
            case Block b -> {
                List<Stmt> out = null;
                for (int k = 0; k < b.stmts().size(); k++) {
                    Stmt old = b.stmts().get(k), n = mutate(old);
                    if (n != old && out == null) out = new ArrayList<>(b.stmts().subList(0, k));
                    if (out != null) out.add(n);
                }
                yield out == null ? s : Block.of(out);
            }
            case Store st -> {
                Expr idx = mutate(st.index()), v = mutate(st.value());
                Expr p = st.predicate() == null ? null : mutate(st.predicate());
                yield idx == st.index() && v == st.value() && p == st.predicate() ? s : new Store(st.buffer(), idx, v, p);
            }
            case Allocate a -> {
                Expr size = mutate(a.size());
                Stmt body = mutate(a.body());
                yield size == a.size() && body == a.body() ? s : new Allocate(a.buffer(), size, body);
            }
            case Provide p -> {
                List<Expr> idx = mutateAll(p.indices());
                Expr v = mutate(p.value());
                yield idx == p.indices() && v == p.value() ? s : new Provide(p.tensor(), idx, v);
            }
            case Barrier b -> s;
            case CrossThreadReduce r -> {
                Stmt update = mutate(r.update());
                yield update == r.update() ? s : new CrossThreadReduce(r.reducer(), r.partials(), r.thread(), r.extent(), r.scratch(), update);
            }
            case Prefetch p -> {
                Expr idx = mutate(p.index());
                yield idx == p.index() ? s : new Prefetch(p.buffer(), idx);
            }
            case Realize r -> {
                List<Expr> mins = mutateAll(r.mins()), exts = mutateAll(r.extents()), st = mutateAll(r.storageExtents());
                Stmt body = mutate(r.body());
                yield mins == r.mins() && exts == r.extents() && st == r.storageExtents() && body == r.body() ? s
                        : new Realize(r.op(), mins, exts, st, body);
            }
        };
    }
}
