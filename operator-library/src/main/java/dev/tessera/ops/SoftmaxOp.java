package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.GpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * Row softmax over the last axis, f32, as four stages: {@code softmax_max[i] = max_k X[i, k]},
 * {@code softmax_exp[i, j] = exp(X[i, j] - softmax_max[i])}, {@code softmax_sum[i] = sum_k softmax_exp[i, k]},
 * {@code softmax[i, j] = softmax_exp[i, j] * (1 / softmax_sum[i])}: one division per row and a
 * multiplication per element, as PyTorch's kernel does, where a division per element would cost a
 * vector divide (several cycles each) on every element.
 */
public final class SoftmaxOp implements Operator {
    @Override public String name() { return "softmax"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("6,13", "3,32"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor x = Te.placeholder("X", DType.F32, m, n);
        Axis k1 = Te.reduceAxis("k", n);
        Tensor max = Te.compute("softmax_max", List.of(m), List.of("i"), v -> Te.max(x.at(v.get(0), k1.var()), k1));
        Tensor exp = Te.compute("softmax_exp", List.of(m, n), List.of("i", "j"),
                v -> Te.exp(x.at(v.get(0), v.get(1)).sub(max.at(v.get(0)))));
        Axis k2 = Te.reduceAxis("k", n);
        Tensor sum = Te.compute("softmax_sum", List.of(m), List.of("i"), v -> Te.sum(exp.at(v.get(0), k2.var()), k2));
        Tensor out = Te.compute("softmax", List.of(m, n), List.of("i", "j"),
                v -> exp.at(v.get(0), v.get(1)).mul(Te.f32(1).div(sum.at(v.get(0)))));
        return new OperatorInstance(List.of(x), List.of(out), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * One row per parallel iteration: the row's max, exponentials and sum are computed inside the
     * output's row loop (max inside the exponentials' row loop, its only reader), the j loops
     * vectorized. The max and the sum are row reductions: each is split by 16 and rfactored, so 16
     * partial results accumulate in one vector register across the row and are combined at its end.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** One block per row, its reductions shared by the block's threads ({@link GpuSchedules#blockPerRow}). */
    @Override public void applyGpuSchedule(Schedule s) { GpuSchedules.blockPerRow(s); }

    /** {@code vectors}: vectors per step of the elementwise row loops; {@code accumulators}: vector accumulators per row reduction. */
    @Override public List<Knob> knobs(long[] shapeArgs) { return RowSchedules.rowOperatorKnobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), RowSchedules.rowOperatorKnobs(), config);
        long vectors = RowSchedules.vectors(k);
        Stage out = s.stage("softmax");
        RowSchedules.vectorize(out, "j", vectors);
        out.parallel("i");
        Stage exp = s.stage("softmax_exp");
        exp.computeAt(out, "i");
        RowSchedules.vectorize(exp, "j", vectors);
        RowSchedules.reduceAtRow(s.stage("softmax_max"), exp, k);
        RowSchedules.reduceAtRow(s.stage("softmax_sum"), out, k);
    }

    /** Per element: a compare (max), a subtract, an exp, an add (sum) and a divide. */
    @Override public double flops(long[] a) { return 5.0 * a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * 2.0 * a[0] * a[1]; }
}
