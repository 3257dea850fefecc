package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What to tune, in a form a measurement worker in another JVM can rebuild: either a built-in
 * operator (name, attributes, shape arguments, dtype) or a custom compute definition given by the
 * name of a class with a public no-argument constructor that implements {@code Supplier<List<Tensor>>}
 * and returns the outputs. Both rebuild the same structural definition in every process.
 */
public record TuningTask(String op, Map<String, String> attrs, long[] shape, String dtype, String definitionClass) {
    public TuningTask {
        attrs = Map.copyOf(attrs);
        shape = shape == null ? null : shape.clone();
    }

    public static TuningTask operator(String op, Map<String, String> attrs, long[] shape, String dtype) {
        return new TuningTask(op, attrs, shape, dtype, null);
    }

    /** A custom compute definition; its class must be on the worker's class path (the tuner's own). */
    public static TuningTask custom(Class<? extends Supplier<List<Tensor>>> definition) {
        return new TuningTask(definition.getSimpleName(), Map.of(), null, null, definition.getName());
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isOperator() { return definitionClass == null; }

    /** The configured operator; raises {@link TesseraUserError} for a custom definition. */
    public Operator operator() {
        if (!isOperator()) throw new TesseraUserError(op + " is a custom compute definition, not an operator");
        return Operators.get(op).withAttributes(attrs);
    }

    public DType dtypeValue() {
        Operator o = operator();
        return dtype == null ? o.dtypes().get(0) : o.checkDtype(DType.parse(dtype));
    }

    /** Builds the compute definition: the inputs and outputs of the operator instance, or of the custom supplier. */
    public OperatorInstance build() {
        if (isOperator()) return operator().build(shape, dtypeValue());
        List<Tensor> outputs = supplier().get();
        dev.tessera.schedule.Schedule s = dev.tessera.schedule.Schedule.create(outputs);
        return new OperatorInstance(s.inputs(), outputs, new long[0]);
    }

    /** The workload this task tunes (built once; the structural hash comes from the definition). */
    public TuningWorkload workload(OperatorInstance inst) {
        return isOperator() ? TuningWorkload.of(operator(), shape, dtypeValue(), inst.outputs()) : TuningWorkload.custom(op, inst.outputs());
    }

    @SuppressWarnings("unchecked")
    private Supplier<List<Tensor>> supplier() {
        try {
            return (Supplier<List<Tensor>>) Class.forName(definitionClass).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new TesseraUserError("cannot build custom definition " + definitionClass + ": " + e);
        }
    }
}
