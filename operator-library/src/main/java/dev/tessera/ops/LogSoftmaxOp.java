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
 * Row log-softmax over the last axis of X [M, N], f32, computed stably as
 * {@code (X[i, j] - max_i) - log sum_k exp(X[i, k] - max_i)} (subtracting the max first keeps the
 * result accurate when the inputs are large), in five stages:
 * <ul>
 * <li>{@code log_softmax_max[i] = max_k X[i, k]} (reduction),
 * <li>{@code log_softmax_exp[i, j] = exp(X[i, j] - log_softmax_max[i])},
 * <li>{@code log_softmax_sum[i] = sum_k log_softmax_exp[i, k]} (reduction),
 * <li>{@code log_softmax_log_sum[i] = log(log_softmax_sum[i])} (one log per row),
 * <li>{@code log_softmax[i, j] = (X[i, j] - log_softmax_max[i]) - log_softmax_log_sum[i]} (the output).
 * </ul>
 */
public final class LogSoftmaxOp implements Operator {
    @Override public String name() { return "log_softmax"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("6,13", "3,32"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor x = Te.placeholder("X", DType.F32, m, n);
        Axis k1 = Te.reduceAxis("k", n), k2 = Te.reduceAxis("k", n);
        Tensor max = Te.compute("log_softmax_max", List.of(m), List.of("i"), v -> Te.max(x.at(v.get(0), k1.var()), k1));
        Tensor exp = Te.compute("log_softmax_exp", List.of(m, n), List.of("i", "j"),
                v -> Te.exp(x.at(v.get(0), v.get(1)).sub(max.at(v.get(0)))));
        Tensor sum = Te.compute("log_softmax_sum", List.of(m), List.of("i"), v -> Te.sum(exp.at(v.get(0), k2.var()), k2));
        Tensor logSum = Te.compute("log_softmax_log_sum", List.of(m), List.of("i"), v -> Te.log(sum.at(v.get(0))));
        Tensor out = Te.compute("log_softmax", List.of(m, n), List.of("i", "j"),
                v -> x.at(v.get(0), v.get(1)).sub(max.at(v.get(0))).sub(logSum.at(v.get(0))));
        return new OperatorInstance(List.of(x), List.of(out), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * One row per parallel iteration of the output's {@code i} loop: the row's max, exponentials
     * (vectorized, stored for the row), sum and log of the sum are computed inside it, then the
     * output row, vectorized. The max and the sum are rfactored so 16 partial results accumulate in
     * a vector register across the row (see {@link RowReductions}).
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
        Stage out = s.stage("log_softmax");
        RowSchedules.vectorize(out, "j", vectors);
        out.parallel("i");
        Stage exp = s.stage("log_softmax_exp");
        exp.computeAt(out, "i");
        RowSchedules.vectorize(exp, "j", vectors);
        RowSchedules.reduceAtRow(s.stage("log_softmax_max"), out, k);
        RowSchedules.reduceAtRow(s.stage("log_softmax_sum"), out, k);
        s.stage("log_softmax_log_sum").computeAt(out, "i");
    }

    /** Per element: a compare (max), a subtract, an exp, an add (sum) and a subtract. */
    @Override public double flops(long[] a) { return 5.0 * a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * 2.0 * a[0] * a[1]; }
}
