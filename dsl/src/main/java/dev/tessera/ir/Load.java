package dev.tessera.ir;

/**
 * A read of a flat buffer at an element index (after storage flattening). A vector index makes a
 * vector load: dense when the index is a stride-1 {@link Ramp}, a gather otherwise. When
 * {@code predicate} is not null, lanes where it is false are not read and yield 0.
 */
public record Load(BufferRef buffer, Expr index, Expr predicate) implements Expr {
    public Load {
        if (!index.type().scalar().equals(DType.I64)) throw new IllegalArgumentException("load index must be i64, got " + index.type());
        if (predicate != null && predicate.type().lanes() != index.type().lanes())
            throw new IllegalArgumentException("load predicate lanes differ from index lanes");
    }
    public Load(BufferRef buffer, Expr index) { this(buffer, index, null); }
    @Override public DType type() { return buffer.elementType().withLanes(index.type().lanes()); }
}
