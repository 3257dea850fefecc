package dev.tessera.lower.ir;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.List;

/**
 * A kernel ready for a backend: flattened loop-nest IR over buffer parameters (inputs first, then
 * outputs) and symbolic shape parameters (i64). The C ABI is
 * {@code void name(T0* buf0, ..., int64_t shape0, ...)}, plus {@code void name_packed(void** args)}
 * taking the same arguments as pointers to their values.
 */
public record LoweredFunc(String name, List<BufferParam> buffers, List<Var> shapeParams, Stmt body) {
    public LoweredFunc {
        buffers = List.copyOf(buffers);
        shapeParams = List.copyOf(shapeParams);
    }

    /** A buffer argument: the flat buffer the body indexes, the tensor it holds, its shape and whether the kernel writes it. */
    public record BufferParam(BufferRef buffer, Tensor tensor, List<Expr> shape, boolean isOutput) {
        public BufferParam { shape = List.copyOf(shape); }
    }
}
