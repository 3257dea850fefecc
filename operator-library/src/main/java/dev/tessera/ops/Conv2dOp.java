package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * 2-D convolution in NCHW layout, f32, as PyTorch's {@code conv2d}: input [N, C, H, W], weight
 * [F, C/groups, KH, KW], one stride, zero padding (each side) and dilation for both spatial
 * dimensions, and channel groups; output [N, F, OH, OW] with
 * {@code OH = (H + 2*pad - dilation*(KH-1) - 1) / stride + 1} (likewise OW). Shape arguments
 * {@code N,C,H,W,F,KH,KW,stride,pad,dilation,groups}; the trailing dilation and groups may be left
 * out (default 1), so the older 9-argument form still works. Output channel f of group
 * {@code g = f / (F/groups)} reads input channels {@code [g*C/groups, (g+1)*C/groups)}. Two stages:
 * {@code conv2d_pad} zero-pads the input (a select, so the input is never read out of bounds) and
 * {@code conv2d} reduces over (rc, ry, rx).
 */
public final class Conv2dOp implements Operator {
    @Override public String name() { return "conv2d"; }
    @Override public String shapeHelp() { return "N,C,H,W,F,KH,KW,stride,pad,dilation,groups"; }
    @Override public List<String> defaultShapes() { return List.of("1,64,56,56,64,3,3,1,1", "1,256,14,14,512,3,3,2,1"); }
    @Override public List<String> testShapes() { return List.of("1,3,7,6,4,3,3,2,1", "2,4,5,4,4,2,2,1,1,2,2"); }

    @Override public long[] checkShape(long[] args) { return ConvShape.checkConv(this, args); }

    /** Output height and width for (9 to 11) shape arguments. */
    public static long[] outputSize(long[] s) {
        ConvShape c = ConvShape.of(s);
        return new long[] {c.oh(), c.ow()};
    }

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = ConvShape.of(args);
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long h = s.h(), w = s.w(), pad = s.pad(), stride = s.stride(), dil = s.dilation(), cg = s.channelsPerGroup(), fg = s.filtersPerGroup();
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(s.c()), Te.c(h), Te.c(w));
        Tensor weight = Te.placeholder("weight", DType.F32, s.f(), cg, s.kh(), s.kw());
        Tensor padded = Te.compute("conv2d_pad", List.of(n, Te.c(s.c()), Te.c(h + 2 * pad), Te.c(w + 2 * pad)), List.of("n", "c", "y", "x"), v -> {
            Expr y = v.get(2), x = v.get(3);
            Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
            return Te.select(inside, input.at(v.get(0), v.get(1), y.sub(pad), x.sub(pad)), 0.0);
        });
        Axis rc = Te.reduceAxis("rc", cg), ry = Te.reduceAxis("ry", s.kh()), rx = Te.reduceAxis("rx", s.kw());
        Tensor out = Te.compute("conv2d", List.of(n, Te.c(s.f()), Te.c(s.oh()), Te.c(s.ow())), List.of("n", "f", "y", "x"), v -> {
            Expr channel = s.groups() == 1 ? rc.var() : v.get(1).div(Te.c(fg)).mul(cg).add(rc.var());
            return Te.sum(padded.at(v.get(0), channel, v.get(2).mul(stride).add(ry.var().mul(dil)), v.get(3).mul(stride).add(rx.var().mul(dil)))
                    .mul(weight.at(v.get(1), rc.var(), ry.var(), rx.var())), rc, ry, rx);
        });
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    /**
     * Direct convolution: 8 output channels (unrolled) by 16 output columns (one AVX-512 vector)
     * per step of the (rc, ry, rx) reduction, so each padded-input vector is reused 8 times and
     * each weight is a scalar broadcast; parallel over (n, f.outer). The padded input at root,
     * parallel over (n, c), rows vectorized. Measured on the 2-core Zen 4 machine: ~39 GFLOP/s on
     * the ResNet-50 56x56x64 and 14x14x256 layers, against ~7 and ~15 with no channel blocking.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    private static final List<Knob> KNOBS = List.of(
            new Knob("tile_channels", List.of(1L, 2L, 4L, 8L, 16L), 8),
            new Knob("tile_vectors", List.of(1L, 2L), 1),
            new Knob("unroll_rx", List.of(0L, 1L), 1),
            new Knob("pad_placement", List.of(0L, 1L), 0));

    /**
     * {@code tile_channels}: output channels per register tile; {@code tile_vectors}: output columns
     * per tile in vectors; {@code unroll_rx}: unroll the kernel-column loop; {@code pad_placement}:
     * 0 pads the input in its own pass at root, 1 inlines the padding select into the convolution.
     */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), KNOBS, config);
        Stage conv = s.stage("conv2d");
        long lanes = Vectors.lanes(conv);
        Stage pad = s.stage("conv2d_pad");
        if (k.get("pad_placement") == 0) {
            pad.computeRoot();
            pad.parallel(pad.fuse("n", "c"));
            pad.vectorize(pad.split("x", lanes).inner());
        } else {
            pad.computeInline();
        }
        Stage.Parts f = conv.split("f", k.get("tile_channels"));
        Stage.Parts x = conv.split("x", k.get("tile_vectors") * lanes);
        conv.reorder("n", f.outer().name(), "y", x.outer().name(), "rc", "ry", "rx", f.inner().name(), x.inner().name());
        conv.parallel(conv.fuse("n", f.outer().name()));
        if (k.get("unroll_rx") == 1) conv.unroll("rx");
        conv.unroll(f.inner());
        LoopAxis vector = x.inner();
        if (k.get("tile_vectors") > 1) {
            Stage.Parts xv = conv.split(x.inner(), lanes);
            conv.unroll(xv.outer());
            vector = xv.inner();
        }
        conv.vectorize(vector);
    }

    @Override public double flops(long[] a) { return 2.0 * ConvShape.of(a).macs(); }

    @Override public double bytes(long[] a) {
        ConvShape s = ConvShape.of(a);
        return 4.0 * ((double) s.n() * s.c() * s.h() * s.w() + (double) s.f() * s.channelsPerGroup() * s.kh() * s.kw()
                + (double) s.n() * s.f() * s.oh() * s.ow());
    }
}
