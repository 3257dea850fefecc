package dev.tessera.dsl;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.TensorRead;
import java.util.ArrayList;
import java.util.List;

/** A multi-dimensional value produced by an operation (one of its outputs). Equality is identity. */
public final class Tensor {
    private final Operation op;
    private final int valueIndex;
    private final String name;
    private final DType dtype;
    private final List<Expr> shape;

    Tensor(Operation op, int valueIndex, String name, DType dtype, List<Expr> shape) {
        this.op = op;
        this.valueIndex = valueIndex;
        this.name = name;
        this.dtype = dtype;
        this.shape = List.copyOf(shape);
    }

    public Operation op() { return op; }
    public int valueIndex() { return valueIndex; }
    public String name() { return name; }
    public DType dtype() { return dtype; }
    public List<Expr> shape() { return shape; }
    public int rank() { return shape.size(); }

    /** Reads the element at the given indices (integers are converted to i64; ints and Exprs may be mixed). */
    public Expr at(Object... indices) {
        List<Expr> idx = new ArrayList<>();
        for (Object o : indices) {
            Expr e = switch (o) {
                case Expr x -> x;
                case Integer i -> IntImm.i64(i);
                case Long l -> IntImm.i64(l);
                default -> throw new TesseraUserError("index of " + name + " must be an Expr or an integer, got " + o);
            };
            if (!e.type().isIntegral() || e.type().isVector())
                throw new TesseraUserError("index of " + name + " must be an integer expression, got " + e.type());
            idx.add(e.type().equals(DType.I64) ? e : Te.cast(DType.I64, e));
        }
        if (idx.size() != rank())
            throw new TesseraUserError("tensor " + name + " has rank " + rank() + " (shape " + shape + ") but is read with " + idx.size() + " indices");
        return new TensorRead(this, idx);
    }

    @Override public String toString() { return name; }
}
