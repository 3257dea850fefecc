package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;

/** Row sums: {@code reduce_sum[i] = sum_k A[i, k]}, f32. */
public final class ReduceSumOp implements Operator {
    @Override public String name() { return "reduce_sum"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("7,19", "17,5"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor a = Te.placeholder("A", DType.F32, m, n);
        Axis k = Te.reduceAxis("k", n);
        Tensor b = Te.compute("reduce_sum", List.of(m), List.of("i"), v -> Te.sum(a.at(v.get(0), k.var()), k));
        return new OperatorInstance(List.of(a), List.of(b), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * Parallel over rows; each row is summed along its contiguous length by four 16-lane vector
     * accumulators (rfactor of k by 64), combined at the row's end.
     */
    @Override public void applyDefaultSchedule(Schedule s) {
        Stage st = s.stage("reduce_sum");
        RowReductions.vectorize(st, "k", "i", 4);
        st.parallel("i");
    }

    @Override public double flops(long[] a) { return (double) a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * ((double) a[0] * a[1] + a[0]); }
}
