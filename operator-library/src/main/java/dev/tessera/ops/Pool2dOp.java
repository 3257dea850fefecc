package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * 2-D max or average pooling in NCHW layout, f32: input [N, C, H, W], a KH x KW window moved by
 * one stride in both dimensions over the input padded by {@code pad} on each side, output
 * [N, C, OH, OW] with {@code OH = (H + 2*pad - KH) / stride + 1} (likewise OW; PyTorch's
 * {@code ceil_mode=False}). Padding never wins a max and is not counted in an average (PyTorch's
 * {@code count_include_pad=False}); {@code pad < KH} and {@code pad < KW} keep every window on at
 * least one input element. The attribute {@code pool_type} is {@code max} (default) or {@code avg}.
 * Stages: max is the single reduction {@code pool2d}; avg is the window sum {@code pool2d_sum}
 * and the output {@code pool2d}, the sum divided by the window's count of input elements.
 */
public final class Pool2dOp implements Operator {
    private static final List<Attribute> ATTRIBUTES = List.of(new Attribute("pool_type", List.of("max", "avg"),
            "max, or avg (the mean of the window's input elements; padding is not counted)"));

    private final boolean average;

    public Pool2dOp() { this(false); }

    private Pool2dOp(boolean average) { this.average = average; }

    @Override public String name() { return "pool2d"; }
    @Override public String shapeHelp() { return "N,C,H,W,KH,KW,stride,pad"; }
    @Override public List<String> defaultShapes() { return List.of("1,64,112,112,3,3,2,1", "16,256,28,28,2,2,2,0"); }
    @Override public List<String> testShapes() { return List.of("1,3,7,6,3,3,2,1", "2,2,9,18,2,3,1,1"); }
    @Override public List<Attribute> attributes() { return ATTRIBUTES; }
    @Override public Map<String, String> attributeValues() { return Map.of("pool_type", average ? "avg" : "max"); }

    @Override public Operator withAttributes(Map<String, String> values) {
        return new Pool2dOp(Attribute.resolve(this, values).get("pool_type").equals("avg"));
    }

    @Override public long[] checkShape(long[] args) {
        long[] a = ShapeArgs.check(this, args, 7);
        ConvShape s = window(a);
        s.checkWindowFits(this, "window");
        if (s.pad() >= s.kh() || s.pad() >= s.kw())
            throw new TesseraUserError(name() + ": pad=" + s.pad() + " must be smaller than the " + s.kh() + "x" + s.kw()
                    + " window (pad < KH and pad < KW), or some windows would cover only padding");
        return a;
    }

    /** The window as a convolution shape (F = C, one channel per group). */
    static ConvShape window(long[] a) { return new ConvShape(a[0], a[1], a[2], a[3], a[1], a[4], a[5], a[6], a[7], 1, a[1]); }

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = window(args);
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long h = s.h(), w = s.w(), pad = s.pad(), stride = s.stride(), kh = s.kh(), kw = s.kw();
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(s.c()), Te.c(h), Te.c(w));
        Axis ry = Te.reduceAxis("ry", kh), rx = Te.reduceAxis("rx", kw);
        List<Expr> shape = List.of(n, Te.c(s.c()), Te.c(s.oh()), Te.c(s.ow()));
        List<String> axes = List.of("n", "c", "y", "x");
        Function<List<Var>, Expr> windowValue = v -> {
            Expr iy = v.get(2).mul(stride).add(ry.var()).sub(pad), ix = v.get(3).mul(stride).add(rx.var()).sub(pad);
            Expr inside = iy.ge(0).and(iy.lt(h)).and(ix.ge(0)).and(ix.lt(w));
            return Te.select(inside, input.at(v.get(0), v.get(1), iy, ix), average ? Te.f32(0) : Te.lowest(DType.F32));
        };
        Tensor out;
        if (!average) {
            out = Te.compute("pool2d", shape, axes, v -> Te.max(windowValue.apply(v), ry, rx));
        } else {
            Tensor sum = Te.compute("pool2d_sum", shape, axes, v -> Te.sum(windowValue.apply(v), ry, rx));
            out = Te.compute("pool2d", shape, axes, v -> {
                Expr y0 = v.get(2).mul(stride).sub(pad), x0 = v.get(3).mul(stride).sub(pad);
                Expr rows = Te.min(y0.add(kh), Te.c(h)).sub(Te.max(y0, Te.c(0)));
                Expr cols = Te.min(x0.add(kw), Te.c(w)).sub(Te.max(x0, Te.c(0)));
                return sum.at(v.get(0), v.get(1), v.get(2), v.get(3)).div(rows.mul(cols).cast(DType.F32));
            });
        }
        return new OperatorInstance(List.of(input), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    private static final List<Knob> KNOBS = List.of(
            new Knob("tile_vectors", List.of(1L, 2L), 1),
            new Knob("unroll_rx", List.of(0L, 1L), 1));

    /**
     * Parallel over (n, c) planes, 16 output columns per vector with the window loops outside the
     * lanes and rx unrolled; an average's window sum is computed per 16-column tile inside the
     * output's column loop.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /** {@code tile_vectors}: output columns per step in vectors; {@code unroll_rx}: unroll the window-column loop. */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), KNOBS, config);
        Stage out = s.stage("pool2d");
        long lanes = Vectors.lanes(out), width = k.get("tile_vectors") * lanes;
        Stage.Parts x = out.split("x", width);
        out.parallel(out.fuse("n", "c"));
        Stage window = out;
        if (average) {
            out.vectorize(x.inner());
            window = s.stage("pool2d_sum");
            window.computeAt(out, x.outer());
            x = window.split("x", width);
        }
        window.reorder(x.outer().name(), "ry", "rx", x.inner().name());
        if (k.get("unroll_rx") == 1) window.unroll("rx");
        LoopAxis vector = x.inner();
        if (k.get("tile_vectors") > 1) {
            Stage.Parts xv = window.split(x.inner(), lanes);
            window.unroll(xv.outer());
            vector = xv.inner();
        }
        window.vectorize(vector);
    }

    /** One compare or add per window element (and a divide per output for avg). */
    @Override public double flops(long[] a) {
        ConvShape s = window(a);
        double outs = (double) s.n() * s.c() * s.oh() * s.ow();
        return outs * s.kh() * s.kw() + (average ? outs : 0);
    }

    @Override public double bytes(long[] a) {
        ConvShape s = window(a);
        return 4.0 * ((double) s.n() * s.c() * s.h() * s.w() + (double) s.n() * s.c() * s.oh() * s.ow());
    }
}
