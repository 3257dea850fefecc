package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.lower.interp.TensorValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arguments a kernel is benchmarked, tuned or checked on: seeded random inputs (kept as values
 * for the reference interpreter) and freshly allocated outputs, as host buffers in call order
 * (inputs, then outputs). Every tensor must have a constant shape.
 */
public final class KernelArguments implements AutoCloseable {
    private final Map<Tensor, TensorValue> inputValues;
    private final List<HostBuffer> buffers;

    private KernelArguments(Map<Tensor, TensorValue> inputValues, List<HostBuffer> buffers) {
        this.inputValues = Collections.unmodifiableMap(inputValues);
        this.buffers = Collections.unmodifiableList(buffers);
    }

    /** Inputs filled with {@link TensorValue#random} from seeds 1, 2, ... in order; outputs allocated. */
    public static KernelArguments seeded(List<Tensor> inputs, List<Tensor> outputs) {
        Map<Tensor, TensorValue> values = new LinkedHashMap<>();
        long seed = 1;
        for (Tensor t : inputs) values.put(t, TensorValue.random(t.dtype(), seed++, constantShape(t)));
        List<HostBuffer> buffers = new ArrayList<>();
        try {
            for (Tensor t : inputs) buffers.add(HostBuffer.of(t.dtype(), values.get(t).data(), constantShape(t)));
            for (Tensor t : outputs) buffers.add(HostBuffer.allocate(t.dtype(), constantShape(t)));
        } catch (RuntimeException e) {
            for (HostBuffer b : buffers) b.close();
            throw e;
        }
        return new KernelArguments(values, buffers);
    }

    /** The input values, for the reference interpreter. */
    public Map<Tensor, TensorValue> inputValues() { return inputValues; }

    /** The buffers in call order: inputs, then outputs. */
    public List<HostBuffer> buffers() { return buffers; }

    /** A tensor's shape, which must be constant. */
    public static long[] constantShape(Tensor t) {
        long[] s = new long[t.rank()];
        for (int d = 0; d < s.length; d++) {
            Expr e = t.shape().get(d);
            if (!(e instanceof IntImm i)) throw new TesseraUserError("running a kernel here needs constant shapes; " + t.name() + " has dimension " + e);
            s[d] = i.value();
        }
        return s;
    }

    /** The row-major index of element {@code flat} of an array of the given shape. */
    public static long[] unflatten(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    @Override public void close() {
        for (HostBuffer b : buffers) b.close();
    }
}
