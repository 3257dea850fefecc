package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * An elementwise binary operator on an [M, N] array A and an operand B broadcast to it, f32:
 * {@code C[i, j] = A[i, j] op B[...]}, one stage named after the operator. The attribute
 * {@code broadcast} gives B's shape, as NumPy broadcasting would read it: {@code row} (default) B[N],
 * the same row for every i; {@code column} B[M], one value per row; {@code scalar} B[1];
 * {@code none} B[M, N].
 */
abstract class BroadcastBinaryOp implements Operator {
    /** B's shape relative to A's. */
    enum Broadcast {
        ROW("row"), NONE("none"), COLUMN("column"), SCALAR("scalar");

        final String attributeName;

        Broadcast(String attributeName) { this.attributeName = attributeName; }
    }

    static final List<Attribute> ATTRIBUTES = List.of(new Attribute("broadcast", List.of("row", "none", "column", "scalar"),
            "B's shape: row = B[N] (one row for all i), none = B[M,N], column = B[M] (one value per row), scalar = B[1]"));

    final Broadcast broadcast;

    BroadcastBinaryOp(Broadcast broadcast) { this.broadcast = broadcast; }

    /** The operation applied to each pair of elements. */
    abstract Expr combine(Expr a, Expr b);

    /** This operator with another broadcast. */
    abstract BroadcastBinaryOp with(Broadcast broadcast);

    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("1024,1024", "4096,1024"); }
    @Override public List<String> testShapes() { return List.of("9,21", "4,33"); }
    @Override public List<Attribute> attributes() { return ATTRIBUTES; }
    @Override public Map<String, String> attributeValues() { return Map.of("broadcast", broadcast.attributeName); }

    @Override public Operator withAttributes(Map<String, String> values) {
        String b = Attribute.resolve(this, values).get("broadcast");
        for (Broadcast x : Broadcast.values()) if (x.attributeName.equals(b)) return with(x);
        throw new IllegalStateException(b);
    }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor a = Te.placeholder("A", DType.F32, m, n);
        Tensor b = switch (broadcast) {
            case ROW -> Te.placeholder("B", DType.F32, n);
            case NONE -> Te.placeholder("B", DType.F32, m, n);
            case COLUMN -> Te.placeholder("B", DType.F32, m);
            case SCALAR -> Te.placeholder("B", DType.F32, Te.c(1));
        };
        Tensor c = Te.compute(name(), List.of(m, n), List.of("i", "j"), v -> combine(a.at(v.get(0), v.get(1)), read(b, v)));
        return new OperatorInstance(List.of(a, b), List.of(c), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    private Expr read(Tensor b, List<Var> v) {
        return switch (broadcast) {
            case ROW -> b.at(v.get(1));
            case NONE -> b.at(v.get(0), v.get(1));
            case COLUMN -> b.at(v.get(0));
            case SCALAR -> b.at(Te.c(0));
        };
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

    @Override public double flops(long[] a) { return (double) a[0] * a[1]; }

    @Override public double bytes(long[] a) {
        double b = switch (broadcast) {
            case ROW -> a[1];
            case NONE -> (double) a[0] * a[1];
            case COLUMN -> a[0];
            case SCALAR -> 1;
        };
        return 4.0 * (2.0 * a[0] * a[1] + b);
    }
}
