package dev.tessera.lower.ir;

import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;

/** Binds {@code var} to {@code value} within {@code body}. */
public record LetStmt(Var var, Expr value, Stmt body) implements Stmt {
    public LetStmt {
        if (!var.type().equals(value.type()))
            throw new IllegalArgumentException("let " + var + ": variable is " + var.type() + ", value is " + value.type());
    }
}
