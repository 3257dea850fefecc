package dev.tessera.ops;

import dev.tessera.TesseraUserError;
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
 * Capsule 2-D convolution with 4x4 pose matrices, f32: the "CAP" operator of the Ansor single-operator
 * benchmark, defined as Ansor defines it ({@code conv2d_capsule_nhwijc} in Apache TVM's
 * {@code python/tvm/meta_schedule/testing/te_workload.py}, first in Ansor's {@code tune_op_subgraph.py}).
 * Input {@code inputs[N, H, W, 4, 4, CI]}, weight {@code weight[K, K, 4, 4, CI, CO]}, output
 * {@code [N, OH, OW, 4, 4, CO]} with {@code OH = (H + 2*PAD - K) / STRIDE + 1} (likewise OW):
 *
 * <pre>
 * out[n, h, w, ci, cj, co] = sum over rh, rw, ck, rc of
 *     padded[n, h*STRIDE + rh, w*STRIDE + rw, ci, ck, rc] * weight[rh, rw, ck, cj, rc, co]
 * </pre>
 *
 * that is, for each output position and channel, the sum over the K x K window and the input
 * channels of the 4x4 pose-matrix products {@code P_in(rc) * W(rh, rw, rc, co)}. The channels are
 * the innermost (NHWIJC) layout, as in Ansor. Two stages: {@code capsule_conv2d_pad} zero-pads H and
 * W (a select, so the input is never read out of bounds), and {@code capsule_conv2d} reduces over
 * (rh, rw, ck, rc) in that order.
 */
public final class CapsuleConv2dOp implements Operator {
    /** The side of a pose matrix. */
    public static final int CAPSULE = 4;

    @Override public String name() { return "capsule_conv2d"; }
    @Override public String shapeHelp() { return "N,H,W,CI,CO,K,STRIDE,PAD"; }
    @Override public List<String> defaultShapes() {
        return List.of("1,16,16,32,32,3,2,1", "1,8,8,32,32,3,1,1", "16,16,16,32,32,3,2,1", "16,8,8,32,32,3,1,1");
    }
    @Override public List<String> testShapes() { return List.of("1,5,4,3,5,3,2,1", "2,3,3,2,17,2,1,0"); }

    @Override public long[] checkShape(long[] args) {
        long[] s = ShapeArgs.check(this, args, 7);
        long h = s[1], w = s[2], k = s[5], pad = s[7];
        if (h + 2 * pad < k || w + 2 * pad < k)
            throw new TesseraUserError("capsule_conv2d: the " + k + "x" + k + " kernel does not fit the padded " + (h + 2 * pad) + "x" + (w + 2 * pad)
                    + " input (H=" + h + ", W=" + w + ", PAD=" + pad + "); need K <= H + 2*PAD and K <= W + 2*PAD");
        return s;
    }

    /** Output height and width for shape arguments. */
    public static long[] outputSize(long[] s) {
        return new long[] {(s[1] + 2 * s[7] - s[5]) / s[6] + 1, (s[2] + 2 * s[7] - s[5]) / s[6] + 1};
    }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr n = ShapeArgs.leading("N", s[0], symbolic);
        long h = s[1], w = s[2], ci = s[3], co = s[4], k = s[5], stride = s[6], pad = s[7];
        long[] o = outputSize(s);
        Expr cap = Te.c(CAPSULE);
        Tensor input = Te.placeholder("inputs", DType.F32, n, Te.c(h), Te.c(w), cap, cap, Te.c(ci));
        Tensor weight = Te.placeholder("weight", DType.F32, k, k, CAPSULE, CAPSULE, ci, co);
        Tensor padded = Te.compute("capsule_conv2d_pad", List.of(n, Te.c(h + 2 * pad), Te.c(w + 2 * pad), cap, cap, Te.c(ci)),
                List.of("n", "y", "x", "i", "k", "c"), v -> {
                    Expr y = v.get(1), x = v.get(2);
                    Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
                    return Te.select(inside, input.at(v.get(0), y.sub(pad), x.sub(pad), v.get(3), v.get(4), v.get(5)), 0.0);
                });
        Axis rh = Te.reduceAxis("rh", k), rw = Te.reduceAxis("rw", k), ck = Te.reduceAxis("ck", CAPSULE), rc = Te.reduceAxis("rc", ci);
        Tensor out = Te.compute("capsule_conv2d", List.of(n, Te.c(o[0]), Te.c(o[1]), cap, cap, Te.c(co)),
                List.of("n", "h", "w", "ci", "cj", "co"), v -> Te.sum(
                        padded.at(v.get(0), v.get(1).mul(stride).add(rh.var()), v.get(2).mul(stride).add(rw.var()), v.get(3), ck.var(), rc.var())
                                .mul(weight.at(rh.var(), rw.var(), ck.var(), v.get(4), rc.var(), v.get(5))),
                        rh, rw, ck, rc));
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    @Override public void applyDefaultSchedule(Schedule s) { applyTunedSchedule(s, null, Map.of()); }

    @Override public List<Knob> knobs(long[] shapeArgs) {
        return List.of(new Knob("co_block", List.of(8L, 16L, 32L), 16), new Knob("unroll_ci", List.of(1L, 2L, 4L), 4),
                new Knob("unroll_cj", List.of(1L, 2L, 4L), 4), new Knob("reduce_order", List.of(0L, 1L), 0));
    }

    /**
     * Register-blocked direct convolution. The padded input is computed at root (parallel over rows).
     * The output is parallel over the fused (n, h) loop; for each output pixel and block of
     * {@code co_block} (knob) output channels, the (rh, rw, rc, ck) reduction (or (rh, rw, ck, rc)
     * with {@code reduce_order} = 1) runs outside an unrolled {@code unroll_ci x unroll_cj} (knobs)
     * tile of pose entries, each a vector of output channels: with the defaults, 16 zmm
     * accumulators, 4 FMAs per weight vector loaded and per input scalar broadcast.
     */
    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) {
        List<Knob> k = knobs(shapeArgs);
        long coBlock = k.get(0).valueIn(config), unrollCi = k.get(1).valueIn(config), unrollCj = k.get(2).valueIn(config);
        boolean ckInner = k.get(3).valueIn(config) == 1;

        Stage pad = s.stage("capsule_conv2d_pad");
        pad.computeRoot();
        pad.parallel(pad.fuse("n", "y"));
        pad.vectorize(pad.split("c", 16).inner());

        Stage out = s.stage("capsule_conv2d");
        Stage.Parts co = out.split("co", coBlock);
        Stage.Parts ci = out.split("ci", unrollCi);
        Stage.Parts cj = out.split("cj", unrollCj);
        Stage.Parts cov = out.split(co.inner(), Math.min(16, coBlock));
        String fused = out.fuse("n", "h").name();
        out.reorder(fused, "w", co.outer().name(), ci.outer().name(), cj.outer().name(), "rh", "rw", ckInner ? "rc" : "ck", ckInner ? "ck" : "rc",
                ci.inner().name(), cj.inner().name(), cov.outer().name(), cov.inner().name());
        out.parallel(fused);
        out.unroll(ci.inner());
        out.unroll(cj.inner());
        out.unroll(cov.outer());
        out.vectorize(cov.inner());
    }

    @Override public double flops(long[] a) {
        long[] o = outputSize(a);
        return 2.0 * a[0] * o[0] * o[1] * CAPSULE * CAPSULE * a[4] * a[5] * a[5] * CAPSULE * a[3];
    }

    @Override public double bytes(long[] a) {
        long[] o = outputSize(a);
        double cap2 = CAPSULE * CAPSULE;
        return 4.0 * cap2 * ((double) a[0] * a[1] * a[2] * a[3] + (double) a[5] * a[5] * a[3] * a[4] + (double) a[0] * o[0] * o[1] * a[4]);
    }
}
