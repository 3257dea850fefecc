package dev.tessera.lower.ir;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Expr;
import java.util.List;

/** Writes one element of a tensor at multi-dimensional indices (before storage flattening). */
public record Provide(Tensor tensor, List<Expr> indices, Expr value) implements Stmt {
    public Provide {
        indices = List.copyOf(indices);
        if (indices.size() != tensor.rank()) throw new IllegalArgumentException("provide to " + tensor + " with wrong rank");
    }
}
