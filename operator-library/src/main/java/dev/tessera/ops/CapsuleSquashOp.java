package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * The capsule squash non-linearity (Sabour, Frosst, Hinton 2017) over the last axis, f32: for each
 * capsule {@code s[b, j, :]} of dimension D,
 * {@code v = (|s|^2 / (1 + |s|^2)) * s / |s|}, which keeps the direction of {@code s} and maps its
 * length into [0, 1).
 *
 * <p>Computed as {@code v = s * |s|^2 / ((1 + |s|^2) * sqrt(|s|^2 + eps))} with
 * {@link #EPSILON} {@code = 1e-8} inside the square root: at {@code s = 0} this gives {@code v = 0}
 * instead of {@code 0/0}; for {@code |s|^2} far above 1e-8 it is the textbook formula to within
 * f32 rounding (published CapsNet code adds the same epsilon).
 *
 * <p>Three stages: {@code capsule_squash_norm2[b, j] = sum_d s^2}, {@code capsule_squash_scale[b, j]}
 * (the factor above) and {@code capsule_squash[b, j, d] = s * scale}.
 */
public final class CapsuleSquashOp implements Operator {
    /** Added to |s|^2 under the square root so that a zero capsule squashes to zero. */
    public static final double EPSILON = 1e-8;

    @Override public String name() { return "capsule_squash"; }
    @Override public String shapeHelp() { return "B,J,D"; }
    @Override public List<String> defaultShapes() { return List.of("128,10,16", "4096,32,8"); }
    @Override public List<String> testShapes() { return List.of("3,5,7", "2,4,16"); }

    /** The squash factor for a squared length: {@code norm2 / ((1 + norm2) * sqrt(norm2 + EPSILON))}. */
    static Expr squashScale(Expr norm2) {
        return norm2.div(norm2.add(1.0).mul(Te.sqrt(norm2.add(EPSILON))));
    }

    @Override public OperatorInstance define(long[] a, boolean symbolic) {
        Expr b = ShapeArgs.leading("B", a[0], symbolic), j = Te.c(a[1]), d = Te.c(a[2]);
        Tensor s = Te.placeholder("s", DType.F32, b, j, d);
        Axis rd = Te.reduceAxis("rd", d);
        Tensor norm2 = Te.compute("capsule_squash_norm2", List.of(b, j), List.of("b", "j"), v -> {
            Expr x = s.at(v.get(0), v.get(1), rd.var());
            return Te.sum(x.mul(x), rd);
        });
        Tensor scale = Te.compute("capsule_squash_scale", List.of(b, j), List.of("b", "j"),
                v -> squashScale(norm2.at(v.get(0), v.get(1))));
        Tensor out = Te.compute("capsule_squash", List.of(b, j, d), List.of("b", "j", "d"),
                v -> s.at(v.get(0), v.get(1), v.get(2)).mul(scale.at(v.get(0), v.get(1))));
        return new OperatorInstance(List.of(s), List.of(out), symbolic ? ShapeArgs.symbolicArgs(a) : a);
    }

    /**
     * One capsule per step of the fused, parallel (b, j) loop: its squared length and factor are
     * computed there (two scalars), then the D components are scaled 16 lanes at a time.
     */
    @Override public void applyDefaultSchedule(Schedule s) { applyTunedSchedule(s, null, Map.of()); }

    @Override public List<Knob> knobs(long[] shapeArgs) {
        return List.of(new Knob("vector", List.of(4L, 8L, 16L), 16), new Knob("fuse_bj", List.of(0L, 1L), 1));
    }

    /**
     * Knobs: {@code vector}, the lanes of the d loop; {@code fuse_bj}: 1 parallelizes the fused (b, j)
     * loop, 0 only b (with the per-capsule stages at j).
     */
    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) {
        List<Knob> k = knobs(shapeArgs);
        long vector = k.get(0).valueIn(config);
        boolean fuse = k.get(1).valueIn(config) == 1;
        Stage out = s.stage("capsule_squash");
        String at;
        if (fuse) {
            at = out.fuse("b", "j").name();
            out.parallel(at);
        } else {
            out.parallel("b");
            at = "j";
        }
        out.vectorize(out.split("d", vector).inner());
        s.stage("capsule_squash_scale").computeAt(out, at);
        s.stage("capsule_squash_norm2").computeAt(out, at);
    }

    /** Per component: a multiply and an add for the norm, a multiply for the scaling; per capsule: add, add, sqrt, multiply, divide. */
    @Override public double flops(long[] a) { return (double) a[0] * a[1] * (3.0 * a[2] + 5.0); }

    @Override public double bytes(long[] a) { return 4.0 * 2.0 * a[0] * a[1] * a[2]; }
}
