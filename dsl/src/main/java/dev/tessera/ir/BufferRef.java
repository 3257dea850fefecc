package dev.tessera.ir;

/**
 * A flat memory buffer named by lowered IR: a kernel argument or a local allocation. Equality is identity.
 */
public final class BufferRef {
    private final String name;
    private final DType elementType;

    public BufferRef(String name, DType elementType) {
        this.name = name;
        this.elementType = elementType.scalar();
    }

    public String name() { return name; }
    public DType elementType() { return elementType; }
    @Override public String toString() { return name; }
}
