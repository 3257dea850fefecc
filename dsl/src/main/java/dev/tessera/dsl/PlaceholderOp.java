package dev.tessera.dsl;

import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import java.util.List;

/** An input tensor supplied by the caller. Equality is identity. */
public final class PlaceholderOp implements Operation {
    private static final java.util.concurrent.atomic.AtomicLong CREATED = new java.util.concurrent.atomic.AtomicLong();
    private final long creationOrder = CREATED.incrementAndGet();
    private final String name;
    private final Tensor output;

    PlaceholderOp(String name, DType dtype, List<Expr> shape) {
        this.name = name;
        this.output = new Tensor(this, 0, name, dtype, shape);
    }

    @Override public String name() { return name; }

    /** Placeholders made earlier have smaller numbers: kernels take their inputs in declaration order. */
    public long creationOrder() { return creationOrder; }
    @Override public List<Tensor> outputs() { return List.of(output); }
    @Override public List<Tensor> inputs() { return List.of(); }
    @Override public String toString() { return "placeholder " + name; }
}
