package dev.tessera.lower.ir;

import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.schedule.LoopKind;

/** {@code for (var = min; var < min + extent; var++) body}, run as {@code kind} says. */
public record For(Var var, Expr min, Expr extent, LoopKind kind, Stmt body) implements Stmt {
    public For {
        if (!var.type().equals(DType.I64) || !min.type().equals(DType.I64) || !extent.type().equals(DType.I64))
            throw new IllegalArgumentException("loop " + var + ": variable, min and extent must be i64");
    }
}
