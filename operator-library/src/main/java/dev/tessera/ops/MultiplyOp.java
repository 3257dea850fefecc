package dev.tessera.ops;

import dev.tessera.ir.Expr;

/**
 * Elementwise multiplication with broadcasting: {@code multiply[i, j] = A[i, j] * B[j]}, f32, by
 * default; the attribute {@code broadcast} (row, none, column, scalar) gives B's shape (see
 * {@link BroadcastBinaryOp}).
 */
public final class MultiplyOp extends BroadcastBinaryOp {
    public MultiplyOp() { this(Broadcast.ROW); }

    private MultiplyOp(Broadcast b) { super(b); }

    @Override public String name() { return "multiply"; }
    @Override Expr combine(Expr a, Expr b) { return a.mul(b); }
    @Override BroadcastBinaryOp with(Broadcast b) { return new MultiplyOp(b); }
}
