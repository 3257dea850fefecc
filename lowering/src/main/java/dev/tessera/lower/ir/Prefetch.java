package dev.tessera.lower.ir;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;

/**
 * A hint to bring the cache line holding element {@code index} of a flat buffer closer to the
 * core. It has no effect on values and never faults, so the index may lie past the buffer's end.
 */
public record Prefetch(BufferRef buffer, Expr index) implements Stmt {
    public Prefetch {
        if (!index.type().equals(DType.I64)) throw new IllegalArgumentException("prefetch index must be a scalar i64");
    }
}
