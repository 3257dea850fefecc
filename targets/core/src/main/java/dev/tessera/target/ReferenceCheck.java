package dev.tessera.target;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a compiled kernel on seeded inputs and compares every output element with the reference
 * interpreter: the check behind each backend's differential tests.
 */
public final class ReferenceCheck {
    private ReferenceCheck() {}

    /**
     * The first mismatch (a description naming the output), or null when every element agrees.
     * A symbolic dimension takes {@code leadingSize}.
     */
    public static String firstMismatch(List<Tensor> inputs, List<Tensor> outputs, CompiledKernel k, long leadingSize, long seed) {
        return firstMismatch(inputs, outputs, k, leadingSize, seed, 1);
    }

    /** {@link #firstMismatch} with the dtype's tolerance multiplied by {@code toleranceScale}. */
    public static String firstMismatch(List<Tensor> inputs, List<Tensor> outputs, CompiledKernel k, long leadingSize, long seed,
                                       double toleranceScale) {
        Map<Var, Long> bind = new HashMap<>();
        Map<Tensor, TensorValue> values = new LinkedHashMap<>();
        long inputSeed = seed * 31 + 7;
        for (Tensor t : inputs) values.put(t, TensorValue.random(t.dtype(), inputSeed++, shape(t, leadingSize, bind)));
        Map<Tensor, TensorValue> want = ReferenceInterpreter.run(outputs, values);
        List<HostBuffer> args = new ArrayList<>();
        try {
            for (Tensor t : inputs) args.add(HostBuffer.of(t.dtype(), values.get(t).data(), shape(t, leadingSize, bind)));
            for (Tensor t : outputs) args.add(HostBuffer.allocate(t.dtype(), shape(t, leadingSize, bind)));
            k.call(args);
            for (int o = 0; o < outputs.size(); o++) {
                Tensor t = outputs.get(o);
                TensorValue got = TensorValue.of(t.dtype(), args.get(inputs.size() + o).toDoubles(), shape(t, leadingSize, bind));
                double tol = tolerance(t.dtype()) * toleranceScale;
                String m = want.get(t).firstMismatch(got, tol, tol);
                if (m != null) return "output " + t.name() + ": " + m;
            }
            return null;
        } finally {
            for (HostBuffer b : args) b.close();
        }
    }

    /**
     * The relative and absolute tolerance for outputs of {@code t}: for f16 and bf16 two units in
     * the last place (2^-9 and 2^-6), as a float result that differs slightly (a fused multiply-add,
     * a math library) may round to a neighbouring 16-bit value; 1e-4 for every other dtype.
     */
    public static double tolerance(DType t) {
        return switch (t.code()) {
            case FLOAT -> t.bits() == 16 ? 0x1p-9 : 1e-4;
            case BFLOAT -> 0x1p-6;
            case INT, UINT, BOOL -> 1e-4;
        };
    }

    /** A tensor's concrete shape; a symbolic dimension takes the leading size (the same size for the same variable). */
    public static long[] shape(Tensor t, long leadingSize, Map<Var, Long> bind) {
        long[] s = new long[t.rank()];
        for (int d = 0; d < s.length; d++) {
            Expr e = t.shape().get(d);
            if (e instanceof IntImm i) s[d] = i.value();
            else if (e instanceof Var v) s[d] = bind.computeIfAbsent(v, x -> leadingSize);
            else throw new IllegalStateException("unexpected shape expression " + e);
        }
        return s;
    }
}
