package dev.tessera.ir;

import dev.tessera.TesseraUserError;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A commutative, associative combiner with an identity, over one or more values (a tuple reducer
 * such as argmax carries (index, value)). {@code combine} is written over the variables {@code lhs}
 * (the running result) and {@code rhs} (the new element).
 */
public record Reducer(String name, List<Var> lhs, List<Var> rhs, List<Expr> combine, List<Expr> identity) {
    public Reducer {
        lhs = List.copyOf(lhs);
        rhs = List.copyOf(rhs);
        combine = List.copyOf(combine);
        identity = List.copyOf(identity);
        int n = lhs.size();
        if (n == 0 || rhs.size() != n || combine.size() != n || identity.size() != n)
            throw new TesseraUserError("reducer '" + name + "': lhs, rhs, combine and identity must all have the same number of values");
        for (int i = 0; i < n; i++) {
            DType t = lhs.get(i).type();
            if (!rhs.get(i).type().equals(t) || !combine.get(i).type().equals(t) || !identity.get(i).type().equals(t))
                throw new TesseraUserError("reducer '" + name + "': value " + i + " must have one type " + t
                        + " in lhs, rhs, combine and identity, got " + rhs.get(i).type() + ", " + combine.get(i).type() + ", " + identity.get(i).type());
        }
    }

    public int arity() { return lhs.size(); }

    public List<DType> types() { return lhs.stream().map(Var::type).toList(); }

    /**
     * Defines a reducer from a combine function over (running, element) tuples and identities.
     * Example, argmax over (index, value): {@code (a, b) -> [select(b1 > a1, b0, a0), max(a1, b1)]}.
     */
    public static Reducer of(String name, List<DType> types, BiFunction<List<Expr>, List<Expr>, List<Expr>> combine, List<Expr> identity) {
        List<Var> l = new ArrayList<>(), r = new ArrayList<>();
        for (int i = 0; i < types.size(); i++) {
            l.add(new Var("lhs" + i, types.get(i)));
            r.add(new Var("rhs" + i, types.get(i)));
        }
        List<Expr> le = List.copyOf(l), re = List.copyOf(r);
        return new Reducer(name, l, r, combine.apply(le, re), identity);
    }
}
