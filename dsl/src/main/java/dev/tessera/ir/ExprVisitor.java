package dev.tessera.ir;

/** Walks an expression tree top-down. Override {@link #visit} and call {@link #visitChildren} to continue. */
public class ExprVisitor {
    public void visit(Expr e) {
        visitChildren(e);
    }

    protected final void visitChildren(Expr e) {
        switch (e) {
            case IntImm i -> {}
            case FloatImm f -> {}
            case Var v -> {}
            case Binary(var op, var a, var b) -> { visit(a); visit(b); }
            case Not(var a) -> visit(a);
            case Select(var c, var t, var f) -> { visit(c); visit(t); visit(f); }
            case Cast(var t, var v) -> visit(v);
            case Call(var fn, var args) -> args.forEach(this::visit);
            case TensorRead(var t, var idx) -> idx.forEach(this::visit);
            case Reduce r -> {
                r.sources().forEach(this::visit);
                visit(r.condition());
                r.axes().forEach(a -> visit(a.extent()));
            }
            case Load(var buf, var idx, var pred) -> {
                visit(idx);
                if (pred != null) visit(pred);
            }
            case Ramp(var base, var stride, var lanes) -> { visit(base); visit(stride); }
            case Broadcast(var v, var lanes) -> visit(v);
        }
    }
}
