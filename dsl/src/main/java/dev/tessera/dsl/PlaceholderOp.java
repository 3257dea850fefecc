package dev.tessera.dsl;

import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import java.util.List;

/** An input tensor supplied by the caller. Equality is identity. */
public final class PlaceholderOp implements Operation {
    private final String name;
    private final Tensor output;

    PlaceholderOp(String name, DType dtype, List<Expr> shape) {
        this.name = name;
        this.output = new Tensor(this, 0, name, dtype, shape);
    }

    @Override public String name() { return name; }
    @Override public List<Tensor> outputs() { return List.of(output); }
    @Override public List<Tensor> inputs() { return List.of(); }
    @Override public String toString() { return "placeholder " + name; }
}
