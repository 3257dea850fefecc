package dev.tessera.ops;

import dev.tessera.ir.Expr;

/**
 * Elementwise addition with broadcasting: {@code add[i, j] = A[i, j] + B[j]}, f32, by default; the
 * attribute {@code broadcast} (row, none, column, scalar) gives B's shape (see {@link BroadcastBinaryOp}).
 */
public final class AddOp extends BroadcastBinaryOp {
    public AddOp() { this(Broadcast.ROW); }

    private AddOp(Broadcast b) { super(b); }

    @Override public String name() { return "add"; }
    @Override Expr combine(Expr a, Expr b) { return a.add(b); }
    @Override BroadcastBinaryOp with(Broadcast b) { return new AddOp(b); }
}
