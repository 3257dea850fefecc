package dev.tessera.ops;

/** Row means: {@code reduce_mean_sum[i] = sum_k A[i, k]}, then {@code reduce_mean[i] = reduce_mean_sum[i] / N}, f32. */
public final class ReduceMeanOp extends RowReduceOp {
    @Override public String name() { return "reduce_mean"; }
    @Override Kind kind() { return Kind.MEAN; }
}
