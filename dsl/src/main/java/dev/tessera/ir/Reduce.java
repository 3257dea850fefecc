package dev.tessera.ir;

import java.util.List;

/**
 * A reduction of {@code sources} over {@code axes} with a reducer; only elements where
 * {@code condition} holds take part. A tuple reduction appears once per value, each node naming the
 * value it yields with {@code valueIndex}; all of them share sources, axes and condition.
 */
public record Reduce(Reducer reducer, List<Expr> sources, List<Axis> axes, Expr condition, int valueIndex) implements Expr {
    public Reduce {
        sources = List.copyOf(sources);
        axes = List.copyOf(axes);
        if (sources.size() != reducer.arity()) throw new IllegalArgumentException("reducer " + reducer.name() + " takes " + reducer.arity() + " values");
        for (int i = 0; i < sources.size(); i++)
            if (!sources.get(i).type().equals(reducer.lhs().get(i).type()))
                throw new IllegalArgumentException("reduce value " + i + " has type " + sources.get(i).type() + ", reducer expects " + reducer.lhs().get(i).type());
        if (!condition.type().equals(DType.BOOL)) throw new IllegalArgumentException("reduce condition must be bool");
        for (Axis a : axes) if (a.kind() != Axis.Kind.REDUCE) throw new IllegalArgumentException("axis " + a.name() + " is not a reduction axis");
        if (valueIndex < 0 || valueIndex >= sources.size()) throw new IllegalArgumentException("value index out of range");
    }

    @Override public DType type() { return sources.get(valueIndex).type(); }
}
