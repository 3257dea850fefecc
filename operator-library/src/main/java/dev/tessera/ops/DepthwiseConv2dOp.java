package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Depthwise 2-D convolution in NCHW layout, f32 (conv2d with groups = C and one filter per
 * channel): input [N, C, H, W], weight [C, 1, KH, KW] (PyTorch's layout), output [N, C, OH, OW],
 * {@code out[n, c, y, x] = sum_{ry, rx} pad(input)[n, c, y*stride + ry*dilation, x*stride + rx*dilation] * weight[c, 0, ry, rx]}.
 * Shape arguments {@code N,C,H,W,KH,KW,stride,pad,dilation} (dilation may be left out, default 1).
 * Two stages: {@code depthwise_conv2d_pad} (the zero-padded input) and {@code depthwise_conv2d}.
 */
public final class DepthwiseConv2dOp implements Operator {
    @Override public String name() { return "depthwise_conv2d"; }
    @Override public String shapeHelp() { return "N,C,H,W,KH,KW,stride,pad,dilation"; }
    @Override public List<String> defaultShapes() { return List.of("1,256,56,56,3,3,1,1", "1,512,28,28,3,3,2,1"); }
    @Override public List<String> testShapes() { return List.of("1,3,7,6,3,3,2,1", "2,2,6,19,3,2,1,2,2"); }

    @Override public long[] checkShape(long[] args) {
        if (args.length < 8 || args.length > 9)
            throw new TesseraUserError(name() + " takes 8 or 9 shape arguments " + shapeHelp() + " (dilation may be left out, default 1), got "
                    + args.length + ": " + Arrays.toString(args));
        long[] full = Arrays.copyOf(args, 9);
        if (args.length == 8) full[8] = 1;
        ConvShape.checkSigns(this, full, shapeHelp().split(","), 7);
        conv(full).checkWindowFits(this, "kernel");
        return full;
    }

    /** The equivalent grouped convolution's shape (F = groups = C). */
    static ConvShape conv(long[] a) {
        return new ConvShape(a[0], a[1], a[2], a[3], a[1], a[4], a[5], a[6], a[7], a.length > 8 ? a[8] : 1, a[1]);
    }

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = conv(args);
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long h = s.h(), w = s.w(), pad = s.pad(), stride = s.stride(), dil = s.dilation();
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(s.c()), Te.c(h), Te.c(w));
        Tensor weight = Te.placeholder("weight", DType.F32, s.c(), 1, s.kh(), s.kw());
        Tensor padded = Te.compute("depthwise_conv2d_pad", List.of(n, Te.c(s.c()), Te.c(h + 2 * pad), Te.c(w + 2 * pad)), List.of("n", "c", "y", "x"), v -> {
            Expr y = v.get(2), x = v.get(3);
            Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
            return Te.select(inside, input.at(v.get(0), v.get(1), y.sub(pad), x.sub(pad)), 0.0);
        });
        Axis ry = Te.reduceAxis("ry", s.kh()), rx = Te.reduceAxis("rx", s.kw());
        Tensor out = Te.compute("depthwise_conv2d", List.of(n, Te.c(s.c()), Te.c(s.oh()), Te.c(s.ow())), List.of("n", "c", "y", "x"), v -> Te.sum(
                padded.at(v.get(0), v.get(1), v.get(2).mul(stride).add(ry.var().mul(dil)), v.get(3).mul(stride).add(rx.var().mul(dil)))
                        .mul(weight.at(v.get(1), Te.c(0), ry.var(), rx.var())), ry, rx));
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    private static final List<Knob> KNOBS = List.of(
            new Knob("tile_vectors", List.of(1L, 2L), 1),
            new Knob("unroll_rx", List.of(0L, 1L), 1),
            new Knob("pad_placement", List.of(0L, 1L, 2L), 0));

    /**
     * One channel plane per parallel iteration (n and c fused): the plane's padded input is computed
     * there (it stays in L1/L2 for the convolution that follows), rows vectorized; the convolution
     * runs 16 output columns per vector with the (ry, rx) loops outside the lanes and rx unrolled.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /**
     * {@code tile_vectors}: output columns per step in vectors; {@code unroll_rx}: unroll the
     * kernel-column loop; {@code pad_placement}: 0 pads each plane inside the parallel channel loop,
     * 1 pads the whole input at root, 2 inlines the padding select.
     */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), KNOBS, config);
        Stage conv = s.stage("depthwise_conv2d");
        long lanes = Vectors.lanes(conv);
        Stage.Parts x = conv.split("x", k.get("tile_vectors") * lanes);
        conv.reorder("n", "c", "y", x.outer().name(), "ry", "rx", x.inner().name());
        LoopAxis plane = conv.fuse("n", "c");
        conv.parallel(plane);
        if (k.get("unroll_rx") == 1) conv.unroll("rx");
        LoopAxis vector = x.inner();
        if (k.get("tile_vectors") > 1) {
            Stage.Parts xv = conv.split(x.inner(), lanes);
            conv.unroll(xv.outer());
            vector = xv.inner();
        }
        conv.vectorize(vector);

        Stage pad = s.stage("depthwise_conv2d_pad");
        long placement = k.get("pad_placement");
        if (placement == 2) {
            pad.computeInline();
            return;
        }
        if (placement == 0) {
            pad.computeAt(conv, plane);
        } else {
            pad.computeRoot();
            pad.parallel(pad.fuse("n", "c"));
        }
        pad.vectorize(pad.split("x", lanes).inner());
    }

    @Override public double flops(long[] a) { return 2.0 * conv(a).macs(); }

    @Override public double bytes(long[] a) {
        ConvShape s = conv(a);
        return 4.0 * ((double) s.n() * s.c() * s.h() * s.w() + (double) s.c() * s.kh() * s.kw() + (double) s.n() * s.c() * s.oh() * s.ow());
    }
}
