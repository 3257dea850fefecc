package dev.tessera.ops;

/** Row sums: {@code reduce_sum[i] = sum_k A[i, k]}, f32. */
public final class ReduceSumOp extends RowReduceOp {
    @Override public String name() { return "reduce_sum"; }
    @Override Kind kind() { return Kind.SUM; }
}
