package dev.tessera.ops;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One built definition of an operator: its input placeholders, its output tensors, and the shape
 * arguments it was built from (in a symbolic instance, {@code shapeArgs[0]} is {@link #SYMBOLIC}).
 */
public record OperatorInstance(List<Tensor> inputs, List<Tensor> outputs, long[] shapeArgs) {
    /** The value of a shape argument that is a shape variable in the definition. */
    public static final long SYMBOLIC = -1;

    public OperatorInstance {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        shapeArgs = shapeArgs.clone();
    }

    @Override public long[] shapeArgs() { return shapeArgs.clone(); }

    /** The first output. */
    public Tensor output() { return outputs.get(0); }

    /** The symbolic shape variables of the inputs (empty for a concrete instance), in first-seen order. */
    public List<Var> shapeVars() {
        List<Var> out = new ArrayList<>();
        for (Tensor t : inputs)
            for (Expr d : t.shape())
                if (d instanceof Var v && !out.contains(v)) out.add(v);
        return out;
    }

    @Override public boolean equals(Object o) {
        return o instanceof OperatorInstance i && inputs.equals(i.inputs) && outputs.equals(i.outputs) && Arrays.equals(shapeArgs, i.shapeArgs);
    }

    @Override public int hashCode() { return 31 * (31 * inputs.hashCode() + outputs.hashCode()) + Arrays.hashCode(shapeArgs); }

    @Override public String toString() {
        return "OperatorInstance" + Arrays.toString(shapeArgs) + " " + inputs + " -> " + outputs;
    }
}
