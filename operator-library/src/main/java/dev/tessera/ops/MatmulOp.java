package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import java.util.List;
import java.util.Map;

/**
 * Matrix multiplication {@code C[i, j] = sum_k A[i, k] * B[k, j]}, f32 or f64, with A of shape
 * [M, K] and B of shape [K, N]. Defined in Halide's classic two-stage form so that a schedule can
 * accumulate in a small tile: {@code matmul_acc} is the reduction, {@code matmul} (the output)
 * copies it. The schedule is {@link MatmulSchedule}'s.
 */
public final class MatmulOp implements Operator {
    @Override public String name() { return "matmul"; }
    @Override public String shapeHelp() { return "M,N,K"; }
    @Override public List<String> defaultShapes() { return List.of("1024,1024,1024", "512,768,3072"); }
    @Override public List<String> testShapes() { return List.of("11,19,9", "16,32,8"); }
    @Override public List<DType> dtypes() { return List.of(DType.F32, DType.F64); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) { return define(s, symbolic, DType.F32); }

    @Override public OperatorInstance define(long[] s, boolean symbolic, DType dtype) {
        checkDtype(dtype);
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]), kk = Te.c(s[2]);
        Tensor a = Te.placeholder("A", dtype, m, kk);
        Tensor b = Te.placeholder("B", dtype, kk, n);
        Axis k = Te.reduceAxis("k", kk);
        Tensor acc = Te.compute("matmul_acc", List.of(m, n), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        Tensor c = Te.compute("matmul", List.of(m, n), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1)));
        return new OperatorInstance(List.of(a, b), List.of(c), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * Register-blocked: each 4 x 4-vector output tile (4x64 in f32, 4x32 in f64) accumulates in 16
     * AVX-512 registers over the whole k loop, then is copied out; column panels are the outer,
     * parallel loop. See {@link MatmulSchedule}.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** {@link MatmulGpuSchedule}: 128 x 128 shared-memory tiles, an 8 x 8 register tile per thread. */
    @Override public void applyGpuSchedule(Schedule s) { MatmulGpuSchedule.apply(s, "matmul", "matmul_acc", false); }

    @Override public List<Knob> knobs(long[] shapeArgs) { return MatmulSchedule.knobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        MatmulSchedule.apply(s, "matmul", "matmul_acc", false, Knob.resolve(name(), MatmulSchedule.knobs(), config));
    }

    @Override public double flops(long[] a) { return 2.0 * a[0] * a[1] * a[2]; }
    @Override public double bytes(long[] a) { return 4.0 * ((double) a[0] * a[2] + (double) a[2] * a[1] + (double) a[0] * a[1]); }
}
