package dev.tessera.lower.ir;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;

/**
 * Writes {@code value} to a flat buffer at an element index. A vector index writes several lanes
 * (dense for a stride-1 ramp, a scatter otherwise); lanes where {@code predicate} (if not null) is
 * false are not written.
 */
public record Store(BufferRef buffer, Expr index, Expr value, Expr predicate) implements Stmt {
    public Store {
        if (!index.type().scalar().equals(DType.I64)) throw new IllegalArgumentException("store index must be i64");
        if (index.type().lanes() != value.type().lanes()) throw new IllegalArgumentException("store index and value lanes differ");
        if (!value.type().scalar().equals(buffer.elementType()))
            throw new IllegalArgumentException("store of " + value.type() + " into " + buffer + " of " + buffer.elementType());
        if (predicate != null && predicate.type().lanes() != index.type().lanes())
            throw new IllegalArgumentException("store predicate lanes differ");
    }

    public Store(BufferRef buffer, Expr index, Expr value) { this(buffer, index, value, null); }
}
