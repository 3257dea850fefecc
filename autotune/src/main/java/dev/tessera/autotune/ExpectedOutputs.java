package dev.tessera.autotune;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.Workload;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.KernelArguments;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The reference interpreter's values at the output points a candidate is checked on, for one
 * workload on its seeded inputs ({@link KernelArguments#seeded}): up to {@value #CHECKED_POINTS}
 * points per output sampled with a fixed seed, every point of a smaller output.
 *
 * <p>Every candidate of a workload runs on the same inputs and is checked at the same points, so
 * the values are computed once per process and kept in a small least-recently-used cache
 * ({@value #CACHED_WORKLOADS} workloads, each at most {@value #CHECKED_POINTS} points per output).
 * For a large operator this is most of what measuring a candidate used to cost: capsule routing
 * needs about a minute of interpretation for its 512 points.
 */
final class ExpectedOutputs {
    static final int CHECKED_POINTS = 512;
    static final int CACHED_WORKLOADS = 8;
    private static final long SAMPLING_SEED = 42;

    /** The checked points of one output: flat indices (in checking order) and the reference value at each. */
    private record CheckedOutput(String name, DType dtype, long[] shape, long[] flatIndices, double[] expected) {}

    private static final Map<String, ExpectedOutputs> CACHE = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<String, ExpectedOutputs> eldest) { return size() > CACHED_WORKLOADS; }
    };
    private static long computed;

    private final List<CheckedOutput> outputs;

    private ExpectedOutputs(List<CheckedOutput> outputs) { this.outputs = List.copyOf(outputs); }

    /**
     * The expected values for {@code inst}, computed from {@code seededInputs} (the values of
     * {@link KernelArguments#seeded} for its inputs) on first use in this process and reused for
     * every instance with the same key (see {@link #key}).
     */
    static ExpectedOutputs of(OperatorInstance inst, Map<Tensor, TensorValue> seededInputs) {
        String key = key(inst);
        synchronized (CACHE) {
            ExpectedOutputs cached = CACHE.get(key);
            if (cached != null) return cached;
        }
        ExpectedOutputs fresh = compute(inst, seededInputs);
        synchronized (CACHE) {
            computed++;
            CACHE.put(key, fresh);
        }
        return fresh;
    }

    /**
     * What makes two instances share expected values: the structural hash of the definition, and
     * each input and output in call order with its name, dtype and shape (the seeded inputs are
     * drawn in that order, and the checked points from the output shapes).
     */
    static String key(OperatorInstance inst) {
        StringBuilder sb = new StringBuilder(Workload.hash(inst.outputs()));
        for (Tensor t : inst.inputs()) sb.append("|in ").append(describe(t));
        for (Tensor t : inst.outputs()) sb.append("|out ").append(describe(t));
        return sb.toString();
    }

    private static String describe(Tensor t) { return t.name() + ":" + t.dtype() + Arrays.toString(KernelArguments.constantShape(t)); }

    /** How many times this process has computed expected values (cache misses), for tests and profiling. */
    static long computedCount() {
        synchronized (CACHE) {
            return computed;
        }
    }

    private static ExpectedOutputs compute(OperatorInstance inst, Map<Tensor, TensorValue> seededInputs) {
        ReferenceInterpreter reference = new ReferenceInterpreter(inst.outputs(), seededInputs);
        Random sampler = new Random(SAMPLING_SEED);
        List<CheckedOutput> checked = new ArrayList<>();
        for (Tensor t : inst.outputs()) {
            long[] shape = KernelArguments.constantShape(t);
            int size = Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact));
            boolean all = size <= CHECKED_POINTS;
            int points = all ? size : CHECKED_POINTS;
            long[] flat = new long[points];
            double[] expected = new double[points];
            for (int p = 0; p < points; p++) {
                flat[p] = all ? p : sampler.nextInt(size);
                expected[p] = reference.evaluateAt(t, KernelArguments.unflatten(flat[p], shape));
            }
            checked.add(new CheckedOutput(t.name(), t.dtype(), shape, flat, expected));
        }
        return new ExpectedOutputs(checked);
    }

    /**
     * Null when every checked point of the output buffers (in the instance's output order) matches
     * the reference within the dtype's tolerance (1e-9 relative for f64, else 1e-3; NaN only where
     * the reference is NaN), else the first point that does not: where, the value and the reference.
     */
    String firstMismatch(List<HostBuffer> outputBuffers) {
        for (int o = 0; o < outputs.size(); o++) {
            CheckedOutput out = outputs.get(o);
            HostBuffer buffer = outputBuffers.get(o);
            double tolerance = out.dtype().equals(DType.F64) ? 1e-9 : 1e-3;
            for (int p = 0; p < out.flatIndices().length; p++) {
                double want = out.expected()[p], got = buffer.get(out.flatIndices()[p]);
                boolean same = Double.isNaN(want) ? Double.isNaN(got) : Math.abs(want - got) <= tolerance * (1 + Math.abs(want));
                if (!same)
                    return "output " + out.name() + Arrays.toString(KernelArguments.unflatten(out.flatIndices()[p], out.shape())) + " = " + got
                            + ", reference " + want;
            }
        }
        return null;
    }
}
