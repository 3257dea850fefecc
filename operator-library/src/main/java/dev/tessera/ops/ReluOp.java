package dev.tessera.ops;

import dev.tessera.ir.Expr;

/** {@code relu[i, j] = max(X[i, j], 0)}, f32, over an [M, N] array. */
public final class ReluOp extends ElementwiseUnaryOp {
    @Override public String name() { return "relu"; }
    @Override Expr apply(Expr x) { return Activation.RELU.apply(x); }
    @Override double flopsPerElement() { return Activation.RELU.flops(); }
}
