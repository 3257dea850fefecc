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
 * A reduction of each row of an [M, N] array, f32, to one value: {@code out[i] = reduce_k A[i, k]}.
 * Sum and max are one reduction stage named after the operator; the mean is the sum stage
 * {@code <name>_sum} and the output {@code <name> = sum / N}.
 */
abstract class RowReduceOp implements Operator {
    /** How a row is reduced. */
    enum Kind { SUM, MAX, MEAN }

    abstract Kind kind();

    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,1024", "1024,4096"); }
    @Override public List<String> testShapes() { return List.of("7,19", "17,5"); }

    /** The reduction stage's name. */
    private String reductionStage() { return kind() == Kind.MEAN ? name() + "_sum" : name(); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor a = Te.placeholder("A", DType.F32, m, n);
        Axis k = Te.reduceAxis("k", n);
        Tensor r = Te.compute(reductionStage(), List.of(m), List.of("i"), v -> kind() == Kind.MAX
                ? Te.max(a.at(v.get(0), k.var()), k) : Te.sum(a.at(v.get(0), k.var()), k));
        Tensor out = kind() != Kind.MEAN ? r
                : Te.compute(name(), List.of(m), List.of("i"), v -> r.at(v.get(0)).div(Te.f32(s[1])));
        return new OperatorInstance(List.of(a), List.of(out), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    /**
     * Parallel over rows; each row is reduced along its contiguous length by 16-lane vector
     * accumulators (rfactor of k, see {@link RowReductions}), combined at the row's end: four for a
     * sum or a max, whose rows are all the work. A mean's sum is computed inside the output's row loop.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** One block per row, its reductions shared by the block's threads ({@link GpuSchedules#blockPerRow}). */
    @Override public void applyGpuSchedule(Schedule s) { GpuSchedules.blockPerRow(s); }

    private static final List<Knob> KNOBS = List.of(new Knob("accumulators", List.of(1L, 2L, 4L, 8L), 4));

    /** {@code accumulators}: independent 16-lane vector accumulators per row. */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        int accumulators = Math.toIntExact(Knob.resolve(name(), KNOBS, config).get("accumulators"));
        Stage out = s.stage(name());
        Stage reduction = out;
        if (kind() == Kind.MEAN) {
            reduction = s.stage(reductionStage());
            reduction.computeAt(out, "i");
        }
        RowReductions.vectorize(reduction, "k", "i", accumulators);
        out.parallel("i");
    }

    @Override public double flops(long[] a) { return (double) a[0] * a[1] + (kind() == Kind.MEAN ? a[0] : 0); }
    @Override public double bytes(long[] a) { return 4.0 * ((double) a[0] * a[1] + a[0]); }
}
