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

    /**
     * The operator a description names, as {@link Operator#describe()} writes it: a name, or a name
     * with attribute values, e.g. {@code conv2d_winograd[output_tile=4]} (the others keep their
     * defaults). Raises {@link TesseraUserError} for an unknown name or attribute, an illegal value
     * or a malformed description.
     */
    public static Operator configured(String text) {
        String description = text.strip();
        int open = description.indexOf('[');
        if (open < 0) return get(description);
        if (!description.endsWith("]"))
            throw new TesseraUserError("operator '" + description + "' is neither NAME nor NAME[ATTRIBUTE=VALUE,...], e.g. conv2d_winograd[output_tile=4]");
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String part : description.substring(open + 1, description.length() - 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) throw new TesseraUserError("operator '" + description + "': '" + part.strip() + "' is not ATTRIBUTE=VALUE");
            values.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        return get(description.substring(0, open).strip()).withAttributes(values);
    }

    /** The operator with this name; raises {@link TesseraUserError} listing the known names otherwise. */
    public static Operator get(String name) {
        for (Operator op : ALL) if (op.name().equals(name)) return op;
        throw new TesseraUserError("unknown operator '" + name + "'; known operators: " + String.join(", ", names()));
    }
}
