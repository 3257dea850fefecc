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
 * Batched matrix multiplication (PyTorch's {@code bmm}, no transposes):
 * {@code C[b, i, j] = sum_k A[b, i, k] * B[b, k, j]}, f32 or f64, with A [B, M, K], B [B, K, N] and
 * C [B, M, N]. Two stages as in {@link MatmulOp}: {@code batch_matmul_acc} (the reduction) and
 * {@code batch_matmul} (the output). The batch is the symbolic leading dimension.
 */
public final class BatchMatmulOp implements Operator {
    @Override public String name() { return "batch_matmul"; }
    @Override public String shapeHelp() { return "B,M,N,K"; }
    @Override public List<String> defaultShapes() { return List.of("16,256,256,256", "48,128,64,128"); }
    @Override public List<String> testShapes() { return List.of("3,5,19,7", "2,9,16,4"); }
    @Override public List<DType> dtypes() { return List.of(DType.F32, DType.F64); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) { return define(s, symbolic, DType.F32); }

    @Override public OperatorInstance define(long[] s, boolean symbolic, DType dtype) {
        checkDtype(dtype);
        Expr batch = ShapeArgs.leading("B", s[0], symbolic), m = Te.c(s[1]), n = Te.c(s[2]), kk = Te.c(s[3]);
        Tensor a = Te.placeholder("A", dtype, batch, m, kk);
        Tensor b = Te.placeholder("B", dtype, batch, kk, n);
        Axis k = Te.reduceAxis("k", kk);
        Tensor acc = Te.compute("batch_matmul_acc", List.of(batch, m, n), List.of("b", "i", "j"),
                v -> Te.sum(a.at(v.get(0), v.get(1), k.var()).mul(b.at(v.get(0), k.var(), v.get(2))), k));
        Tensor c = Te.compute("batch_matmul", List.of(batch, m, n), List.of("b", "i", "j"), v -> acc.at(v.get(0), v.get(1), v.get(2)));
        return new OperatorInstance(List.of(a, b), List.of(c), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * {@link MatmulSchedule}'s register tiles for each matrix of the batch, with the batch fused
     * into the parallel column-panel loop (so a small batch of wide matrices, or a large batch of
     * small ones, both give every thread work).
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** {@link MatmulGpuSchedule}'s tiles for each matrix of the batch, the batch on {@code blockIdx.z}. */
    @Override public void applyGpuSchedule(Schedule s) { MatmulGpuSchedule.apply(s, "batch_matmul", "batch_matmul_acc", true); }

    @Override public List<Knob> knobs(long[] shapeArgs) { return MatmulSchedule.knobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        MatmulSchedule.apply(s, "batch_matmul", "batch_matmul_acc", true, Knob.resolve(name(), MatmulSchedule.knobs(), config));
    }

    @Override public double flops(long[] a) { return 2.0 * a[0] * a[1] * a[2] * a[3]; }

    @Override public double bytes(long[] a) {
        return 4.0 * a[0] * ((double) a[1] * a[3] + (double) a[3] * a[2] + (double) a[1] * a[2]);
    }
}
