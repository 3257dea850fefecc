package dev.tessera.ir;

import dev.tessera.dsl.Tensor;
import java.util.List;

/** A read of one element of a tensor at multi-dimensional indices (before storage flattening). */
public record TensorRead(Tensor tensor, List<Expr> indices) implements Expr {
    public TensorRead {
        indices = List.copyOf(indices);
        if (indices.size() != tensor.rank())
            throw new IllegalArgumentException(tensor.name() + " has rank " + tensor.rank() + ", read with " + indices.size() + " indices");
    }
    @Override public DType type() { return tensor.dtype(); }
}
