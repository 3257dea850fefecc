package dev.tessera.ops;

/** Row maxima: {@code reduce_max[i] = max_k A[i, k]}, f32. */
public final class ReduceMaxOp extends RowReduceOp {
    @Override public String name() { return "reduce_max"; }
    @Override Kind kind() { return Kind.MAX; }
}
