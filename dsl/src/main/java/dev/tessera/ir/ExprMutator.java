package dev.tessera.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds expressions bottom-up. Override {@link #mutate} for the nodes of interest and call
 * {@link #mutateChildren} for the rest; a node is rebuilt only when a child changed (identity
 * check), so unchanged subtrees stay shared.
 */
public class ExprMutator {
    public Expr mutate(Expr e) {
        return mutateChildren(e);
    }

    protected final Expr mutateChildren(Expr e) {
        return switch (e) {
            case IntImm i -> i;
            case FloatImm f -> f;
            case Var v -> v;
            case Binary(var op, var a, var b) -> {
                Expr na = mutate(a), nb = mutate(b);
                yield na == a && nb == b ? e : new Binary(op, na, nb);
            }
            case Not(var a) -> {
                Expr na = mutate(a);
                yield na == a ? e : new Not(na);
            }
            case Select(var c, var t, var f) -> {
                Expr nc = mutate(c), nt = mutate(t), nf = mutate(f);
                yield nc == c && nt == t && nf == f ? e : new Select(nc, nt, nf);
            }
            case Cast(var t, var v) -> {
                Expr nv = mutate(v);
                yield nv == v ? e : new Cast(t, nv);
            }
            case Call(var fn, var args) -> {
                List<Expr> na = mutateAll(args);
                yield na == args ? e : new Call(fn, na);
            }
            case TensorRead(var t, var idx) -> {
                List<Expr> ni = mutateAll(idx);
                yield ni == idx ? e : new TensorRead(t, ni);
            }
            case Reduce r -> {
                List<Expr> ns = mutateAll(r.sources());
                Expr nc = mutate(r.condition());
                List<Axis> naxes = mutateAxes(r.axes());
                yield ns == r.sources() && nc == r.condition() && naxes == r.axes() ? e
                        : new Reduce(r.reducer(), ns, naxes, nc, r.valueIndex());
            }
            case Load(var buf, var idx, var pred) -> {
                Expr ni = mutate(idx);
                Expr np = pred == null ? null : mutate(pred);
                yield ni == idx && np == pred ? e : new Load(buf, ni, np);
            }
            case Ramp(var base, var stride, var lanes) -> {
                Expr nb = mutate(base), ns = mutate(stride);
                yield nb == base && ns == stride ? e : new Ramp(nb, ns, lanes);
            }
            case Broadcast(var v, var lanes) -> {
                Expr nv = mutate(v);
                yield nv == v ? e : new Broadcast(nv, lanes);
            }
        };
    }

    /** Mutates each element; returns the same list object when nothing changed. */
    public final List<Expr> mutateAll(List<Expr> es) {
        List<Expr> out = null;
        for (int i = 0; i < es.size(); i++) {
            Expr n = mutate(es.get(i));
            if (n != es.get(i) && out == null) out = new ArrayList<>(es.subList(0, i));
            if (out != null) out.add(n);
        }
        return out == null ? es : List.copyOf(out);
    }

    private List<Axis> mutateAxes(List<Axis> axes) {
        List<Axis> out = null;
        for (int i = 0; i < axes.size(); i++) {
            Axis a = axes.get(i);
            Expr ne = mutate(a.extent());
            Axis na = ne == a.extent() ? a : new Axis(a.var(), ne, a.kind());
            if (na != a && out == null) out = new ArrayList<>(axes.subList(0, i));
            if (out != null) out.add(na);
        }
        return out == null ? axes : List.copyOf(out);
    }
}
