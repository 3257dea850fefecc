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
 * 2-D convolution in NHWC layout, f32: input [N, H, W, C], weight [KH, KW, C/groups, F] (HWIO, as
 * TensorFlow and TVM's {@code conv2d_nhwc}), output [N, OH, OW, F]. The shape arguments are
 * conv2d's, in the same order ({@code N,C,H,W,F,KH,KW,stride,pad,dilation,groups}, the last two
 * optional): they are sizes, not a layout, so one argument list describes the same convolution in
 * both layouts. Two stages: {@code conv2d_nhwc_pad} (the zero-padded input) and
 * {@code conv2d_nhwc} (the reduction over ry, rx, rc).
 */
public final class Conv2dNhwcOp implements Operator {
    @Override public String name() { return "conv2d_nhwc"; }
    @Override public String shapeHelp() { return "N,C,H,W,F,KH,KW,stride,pad,dilation,groups"; }
    @Override public List<String> defaultShapes() { return List.of("1,64,56,56,64,3,3,1,1", "1,256,14,14,512,3,3,2,1"); }
    @Override public List<String> testShapes() { return List.of("1,3,5,6,19,3,3,2,1", "2,4,4,5,6,2,2,1,1,2,2"); }

    @Override public long[] checkShape(long[] args) { return ConvShape.checkConv(this, args); }

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = ConvShape.of(args);
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long h = s.h(), w = s.w(), pad = s.pad(), stride = s.stride(), dil = s.dilation(), cg = s.channelsPerGroup(), fg = s.filtersPerGroup();
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(h), Te.c(w), Te.c(s.c()));
        Tensor weight = Te.placeholder("weight", DType.F32, s.kh(), s.kw(), cg, s.f());
        Tensor padded = Te.compute("conv2d_nhwc_pad", List.of(n, Te.c(h + 2 * pad), Te.c(w + 2 * pad), Te.c(s.c())), List.of("n", "y", "x", "c"), v -> {
            Expr y = v.get(1), x = v.get(2);
            Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
            return Te.select(inside, input.at(v.get(0), y.sub(pad), x.sub(pad), v.get(3)), 0.0);
        });
        Axis ry = Te.reduceAxis("ry", s.kh()), rx = Te.reduceAxis("rx", s.kw()), rc = Te.reduceAxis("rc", cg);
        Tensor out = Te.compute("conv2d_nhwc", List.of(n, Te.c(s.oh()), Te.c(s.ow()), Te.c(s.f())), List.of("n", "y", "x", "f"), v -> {
            Expr channel = s.groups() == 1 ? rc.var() : v.get(3).div(Te.c(fg)).mul(cg).add(rc.var());
            return Te.sum(padded.at(v.get(0), v.get(1).mul(stride).add(ry.var().mul(dil)), v.get(2).mul(stride).add(rx.var().mul(dil)), channel)
                    .mul(weight.at(ry.var(), rx.var(), rc.var(), v.get(3))), ry, rx, rc);
        });
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    private static final List<Knob> KNOBS = List.of(
            new Knob("tile_columns", List.of(1L, 2L, 4L, 6L, 8L), 4),
            new Knob("tile_vectors", List.of(1L, 2L, 3L, 4L), 2),
            new Knob("pad_placement", List.of(0L, 1L), 0));

    /**
     * Register tiles of 4 output columns by 2 vectors of output channels (4 x 32 in f32): per step of
     * the (ry, rx, rc) reduction, each input value is one scalar broadcast reused over 32 channels and
     * each weight vector (contiguous in F) is reused over 4 columns; 8 accumulators stay in
     * registers. Parallel over (n, y). The padded input at root, parallel over (n, y), channels
     * vectorized.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /**
     * {@code tile_columns}: output columns per register tile; {@code tile_vectors}: output channels
     * per tile in vectors; {@code pad_placement}: 0 pads at root, 1 inlines the padding select.
     */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), KNOBS, config);
        Stage conv = s.stage("conv2d_nhwc");
        long lanes = Vectors.lanes(conv);
        Stage pad = s.stage("conv2d_nhwc_pad");
        if (k.get("pad_placement") == 0) {
            pad.computeRoot();
            pad.parallel(pad.fuse("n", "y"));
            pad.vectorize(pad.split("c", lanes).inner());
        } else {
            pad.computeInline();
        }
        Stage.Parts x = conv.split("x", k.get("tile_columns"));
        Stage.Parts f = conv.split("f", k.get("tile_vectors") * lanes);
        Stage.Parts fv = conv.split(f.inner(), lanes);
        conv.reorder("n", "y", x.outer().name(), f.outer().name(), "ry", "rx", "rc", x.inner().name(), fv.outer().name(), fv.inner().name());
        conv.parallel(conv.fuse("n", "y"));
        conv.unroll(x.inner());
        conv.unroll(fv.outer());
        conv.vectorize(fv.inner());
    }

    @Override public double flops(long[] a) { return 2.0 * ConvShape.of(a).macs(); }

    @Override public double bytes(long[] a) { return new Conv2dOp().bytes(a); }
}
