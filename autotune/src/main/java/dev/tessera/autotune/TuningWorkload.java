package dev.tessera.autotune;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.Workload;
import dev.tessera.ops.Operator;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a tuning record is about: the operator name (or the name given to a custom compute
 * definition), its shape arguments, dtype and attributes, and the structural hash of the compute
 * definition ({@link Workload#hash}), which is what records are matched on.
 */
public record TuningWorkload(String op, List<Long> shape, String dtype, Map<String, String> attrs, String structuralHash, double flops) {
    public TuningWorkload {
        shape = List.copyOf(shape);
        attrs = new TreeMap<>(attrs);
    }

    /** The workload of a built-in operator instance. */
    public static TuningWorkload of(Operator op, long[] shapeArgs, DType dtype, List<Tensor> outputs) {
        return new TuningWorkload(op.name(), Arrays.stream(shapeArgs).boxed().toList(), dtype.toString(),
                op.attributeValues(), Workload.hash(outputs), op.flops(shapeArgs));
    }

    /** The workload of a compute definition with no operator: its output shapes stand for the shape. */
    public static TuningWorkload custom(String name, List<Tensor> outputs) {
        Tensor out = outputs.get(0);
        List<Long> shape = out.shape().stream().map(e -> e instanceof dev.tessera.ir.IntImm i ? i.value() : -1L).toList();
        return new TuningWorkload(name, shape, out.dtype().toString(), Map.of(), Workload.hash(outputs), 0);
    }

    /** e.g. {@code matmul 256x256x256 f32}. */
    public String describe() {
        return op + (attrs.isEmpty() ? "" : attrs.toString()) + " " + String.join("x", shape.stream().map(String::valueOf).toList()) + " " + dtype;
    }
}
