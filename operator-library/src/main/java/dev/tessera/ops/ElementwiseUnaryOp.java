package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * An elementwise function of an [M, N] array, f32: {@code Y[i, j] = fn(X[i, j])}, one stage named
 * after the operator. Subclasses give the function and its cost.
 */
abstract class ElementwiseUnaryOp implements Operator {
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("5,37", "3,16"); }

    /** The function applied to each element. */
    abstract Expr apply(Expr x);

    /** Floating-point operations per element. */
    abstract double flopsPerElement();

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor x = Te.placeholder("X", DType.F32, m, n);
        Tensor y = Te.compute(name(), List.of(m, n), List.of("i", "j"), v -> apply(x.at(v.get(0), v.get(1))));
        return new OperatorInstance(List.of(x), List.of(y), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /** Rows in parallel, each row 16 lanes at a time (a guarded tail). */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** {@code vectors}: vectors per step of the row loop. */
    @Override public List<Knob> knobs(long[] shapeArgs) { return RowSchedules.vectorKnobs(); }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), RowSchedules.vectorKnobs(), config);
        Stage st = s.stage(name());
        RowSchedules.vectorize(st, "j", RowSchedules.vectors(k));
        st.parallel("i");
    }

    @Override public double flops(long[] a) { return flopsPerElement() * a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * 2.0 * a[0] * a[1]; }
}
