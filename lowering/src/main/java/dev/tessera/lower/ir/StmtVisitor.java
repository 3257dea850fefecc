package dev.tessera.lower.ir;

import dev.tessera.ir.ExprVisitor;

/** Walks statements top-down, visiting their expressions with the inherited {@link #visit(dev.tessera.ir.Expr)}. */
public class StmtVisitor extends ExprVisitor {
    public void visit(Stmt s) {
        visitChildren(s);
    }

    protected final void visitChildren(Stmt s) {
        switch (s) {
            case For f -> { visit(f.min()); visit(f.extent()); visit(f.body()); }
            case LetStmt l -> { visit(l.value()); visit(l.body()); }
            case IfThenElse i -> {
                visit(i.cond());
                visit(i.then());
                if (i.otherwise() != null) visit(i.otherwise());
            }
            case Block b -> b.stmts().forEach(this::visit);
            case Store st -> {
                visit(st.index());
                visit(st.value());
                if (st.predicate() != null) visit(st.predicate());
            }
            case Allocate a -> { visit(a.size()); visit(a.body()); }
            case Prefetch p -> visit(p.index());
            case Barrier b -> {}
            case CrossThreadReduce r -> visit(r.update());
            case Provide p -> { p.indices().forEach(this::visit); visit(p.value()); }
            case Realize r -> {
                r.mins().forEach(this::visit);
                r.extents().forEach(this::visit);
                r.storageExtents().forEach(this::visit);
                visit(r.body());
            }
        }
    }
}
