package dev.tessera.lower.ir;

import dev.tessera.ir.Expr;

/** A branch on a scalar bool; {@code otherwise} may be null. */
public record IfThenElse(Expr cond, Stmt then, Stmt otherwise) implements Stmt {
    public IfThenElse {
        if (!cond.type().isBool() || cond.type().isVector())
            throw new IllegalArgumentException("if condition must be a scalar bool, got " + cond.type());
    }
}
