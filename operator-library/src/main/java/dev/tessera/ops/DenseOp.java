package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import java.util.List;
import java.util.Map;

/**
 * A dense layer with a fused epilogue: {@code Y[i, j] = act(sum_k A[i, k] * B[k, j] + bias[j])},
 * f32 or f64, with A [M, K], B [K, N], bias [N] and Y [M, N]. The attribute {@code activation} is
 * {@code none} (default), {@code relu} or {@code gelu} (exact, erf-based). Two stages:
 * {@code dense_acc} (the matmul reduction) and {@code dense}, the output stage, which adds the bias
 * and applies the activation as it copies each accumulator tile out, so the epilogue costs no extra
 * pass over memory.
 */
public final class DenseOp implements Operator {
    private static final List<Attribute> ATTRIBUTES = List.of(new Attribute("activation",
            Activation.names(Activation.NONE, Activation.RELU, Activation.GELU), "applied to A.B + bias: none, relu, or gelu (exact, erf-based)"));

    private final Activation activation;

    public DenseOp() { this(Activation.NONE); }

    private DenseOp(Activation activation) { this.activation = activation; }

    @Override public String name() { return "dense"; }
    @Override public String shapeHelp() { return "M,N,K"; }
    @Override public List<String> defaultShapes() { return List.of("1024,1024,1024", "128,3072,768"); }
    @Override public List<String> testShapes() { return List.of("7,21,5", "16,16,9"); }
    @Override public List<DType> dtypes() { return List.of(DType.F32, DType.F64); }
    @Override public List<Attribute> attributes() { return ATTRIBUTES; }
    @Override public Map<String, String> attributeValues() { return Map.of("activation", activation.attributeName); }

    @Override public Operator withAttributes(Map<String, String> values) {
        return new DenseOp(Activation.named(Attribute.resolve(this, values).get("activation")));
    }

    @Override public OperatorInstance define(long[] s, boolean symbolic) { return define(s, symbolic, DType.F32); }

    @Override public OperatorInstance define(long[] s, boolean symbolic, DType dtype) {
        checkDtype(dtype);
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]), kk = Te.c(s[2]);
        Tensor a = Te.placeholder("A", dtype, m, kk);
        Tensor b = Te.placeholder("B", dtype, kk, n);
        Tensor bias = Te.placeholder("bias", dtype, n);
        Axis k = Te.reduceAxis("k", kk);
        Tensor acc = Te.compute("dense_acc", List.of(m, n), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        Tensor y = Te.compute("dense", List.of(m, n), List.of("i", "j"),
                v -> activation.apply(acc.at(v.get(0), v.get(1)).add(bias.at(v.get(1)))));
        return new OperatorInstance(List.of(a, b, bias), List.of(y), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /** {@link MatmulSchedule}'s register tiles; the bias and activation run on each tile in the output stage. */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** {@link MatmulGpuSchedule}'s tiles; the bias and activation run on each thread's register tile as it is stored. */
    @Override public void applyGpuSchedule(Schedule s) { MatmulGpuSchedule.apply(s, "dense", "dense_acc", false); }

    @Override public List<Knob> knobs(long[] shapeArgs) { return MatmulSchedule.knobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        MatmulSchedule.apply(s, "dense", "dense_acc", false, Knob.resolve(name(), MatmulSchedule.knobs(), config));
    }

    /** The matmul, the bias add and the activation. */
    @Override public double flops(long[] a) { return 2.0 * a[0] * a[1] * a[2] + (1.0 + activation.flops()) * a[0] * a[1]; }

    @Override public double bytes(long[] a) {
        return 4.0 * ((double) a[0] * a[2] + (double) a[2] * a[1] + a[1] + (double) a[0] * a[1]);
    }
}
