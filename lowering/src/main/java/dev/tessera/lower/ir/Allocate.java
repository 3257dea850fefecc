package dev.tessera.lower.ir;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;

/**
 * Scratch storage of {@code size} elements, live within {@code body}. The size never depends on a
 * loop variable (bounds inference makes it an upper bound over all iterations), so a backend may
 * hoist the allocation; small constant sizes go on the stack, the rest on the heap.
 */
public record Allocate(BufferRef buffer, Expr size, Stmt body) implements Stmt {
    public Allocate {
        if (!size.type().equals(DType.I64)) throw new IllegalArgumentException("allocation size must be i64");
    }
}
