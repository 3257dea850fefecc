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
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The 3x3, stride-1 convolution of {@link Conv2dOp} (NCHW, f32, zero padding, same shape
 * arguments and output) computed by Winograd's minimal filtering F(m x m, 3 x 3) (Lavin and Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016; TVM's {@code conv2d_winograd}): each
 * m x m block of output pixels is {@code A^T [(G g G^T) .* (B^T d B)] A} for the (m+2) x (m+2)
 * input tile d around it, so a block costs (m+2)^2 multiply-adds per input channel where the direct
 * convolution costs 9 m^2: 16 against 36 for F(2x2, 3x3), the default, and 36 against 144 for
 * F(4x4, 3x3) (attribute {@code output_tile=4}). With a = m + 2, the stages:
 * <ul>
 *   <li>{@code conv2d_winograd_pad}: the zero-padded input, rounded up to whole tiles;</li>
 *   <li>{@code conv2d_winograd_weight} U[e, u, c, f] (a x a x C x F): the transformed filters
 *       G g G^T, a function of the weights alone (prepackable: computed once ahead of calls);</li>
 *   <li>{@code conv2d_winograd_data} V[n, e, u, p, c]: the transformed input tiles B^T d B, p the
 *       tile (row-major over the output's tiles);</li>
 *   <li>{@code conv2d_winograd_gemm} M[n, e, u, p, f] = sum over c of V[n, e, u, p, c] U[e, u, c, f]:
 *       a^2 matrix products, one per (e, u);</li>
 *   <li>{@code conv2d_winograd}: the output, A^T M A of the output pixel's tile.</li>
 * </ul>
 * The transforms are written out as sums of the tile's elements with the matrices' nonzero
 * coefficients, chosen by a select over the transform indices (constant once those loops are
 * unrolled, when the select folds away). Results differ from the direct convolution by rounding;
 * F(4x4, 3x3)'s larger coefficients round more. Work is reported as the direct convolution's
 * ({@link #flops}), so its rate is comparable with conv2d's.
 */
public final class Conv2dWinogradOp implements Operator {
    /** The kernel size the transforms are for. */
    static final int R = 3;

    /**
     * One of Lavin and Gray's transforms F(m x m, 3 x 3): {@code bt} B^T (input tile to transformed
     * tile), {@code g} G (filter to transformed filter), {@code at} A^T (transformed product to the
     * m x m output block); the tile side is m + 2.
     */
    record Transform(int m, double[][] bt, double[][] g, double[][] at) {
        int alpha() { return m + R - 1; }
    }

    /** F(2x2, 3x3): coefficients 0, +-1 and 1/2, so the result differs from the direct convolution by little more than its own rounding. */
    static final Transform F2 = new Transform(2,
            new double[][] {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
            new double[][] {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
            new double[][] {{1, 1, 1, 0}, {0, 1, -1, -1}});

    /** F(4x4, 3x3): 36 multiply-adds per 4x4 block and input channel (direct: 144); coefficients up to 8 and 1/24, so a larger rounding error. */
    static final Transform F4 = new Transform(4,
            new double[][] {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0}, {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0},
                    {0, 4, 0, -5, 0, 1}},
            new double[][] {{1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                    {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}},
            new double[][] {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}});

    private static final List<Attribute> ATTRIBUTES = List.of(new Attribute("output_tile", List.of("2", "4"),
            "output pixels per side of a Winograd tile: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3) (fewer multiplications, more rounding)"));

    private final Transform transform;

    public Conv2dWinogradOp() { this(F2); }

    private Conv2dWinogradOp(Transform transform) { this.transform = transform; }

    @Override public List<Attribute> attributes() { return ATTRIBUTES; }
    @Override public Map<String, String> attributeValues() { return Map.of("output_tile", String.valueOf(transform.m())); }

    @Override public Operator withAttributes(Map<String, String> values) {
        return new Conv2dWinogradOp(Attribute.resolve(this, values).get("output_tile").equals("4") ? F4 : F2);
    }

    @Override public String name() { return "conv2d_winograd"; }
    @Override public String shapeHelp() { return "N,C,H,W,F,KH,KW,stride,pad,dilation,groups"; }
    @Override public List<String> defaultShapes() { return List.of("1,256,14,14,256,3,3,1,1", "1,64,56,56,64,3,3,1,1"); }
    @Override public List<String> testShapes() { return List.of("1,3,7,6,4,3,3,1,1", "2,5,6,6,7,3,3,1,0", "1,17,9,5,18,3,3,1,2"); }

    /** Its five stages compile slowly under schedules that leave the transforms' selects unfolded: 100 random schedules (about 1.5 minutes). */
    @Override public int differentialSchedules() { return 100; }

    /** Conv2d's shape rules, and a 3x3 kernel with stride 1, dilation 1 and one group: the shapes F(m x m, 3x3) computes. */
    @Override public long[] checkShape(long[] args) {
        long[] full = ConvShape.checkConv(this, args);
        ConvShape s = ConvShape.of(full);
        if (s.kh() != R || s.kw() != R || s.stride() != 1 || s.dilation() != 1 || s.groups() != 1)
            throw new TesseraUserError(name() + " computes 3x3 kernels with stride 1, dilation 1 and groups 1 (Winograd F(" + transform.m() + "x"
                    + transform.m() + ", 3x3)); got a "
                    + s.kh() + "x" + s.kw() + " kernel, stride " + s.stride() + ", dilation " + s.dilation() + ", groups " + s.groups()
                    + ": use conv2d for this shape");
        return full;
    }

    @Override public OperatorInstance define(long[] args, boolean symbolic) {
        ConvShape s = ConvShape.of(args);
        int m = transform.m(), alpha = transform.alpha();
        Expr n = ShapeArgs.leading("N", s.n(), symbolic);
        long c = s.c(), f = s.f(), h = s.h(), w = s.w(), pad = s.pad(), oh = s.oh(), ow = s.ow();
        long th = ceilDiv(oh, m), tw = ceilDiv(ow, m), tiles = th * tw;
        Tensor input = Te.placeholder("input", DType.F32, n, Te.c(c), Te.c(h), Te.c(w));
        Tensor weight = Te.placeholder("weight", DType.F32, f, c, R, R);
        // Padded to whole tiles: the last tile row and column may reach past the padded input.
        Tensor padded = Te.compute("conv2d_winograd_pad", List.of(n, Te.c(c), Te.c(th * m + R - 1), Te.c(tw * m + R - 1)),
                List.of("n", "c", "y", "x"), v -> {
                    Expr y = v.get(2), x = v.get(3);
                    Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
                    return Te.select(inside, input.at(v.get(0), v.get(1), y.sub(pad), x.sub(pad)), 0.0);
                });
        Tensor filters = Te.compute("conv2d_winograd_weight", List.of(Te.c(alpha), Te.c(alpha), Te.c(c), Te.c(f)), List.of("e", "u", "c", "f"),
                v -> transformElement(v.get(0), v.get(1), transform.g(), (ky, kx) -> weight.at(v.get(3), v.get(2), Te.c(ky), Te.c(kx))));
        Tensor data = Te.compute("conv2d_winograd_data", List.of(n, Te.c(alpha), Te.c(alpha), Te.c(tiles), Te.c(c)), List.of("n", "e", "u", "p", "c"),
                v -> {
                    Expr y0 = v.get(3).div(Te.c(tw)).mul(m), x0 = v.get(3).mod(Te.c(tw)).mul(m);
                    return transformElement(v.get(1), v.get(2), transform.bt(), (r, q) -> padded.at(v.get(0), v.get(4), y0.add(Te.c(r)), x0.add(Te.c(q))));
                });
        Axis rc = Te.reduceAxis("rc", c);
        Tensor products = Te.compute("conv2d_winograd_gemm", List.of(n, Te.c(alpha), Te.c(alpha), Te.c(tiles), Te.c(f)), List.of("n", "e", "u", "p", "f"),
                v -> Te.sum(data.at(v.get(0), v.get(1), v.get(2), v.get(3), rc.var()).mul(filters.at(v.get(1), v.get(2), rc.var(), v.get(4))), rc));
        Tensor out = Te.compute("conv2d_winograd", List.of(n, Te.c(f), Te.c(oh), Te.c(ow)), List.of("n", "f", "y", "x"), v -> {
            Expr y = v.get(2), x = v.get(3);
            Expr tile = y.div(Te.c(m)).mul(Te.c(tw)).add(x.div(Te.c(m)));
            return transformElement(y.mod(m), x.mod(m), transform.at(), (e, u) -> products.at(v.get(0), Te.c(e), Te.c(u), tile, v.get(1)));
        });
        return new OperatorInstance(List.of(input, weight), List.of(out), symbolic ? ShapeArgs.symbolicArgs(args) : args);
    }

    /**
     * Element (i, j) of {@code L X L^T} for the matrix X whose element (r, s) is {@code x(r, s)}:
     * the sum of {@code L[i][r] L[j][s] x(r, s)} over the nonzero coefficients, as a select over the
     * values of i and j (which fold away once i and j are constants).
     */
    private static Expr transformElement(Expr i, Expr j, double[][] l, BiFunction<Integer, Integer, Expr> x) {
        Expr result = null;
        for (int a = l.length - 1; a >= 0; a--) {
            Expr row = null;
            for (int b = l.length - 1; b >= 0; b--) {
                Expr element = null;
                for (int r = 0; r < l[a].length; r++)
                    for (int q = 0; q < l[b].length; q++) {
                        int ri = r, qi = q;
                        element = plus(element, l[a][r] * l[b][q], () -> x.apply(ri, qi));
                    }
                if (element == null) element = Te.f32(0);
                row = row == null ? element : Te.select(j.eq(Te.c(b)), element, row);
            }
            result = result == null ? row : Te.select(i.eq(Te.c(a)), row, result);
        }
        return result;
    }

    /** {@code sum + k * term}, without the multiply for k = +-1 and without the term for k = 0. */
    private static Expr plus(Expr sum, double k, java.util.function.Supplier<Expr> term) {
        if (k == 0) return sum;
        Expr t = term.get();
        if (sum == null) return k == 1 ? t : t.mul(k);
        if (k == 1) return sum.add(t);
        if (k == -1) return sum.sub(t);
        return sum.add(t.mul(k));
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /**
     * Register tiles of {@code tile_rows} tiles of a tile row by {@code tile_vectors} vectors of
     * output channels: the products of all a^2 (e, u) for them accumulate over the input
     * channels one (e, u) at a time (a tile's V rows broadcast, U rows as vectors), into a buffer
     * small enough for L1 that the output transform then reads (the products never go to memory
     * whole). The padded input is stored channels-last, so the input transform reads vectors of
     * channels; the parallel loop runs over channel tiles and tile rows.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, null, Map.of()); }

    /**
     * {@code tile_rows}: output tiles (m x m pixel blocks) of one tile row per register tile;
     * {@code tile_vectors}: output channels per register tile in vectors; {@code prepack_weight}: 1
     * computes the transformed weights once, ahead of calls (off by default: a plain call transforms
     * them every time).
     */
    @Override public List<Knob> knobs(long[] shapeArgs) {
        ConvShape c = ConvShape.of(shapeArgs);
        long tw = ceilDiv(c.ow(), transform.m());
        return knobs(defaultTileRows(tw), defaultTileVectors(defaultTileRows(tw), c.f()));
    }

    /** Vectors of channels per register tile: the most of 4, 2, 1 that divide the channel vectors, with at most 28 accumulators. */
    static long defaultTileVectors(long rows, long f) {
        long channelVectors = ceilDiv(f, 16);
        for (long v : new long[] {4, 2}) if (channelVectors % v == 0 && rows * v <= 28) return v;
        return 1;
    }

    private static List<Knob> knobs(long rows, long vectors) {
        return List.of(
                new Knob("tile_rows", List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), rows),
                new Knob("tile_vectors", List.of(1L, 2L, 3L, 4L, 5L, 6L), vectors),
                new Knob("prepack_weight", List.of(0L, 1L), 0));
    }

    /** Tiles per register tile: the divisor of the tile row nearest 7, at most 8 (7 tiles by 2 or 4 vectors: 14 or 28 accumulators). */
    static long defaultTileRows(long tw) {
        long best = 1;
        for (long r = 1; r <= 8; r++) if (tw % r == 0 && Math.abs(r - 7) <= Math.abs(best - 7)) best = r;
        return best == 1 && tw > 1 ? Math.min(tw, 7) : best;
    }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, knobs(shapeArgs), config); }

    private void schedule(Schedule s, List<Knob> knobs, Map<String, Long> config) {
        Stage out = s.stage("conv2d_winograd");
        long lanes = Vectors.lanes(out);
        if (knobs == null) {
            long f = dev.tessera.ir.Exprs.constInt(out.op().axes().get(1).extent()), ow = dev.tessera.ir.Exprs.constInt(out.op().axes().get(3).extent());
            long rows = defaultTileRows(ceilDiv(ow, transform.m()));
            knobs = knobs(rows, defaultTileVectors(rows, f));
        }
        Map<String, Long> kn = Knob.resolve(name(), knobs, config);

        Stage pad = s.stage("conv2d_winograd_pad");
        pad.reorderStorage("n", "y", "x", "c");
        pad.reorder("n", "y", "x", "c");
        pad.parallel(pad.fuse("n", "y"));
        pad.vectorize(pad.split("c", lanes).inner());

        // Each vector of 16 filters' 3x3 windows is loaded once for all (e, u) (gathers: the filters lie C*9 apart).
        Stage filters = s.stage("conv2d_winograd_weight");
        Stage.Parts filterVectors = filters.split("f", lanes);
        filters.reorder(filters.axis("c"), filterVectors.outer(), filters.axis("e"), filters.axis("u"), filterVectors.inner());
        filters.parallel("c");
        filters.unroll("e");
        filters.unroll("u");
        filters.vectorize(filterVectors.inner());
        if (kn.get("prepack_weight") == 1) s.prepack(filters);

        Stage data = s.stage("conv2d_winograd_data");
        Stage.Parts channel = data.split("c", lanes);
        data.reorder(data.axis("n"), data.axis("p"), channel.outer(), data.axis("e"), data.axis("u"), channel.inner());
        data.parallel(data.fuse("n", "p"));
        data.unroll("e");
        data.unroll("u");
        data.vectorize(channel.inner());

        // conv2d_winograd: n, channel tile, tile row | tile of the row | its tiles, m x m block, channels of the tile
        Stage.Parts channels = out.split("f", kn.get("tile_vectors") * lanes);
        Stage.Parts rows = out.split("y", transform.m()), cols = out.split("x", transform.m());
        Stage.Parts tile = out.split(cols.outer(), kn.get("tile_rows"));
        Stage.Parts vectors = out.split(channels.inner(), lanes);
        out.reorder(out.axis("n"), channels.outer(), rows.outer(), tile.outer(), tile.inner(), rows.inner(), cols.inner(), vectors.outer(), vectors.inner());
        out.parallel(out.fuse(out.fuse(out.axis("n"), channels.outer()), rows.outer()));
        out.unroll(rows.inner());
        out.unroll(cols.inner());
        out.unroll(vectors.outer());
        out.vectorize(vectors.inner());

        Stage gemm = s.stage("conv2d_winograd_gemm");
        gemm.computeAt(out, tile.outer());
        Stage.Parts gv = gemm.split("f", lanes);
        gemm.reorder("n", "e", "u", "rc", "p", gv.outer().name(), gv.inner().name());
        gemm.unroll("p");
        gemm.unroll(gv.outer());
        gemm.vectorize(gv.inner());
    }

    /** The direct convolution's work (2 x its multiply-adds), so that rates compare with conv2d's; conv2d's traffic. */
    @Override public double flops(long[] a) { return new Conv2dOp().flops(a); }

    @Override public double bytes(long[] a) { return new Conv2dOp().bytes(a); }
}
