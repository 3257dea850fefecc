package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import java.util.List;

/** The registry of built-in operators, by CLI name, each with its default attributes (see {@link Operator#withAttributes}). */
public final class Operators {
    private static final List<Operator> ALL = List.of(
            new AddOp(),
            new ReduceSumOp(),
            new SoftmaxOp(),
            new MatmulOp(),
            new Conv2dOp(),
            new Conv2dWinogradOp(),
            new BatchMatmulOp(),
            new DenseOp(),
            new Conv2dNhwcOp(),
            new DepthwiseConv2dOp(),
            new Pool2dOp(),
            new ReluOp(),
            new GeluOp(),
            new MultiplyOp(),
            new ReduceMeanOp(),
            new ReduceMaxOp(),
            new TransposeOp(),
            new LogSoftmaxOp(),
            new LayerNormOp(),
            new CapsuleSquashOp(),
            new CapsuleRoutingOp(),
            new CapsuleConv2dOp());

    private Operators() {}

    public static List<Operator> all() { return ALL; }

    public static List<String> names() { return ALL.stream().map(Operator::name).toList(); }

    /** The operator with this name; raises {@link TesseraUserError} listing the known names otherwise. */
    public static Operator get(String name) {
        for (Operator op : ALL) if (op.name().equals(name)) return op;
        throw new TesseraUserError("unknown operator '" + name + "'; known operators: " + String.join(", ", names()));
    }
}
