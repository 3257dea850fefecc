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
 * Layer normalization over the last axis, f32, as PyTorch's {@code LayerNorm(N, eps=1e-5)}: X [M, N],
 * gamma [N], beta [N] to {@code Y[i, j] = (X[i, j] - mean_i) / sqrt(var_i + 1e-5) * gamma[j] + beta[j]}
 * with the biased variance, computed in two passes over the row (numerically stable), in five stages:
 * <ul>
 * <li>{@code layernorm_sum[i] = sum_k X[i, k]} (reduction),
 * <li>{@code layernorm_mean[i] = layernorm_sum[i] / N},
 * <li>{@code layernorm_var_sum[i] = sum_k (X[i, k] - layernorm_mean[i])^2} (reduction),
 * <li>{@code layernorm_rstd[i] = 1 / sqrt(layernorm_var_sum[i] / N + eps)},
 * <li>{@code layernorm[i, j] = (X[i, j] - layernorm_mean[i]) * layernorm_rstd[i] * gamma[j] + beta[j]} (the output).
 * </ul>
 */
public final class LayerNormOp implements Operator {
    /** PyTorch's default epsilon. */
    public static final double EPS = 1e-5;

    @Override public String name() { return "layernorm"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("6,13", "3,32"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor x = Te.placeholder("X", DType.F32, m, n);
        Tensor gamma = Te.placeholder("gamma", DType.F32, n);
        Tensor beta = Te.placeholder("beta", DType.F32, n);
        Axis k1 = Te.reduceAxis("k", n), k2 = Te.reduceAxis("k", n);
        Tensor sum = Te.compute("layernorm_sum", List.of(m), List.of("i"), v -> Te.sum(x.at(v.get(0), k1.var()), k1));
        Tensor mean = Te.compute("layernorm_mean", List.of(m), List.of("i"), v -> sum.at(v.get(0)).div(Te.f32(s[1])));
        Tensor varSum = Te.compute("layernorm_var_sum", List.of(m), List.of("i"), v -> {
            Expr d = x.at(v.get(0), k2.var()).sub(mean.at(v.get(0)));
            return Te.sum(d.mul(d), k2);
        });
        Tensor rstd = Te.compute("layernorm_rstd", List.of(m), List.of("i"),
                v -> Te.rsqrt(varSum.at(v.get(0)).div(Te.f32(s[1])).add(Te.f32(EPS))));
        Tensor y = Te.compute("layernorm", List.of(m, n), List.of("i", "j"), v -> x.at(v.get(0), v.get(1)).sub(mean.at(v.get(0)))
                .mul(rstd.at(v.get(0))).mul(gamma.at(v.get(1))).add(beta.at(v.get(1))));
        return new OperatorInstance(List.of(x, gamma, beta), List.of(y), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * One row per parallel iteration of the output's {@code i} loop: the row's sum, mean, sum of
     * squared deviations and reciprocal standard deviation are computed inside it, then the output
     * row, vectorized. The two reductions are rfactored so 16 partial results accumulate in a vector
     * register across the row (see {@link RowReductions}).
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** One block per row, its reductions shared by the block's threads ({@link GpuSchedules#blockPerRow}). */
    @Override public void applyGpuSchedule(Schedule s) { GpuSchedules.blockPerRow(s); }

    /** {@code vectors}: vectors per step of the output row loop; {@code accumulators}: vector accumulators per row reduction. */
    @Override public List<Knob> knobs(long[] shapeArgs) { return RowSchedules.rowOperatorKnobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), RowSchedules.rowOperatorKnobs(), config);
        Stage out = s.stage("layernorm");
        RowSchedules.vectorize(out, "j", RowSchedules.vectors(k));
        out.parallel("i");
        RowSchedules.reduceAtRow(s.stage("layernorm_sum"), out, k);
        s.stage("layernorm_mean").computeAt(out, "i");
        RowSchedules.reduceAtRow(s.stage("layernorm_var_sum"), out, k);
        s.stage("layernorm_rstd").computeAt(out, "i");
    }

    /** Per element: an add (sum), a subtract, a multiply-add (squared deviations), and a subtract and three multiply-adds for the output. */
    @Override public double flops(long[] a) { return 8.0 * a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * (2.0 * a[0] * a[1] + 2.0 * a[1]); }
}
