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
    @Override public List<String> testShapes() { return List.of("1,3,7,6,4,3,3,2,1", "2,4,5,4,4,2,2,1,1,2,2", "1,8,14,14,16,3,3,1,1"); }

    @Override public long[] checkShape(long[] args) { return ConvShape.checkConv(this, args); }

    /** Winograd F(2x2, 3x3) and F(4x4, 3x3) for 3x3 kernels with stride 1, dilation 1 and one group. */
    @Override public List<Operator> alternatives(long[] args) {
        ConvShape s = ConvShape.of(args);
        if (s.kh() != 3 || s.kw() != 3 || s.stride() != 1 || s.dilation() != 1 || s.groups() != 1) return List.of();
        Operator winograd = new Conv2dWinogradOp();
        return List.of(winograd, winograd.withAttributes(Map.of("output_tile", "4")));
    }

    /** Output height and width for (9 to 11) shape arguments. */
    public static long[] outputSize(long[] s) {
        ConvShape c = ConvShape.of(s);
        return new long[] {c.oh(), c.ow()};
    }

    /** The widest register tile of the schedules, in pixels: 8 vectors of 16 f32 lanes. */
    static final long MAX_TILE_PIXELS = 128;

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = ConvShape.of(args);
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long h = s.h(), w = s.w(), pad = s.pad(), stride = s.stride(), dil = s.dilation(), cg = s.channelsPerGroup(), fg = s.filtersPerGroup();
        long oh = s.oh(), ow = s.ow();
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(s.c()), Te.c(h), Te.c(w));
        Tensor weight = Te.placeholder("weight", DType.F32, s.f(), cg, s.kh(), s.kw());
        Tensor padded = Te.compute("conv2d_pad", List.of(n, Te.c(s.c()), Te.c(h + 2 * pad), Te.c(w + 2 * pad)), List.of("n", "c", "y", "x"), v -> {
            Expr y = v.get(2), x = v.get(3);
            Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
            return Te.select(inside, input.at(v.get(0), v.get(1), y.sub(pad), x.sub(pad)), 0.0);
        });
        // Zero rows past the output let a register tile of up to MAX_TILE_PIXELS run whole past the last pixel.
        long colRows = (oh * ow + MAX_TILE_PIXELS + ow - 1) / ow;
        Tensor cols = Te.compute("conv2d_cols", List.of(n, Te.c(s.c()), Te.c(s.kh()), Te.c(s.kw()), Te.c(colRows), Te.c(ow)),
                List.of("n", "c", "ky", "kx", "y", "x"),
                v -> Te.select(v.get(4).lt(oh),
                        padded.at(v.get(0), v.get(1), v.get(4).mul(stride).add(v.get(2).mul(dil)), v.get(5).mul(stride).add(v.get(3).mul(dil))), 0.0));
        Axis rc = Te.reduceAxis("rc", cg), ry = Te.reduceAxis("ry", s.kh()), rx = Te.reduceAxis("rx", s.kw());
        Tensor gemm = Te.compute("conv2d_gemm", List.of(n, Te.c(s.f()), Te.c(oh * ow)), List.of("n", "f", "p"), v -> {
            Expr channel = s.groups() == 1 ? rc.var() : v.get(1).div(Te.c(fg)).mul(cg).add(rc.var());
            Expr p = v.get(2);
            return Te.sum(cols.at(v.get(0), channel, ry.var(), rx.var(), p.div(Te.c(ow)), p.mod(Te.c(ow)))
                    .mul(weight.at(v.get(1), rc.var(), ry.var(), rx.var())), rc, ry, rx);
        });
        Tensor out = Te.compute("conv2d", List.of(n, Te.c(s.f()), Te.c(oh), Te.c(ow)), List.of("n", "f", "y", "x"),
                v -> gemm.at(v.get(0), v.get(1), v.get(2).mul(ow).add(v.get(3))));
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    /**
     * Convolution as a matrix product (im2col), with the column matrix never materialised whole:
     * output channels are the rows, output pixels (y, x flattened to p) the columns and (rc, ry, rx)
     * the reduction. A panel of whole output rows packs its columns ({@code conv2d_cols}: each
     * (channel, ky, kx) row of the panel is a run of the padded input, copied with vector loads);
     * then register tiles of {@code tile_rows} output channels by {@code tile_vectors} vectors of
     * pixels accumulate over the whole reduction ({@code conv2d_gemm}, kept in registers), reading
     * the weights where they lie (one broadcast per row and step) and the packed columns as dense
     * vectors. Flattening the pixels is what lets a 7x7 or 14x14 image fill 16-lane vectors, where
     * vectorizing the output row alone used at most 7 or 14 lanes. Panels and channel parts are the
     * parallel loop.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, null, Map.of()); }

    /**
     * {@code tile_rows}: output channels per register tile; {@code tile_vectors}: pixels per tile in
     * vectors; {@code panel_rows}: output rows per packed panel (0: chosen by shape);
     * {@code channel_parts}: the output channels split into this many parallel parts (0: chosen by
     * shape); {@code pad_placement}: 0 pads the input in its own pass at root, 1 inlines the padding
     * select into the packing; {@code prepack_weight}: 1 declares the weights constant across calls
     * and packs them once, ahead of calls, into panels of {@code tile_rows} output channels
     * ([F/tile_rows, C, KH, KW, tile_rows]), so the weights a register tile broadcasts at each
     * reduction step are contiguous (off by default); {@code layout}: 0 the column panels above, 1
     * the direct convolution of {@link #direct}, where a register tile is {@code tile_rows} pixels of
     * an output row by {@code tile_vectors} vectors of output channels and {@code panel_rows} the
     * output rows of a parallel iteration.
     */
    @Override public List<Knob> knobs(long[] shapeArgs) {
        ConvShape c = ConvShape.of(shapeArgs);
        return knobs(Layout.choose(c.n(), c.f(), c.oh(), c.ow(), c.channelsPerGroup() * c.kh() * c.kw(), 16), c.oh());
    }

    private static final List<Long> TILE_ROWS = List.of(1L, 2L, 3L, 4L, 6L, 7L, 8L, 12L, 14L);

    private static List<Knob> knobs(Layout d, long oh) {
        return List.of(
                new Knob("tile_rows", TILE_ROWS, d.tileRows()),
                new Knob("tile_vectors", List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), d.tileVectors()),
                new Knob("panel_rows", panelRowChoices(oh, d.panelRows()), d.panelRows()),
                new Knob("channel_parts", List.of(1L, 2L, 4L, 8L), d.channelParts()),
                new Knob("pad_placement", List.of(0L, 1L), 0),
                new Knob("prepack_weight", List.of(0L, 1L), 0),
                new Knob("layout", List.of(0L, 1L), 0));
    }

    private static List<Long> panelRowChoices(long oh, long chosen) {
        java.util.TreeSet<Long> rows = new java.util.TreeSet<>();
        for (long r = 1; r <= oh; r++) if (oh % r == 0 && r <= 64) rows.add(r);
        rows.add(chosen);
        return List.copyOf(rows);
    }

    /** The configuration is checked against the knobs of {@code shapeArgs}; the schedule applies to any shape (partial panels and tiles are guarded). */
    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, knobs(shapeArgs), config); }

    /**
     * The register tile, panel height and channel split for a shape: tiles of 14 to 24 accumulators
     * over 2 to 7 vectors of pixels whose tiles cover a panel's pixels with the fewest wasted lanes,
     * panels of whole rows whose packed columns fit in half a 1 MiB L2, and a parallel loop of at least 4
     * iterations, an even number when it is short (a 7-panel loop on 2 threads runs 4 then 3).
     * Channel parts give the loop its iterations where panels do not, but each part packs its
     * panel's columns again, so a layout that needs fewer parts is preferred. Measured on the 2-core
     * Zen 4 machine (C driver, 2 threads, conv2d ResNet-50 shapes): 28x28 128->128 took 1.22 ms with
     * 4-row panels of one 7-vector tile against 1.6-1.8 ms with 4-vector tiles (a second, partial
     * tile per panel); 56x56 64->64 1.2 ms with 7-vector tiles against 1.34-1.59 ms before.
     */
    record Layout(long tileRows, long tileVectors, long panelRows, long channelParts) {
        /** Output channels per tile of v vectors: 14 to 24 accumulators, leaving registers for the loads. */
        static long tileRowsFor(long v) {
            return switch ((int) v) { case 1 -> 12; case 2 -> 8; case 3 -> 6; case 4, 5, 6 -> 4; default -> 3; };
        }

        /** The fewest iterations a parallel loop is given (2 per thread on 2 cores). */
        static final long MIN_ITERATIONS = 4;

        static Layout choose(long n, long f, long oh, long ow, long k, long lanes) {
            Layout best = null;
            double bestCost = Double.MAX_VALUE;
            for (long r = 1; r <= oh; r++) {
                long pixels = r * ow;
                // A panel's packed columns share the L2 with the weights; a panel of one tile's pixels may exceed it.
                if (oh % r != 0 || r * ow * k * 4 > 512 * 1024 && r > 1 && pixels > 4 * lanes) continue;
                for (long v = 2; v <= 7; v++) {
                    long width = v * lanes;
                    long tiles = (pixels + width - 1) / width;
                    long rows = 1;
                    for (long t : TILE_ROWS) if (t <= Math.min(tileRowsFor(v), f)) rows = t;
                    long parts = channelParts(n * (oh / r), f);
                    long iterations = n * (oh / r) * parts;
                    // Lanes computed per useful lane; the idle share of a short odd loop on 2 threads;
                    // 4 % for each extra packing of a panel; a small premium on short panels (loop and
                    // packing overhead per tile).
                    double cost = (double) tiles * width / pixels * (iterations < 16 ? (iterations + 1) / 2 * 2.0 / iterations : 1)
                            * (1 + 0.04 * (parts - 1))
                            + 0.02 * (double) v / Math.min(pixels, 4 * width) + (v == 4 || v == 7 ? 0 : 0.001);
                    if (cost < bestCost - 1e-9 || Math.abs(cost - bestCost) <= 1e-9 && r > best.panelRows()) {
                        bestCost = cost;
                        best = new Layout(rows, v, r, parts);
                    }
                }
            }
            return best;
        }

        /** Channel parts for a loop of {@code panels}: at least MIN_ITERATIONS iterations, an even count when short. */
        private static long channelParts(long panels, long f) {
            long parts = 1;
            while (parts < 8 && f % (parts * 2) == 0
                    && (panels * parts < MIN_ITERATIONS || panels * parts < 4 * MIN_ITERATIONS && panels * parts % 2 == 1)) parts *= 2;
            return parts;
        }
    }

    /** {@code knobs}: the knob space the configuration is taken from; null for the one of the stage's own shape. */
    private void schedule(Schedule s, List<Knob> knobs, Map<String, Long> config) {
        Stage conv = s.stage("conv2d");
        long f = constant(conv.op().axes().get(1).extent()), oh = constant(conv.op().axes().get(2).extent()),
                ow = constant(conv.op().axes().get(3).extent());
        Stage gemm = s.stage("conv2d_gemm"), cols = s.stage("conv2d_cols"), pad = s.stage("conv2d_pad");
        long k = gemm.reduceAxes().stream().mapToLong(a -> constant(a.extent())).reduce(1, (a, b) -> a * b);
        long lanes = Vectors.lanes(conv);
        Expr batch = conv.op().axes().get(0).extent();
        long n = batch instanceof dev.tessera.ir.IntImm i ? i.value() : 1;
        if (knobs == null) knobs = knobs(Layout.choose(n, f, oh, ow, k, lanes), oh);
        Map<String, Long> kn = Knob.resolve(name(), knobs, config);
        long rows = kn.get("tile_rows"), width = kn.get("tile_vectors") * lanes, panelRows = kn.get("panel_rows"), parts = kn.get("channel_parts");

        if (kn.get("layout") == 1) {
            direct(s, kn, lanes);
            return;
        }
        if (kn.get("pad_placement") == 0) {
            pad.computeRoot();
            pad.parallel(pad.fuse("n", "c"));
            pad.vectorize(pad.split("x", lanes).inner());
        } else {
            pad.computeInline();
        }

        // conv2d: n, channel part, panel of rows | channel tile, pixel tile | tile rows, tile pixels
        Stage.Parts part = conv.splitParts("f", parts, dev.tessera.schedule.TailStrategy.GUARD);
        Stage.Parts panel = conv.split("y", panelRows);
        LoopAxis pixels = conv.fuse(panel.inner(), conv.axis("x"));
        Stage.Parts tile = conv.split(pixels, width);
        Stage.Parts channels = conv.split(part.inner(), rows);
        conv.reorder(conv.axis("n"), part.outer(), panel.outer(), channels.outer(), tile.outer(), channels.inner(), tile.inner());
        LoopAxis parallel = conv.fuse(conv.fuse(conv.axis("n"), part.outer()), panel.outer());
        conv.parallel(parallel);
        conv.vectorize(conv.split(tile.inner(), lanes).inner());

        cols.computeAt(conv, parallel);
        cols.vectorize(cols.split("x", lanes).inner());

        if (kn.get("prepack_weight") == 1) {
            Tensor weight = s.inputs().stream().filter(t -> t.name().equals("weight")).findFirst().orElseThrow();
            s.prepackPanels(weight, 0, rows).parallel("i0.outer");
        }

        gemm.computeAt(conv, tile.outer());
        Stage.Parts gp = gemm.split("p", lanes, dev.tessera.schedule.TailStrategy.ROUND_UP);
        gemm.reorder("n", "rc", "ry", "rx", "f", gp.outer().name(), gp.inner().name());
        gemm.unroll("rx");
        gemm.unroll("f");
        gemm.unroll(gp.outer());
        gemm.vectorize(gp.inner());
    }

    /**
     * The direct layout: register tiles of {@code tile_rows} pixels of one output row by
     * {@code tile_vectors} vectors of output channels, accumulating over (ry, rx, rc) from the padded
     * input itself (no column panels: each pixel's input is one broadcast) and from weights laid out
     * with 16 consecutive output channels contiguous (prepacked, or copied so on every call). No lane
     * idles on a 7x7 or 14x14 image. The parallel loop runs over channel tiles and panels of
     * {@code panel_rows} output rows, channel tiles outermost so a thread's consecutive iterations
     * share weights. Ignores channel_parts and pad_placement (the padding is its own pass).
     */
    private static void direct(Schedule s, Map<String, Long> kn, long lanes) {
        Stage conv = s.stage("conv2d"), gemm = s.stage("conv2d_gemm");
        Stage pad = s.stage("conv2d_pad");
        pad.computeRoot();
        pad.parallel(pad.fuse("n", "c"));
        pad.vectorize(pad.split("x", lanes).inner());
        s.stage("conv2d_cols").computeInline();

        // conv2d: n, channel tile, panel of rows | rows of the panel, pixel tile | tile channels, tile pixels (the copy-out)
        Stage.Parts channels = conv.split("f", kn.get("tile_vectors") * lanes);
        Stage.Parts panel = conv.split("y", kn.get("panel_rows"));
        Stage.Parts tile = conv.split("x", kn.get("tile_rows"));
        conv.reorder(conv.axis("n"), channels.outer(), panel.outer(), panel.inner(), tile.outer(), channels.inner(), tile.inner());
        conv.parallel(conv.fuse(conv.fuse(conv.axis("n"), channels.outer()), panel.outer()));
        conv.unroll(tile.inner());

        Tensor weight = s.inputs().stream().filter(t -> t.name().equals("weight")).findFirst().orElseThrow();
        if (kn.get("prepack_weight") == 1) {
            s.prepackPanels(weight, 0, lanes).parallel("i0.outer");
        } else {
            // Each call copies the weights to [C, KH, KW, F]: 16 consecutive output channels are then one vector too.
            Stage copy = s.cacheRead(weight, gemm);
            copy.computeRoot();
            copy.reorderStorage("i1", "i2", "i3", "i0");
            copy.reorder("i1", "i2", "i3", "i0");
            copy.parallel("i1");
        }

        // The accumulators: one vector of output channels per (channel vector, pixel), pixel-major so each is dense.
        gemm.computeAt(conv, tile.outer());
        Stage.Parts vectors = gemm.split("f", lanes);
        // Pixels outside channel vectors: each pixel's broadcast is used up at once, so only the weight
        // vectors stay live beside the accumulators (channel vectors outside kept every broadcast live:
        // 22 stack accesses per step at 14 pixels x 2 vectors, none this way).
        gemm.reorder("n", "ry", "rx", "rc", "p", vectors.outer().name(), vectors.inner().name());
        gemm.unroll(vectors.outer());
        gemm.unroll("p");
        gemm.vectorize(vectors.inner());
        gemm.reorderStorage("n", "p", "f");
    }

    private static long constant(Expr e) {
        if (e instanceof dev.tessera.ir.IntImm i) return i.value();
        throw new IllegalStateException("conv2d: expected a constant extent, got " + e);
    }

    @Override public double flops(long[] a) { return 2.0 * ConvShape.of(a).macs(); }

    @Override public double bytes(long[] a) {
        ConvShape s = ConvShape.of(a);
        return 4.0 * ((double) s.n() * s.c() * s.h() * s.w() + (double) s.f() * s.channelsPerGroup() * s.kh() * s.kw()
                + (double) s.n() * s.f() * s.oh() * s.ow());
    }
}
