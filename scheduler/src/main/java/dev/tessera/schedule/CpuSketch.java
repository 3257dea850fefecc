package dev.tessera.schedule;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The sketch of a CPU schedule for any compute definition, after Ansor (Zheng et al., OSDI 2020):
 * rules read the dataflow graph once and fix the structure of every stage; a point of the sketch
 * is a map of parameters (tile sizes, loop orders, annotations, placements) that {@link #apply}
 * turns into a schedule made of primitive steps only. The rules, applied to each stage:
 *
 * <ul>
 * <li><b>Multi-level tiling with fusion</b>, for a reduction with data reuse (an input indexed
 *     without one of its spatial variables, as in matmul or convolution). Its consumer C is the
 *     elementwise stage that reads it at the same indices (through elementwise stages in between,
 *     which are inlined), or, when there is none, the stage itself after {@code cache_write} (the
 *     reduction then accumulates in {@code <stage>.local}). Each spatial axis of C is split into
 *     levels S0, S1 and a tile; C's loops run S0 (in a chosen order), S1 (likewise), then the tile;
 *     the leading loops are fused and {@code parallel}; the tile's last loop, contiguous in the
 *     output, is vectorized. The reduction is computed at the innermost S1 loop, so it covers one
 *     tile, which it splits into S2 and a register tile S3, its reduction axes into R0 and R1,
 *     ordered R0 S2 R1 S3 (Ansor's "SSRSRS" with the first two levels in C); the register tile's
 *     last axis is vectorized and its other loops unrolled, the innermost R1 loop optionally
 *     unrolled. An input the reduction reuses may be packed ({@code cache_read} computed at one of
 *     C's loops, its rows vectorized).</li>
 * <li><b>Elementwise stages</b> that are not outputs are inlined, computed at root, or computed at
 *     a loop of their consumer.</li>
 * <li><b>Other reductions</b> (no reuse) keep their loops with the outer spatial ones fused and
 *     parallel; the last spatial axis may be vectorized with the reduction loops moved outside it,
 *     or, when the innermost reduction axis is long, it may be factored ({@code rfactor}) into
 *     vector-wide partial results.</li>
 * <li><b>Everything else</b> at root: outer loops fused and parallel, the last loop vectorized.</li>
 * </ul>
 *
 * Tile sizes are sampled as exact factorizations of each extent (no tails); the first register
 * tile keeps its accumulators within the vector register file. Mutations move a prime factor
 * between two levels of one axis (the product stays the extent), re-split a reduction axis, change
 * a loop order, the parallel fusion depth, an unroll, a pack or its location, or a placement.
 */
public final class CpuSketch {
    /** The parameter that marks a map as a point of a sketch (its value is the sketch version). */
    public static final String MARK = "sketch";
    private static final long VERSION = 1;

    private final List<Tensor> outputs;
    private final int vectorBytes, registers, cores;
    private final List<Rule> rules = new ArrayList<>();
    private final Set<String> forcedInline = new java.util.LinkedHashSet<>();

    private sealed interface Rule permits Tiled, Placed, Reduction, Plain {
        String stage();
    }

    /**
     * Multi-level tiling of {@code producer} (after cache_write when {@code cacheWrite}) inside its
     * elementwise {@code consumer}; extents per spatial axis (null when not constant), the
     * reduction axes' extents, and the inputs the producer reuses.
     */
    private record Tiled(String producer, String consumer, boolean cacheWrite, List<String> spatial, List<Long> extents,
                         List<String> reduce, List<Long> reduceExtents, List<String> reused, int lanes) implements Rule {
        @Override public String stage() { return consumer; }
    }

    /** A non-output elementwise stage: inlined (when it has one output), at root, or at a loop of its consumer. */
    private record Placed(String stage, boolean inlinable, int lanes) implements Rule {}

    /**
     * A reduction without data reuse; {@code lastReduce} is its innermost reduction axis's extent,
     * {@code points} the number of its spatial points (null when not constant).
     */
    private record Reduction(String stage, int spatialAxes, Long lastSpatial, Long lastReduce, Long points, int lanes) implements Rule {}

    /** Any other stage, at root. */
    private record Plain(String stage, int spatialAxes, Long lastSpatial, int lanes) implements Rule {}

    private CpuSketch(List<Tensor> outputs, int vectorBits, int cores) {
        this.outputs = List.copyOf(outputs);
        this.cores = Math.max(1, cores);
        this.vectorBytes = Math.max(1, vectorBits / 8);
        this.registers = vectorBits >= 512 ? 32 : 16;
        derive(Schedule.create(outputs));
    }

    /**
     * The sketch of a definition for a CPU whose widest vector has {@code vectorBits} bits and that
     * runs {@code cores} threads: a parallel loop fuses at least as many outer loops as it takes to
     * give every core an iteration, where the extents allow.
     */
    public static CpuSketch of(List<Tensor> outputs, int vectorBits, int cores) { return new CpuSketch(outputs, vectorBits, cores); }

    // ---- sketch generation: one rule per stage ----

    private void derive(Schedule s) {
        Set<String> claimed = new HashSet<>();
        List<Stage> stages = s.stages();
        for (Stage p : stages) {
            if (!p.isReduction() || claimed.contains(p.name()) || !hasDataReuse(p)) continue;
            List<Stage> chain = fusibleChain(s, p);
            // A consumer already fused with another reduction (c = a + b of two products) keeps that one; this one accumulates locally.
            if (chain.stream().anyMatch(x -> claimed.contains(x.name()))) chain = List.of();
            boolean cacheWrite = chain.isEmpty();
            Stage c = cacheWrite ? p : chain.get(chain.size() - 1);
            for (int i = 0; i < chain.size() - 1; i++) {
                forcedInline.add(chain.get(i).name());
                claimed.add(chain.get(i).name());
            }
            List<String> spatial = new ArrayList<>(), reduce = new ArrayList<>();
            List<Long> extents = new ArrayList<>(), reduceExtents = new ArrayList<>();
            for (Axis a : p.op().axes()) {
                spatial.add(a.name());
                extents.add(Exprs.constInt(a.extent()));
            }
            for (Axis a : p.reduceAxes()) {
                reduce.add(a.name());
                reduceExtents.add(Exprs.constInt(a.extent()));
            }
            String producer = cacheWrite ? p.name() + ".local" : p.name();
            rules.add(new Tiled(producer, c.name(), cacheWrite, spatial, extents, reduce, reduceExtents, reusedInputs(p), lanes(c)));
            claimed.add(p.name());
            claimed.add(c.name());
        }
        for (Stage st : stages) {
            if (claimed.contains(st.name())) continue;
            List<Axis> axes = st.op().axes();
            Long lastSpatial = axes.isEmpty() ? null : Exprs.constInt(axes.get(axes.size() - 1).extent());
            if (!st.isOutput() && !st.isReduction()) {
                rules.add(new Placed(st.name(), st.op().outputs().size() == 1, lanes(st)));
            } else if (st.isReduction()) {
                List<Axis> red = st.reduceAxes();
                Long points = 1L;
                for (Axis a : axes) points = points == null || Exprs.constInt(a.extent()) == null ? null : points * Exprs.constInt(a.extent());
                rules.add(new Reduction(st.name(), axes.size(), lastSpatial, Exprs.constInt(red.get(red.size() - 1).extent()), points, lanes(st)));
            } else {
                rules.add(new Plain(st.name(), axes.size(), lastSpatial, lanes(st)));
            }
        }
    }

    private int lanes(Stage st) {
        int bytes = st.op().outputs().get(0).dtype().bytes();
        return Math.max(1, vectorBytes / Math.max(1, bytes));
    }

    /** Whether some input read by the reduction is indexed without one of its spatial variables (each element is used many times). */
    private static boolean hasDataReuse(Stage p) {
        Set<Var> spatial = new HashSet<>();
        for (Axis a : p.op().axes()) spatial.add(a.var());
        if (spatial.isEmpty()) return false;
        for (TensorRead r : reads(p)) {
            Set<Var> used = new HashSet<>();
            for (Expr i : r.indices()) used.addAll(Exprs.vars(i));
            if (!used.containsAll(spatial)) return true;
        }
        return false;
    }

    private static List<String> reusedInputs(Stage p) {
        Set<Var> spatial = new HashSet<>();
        for (Axis a : p.op().axes()) spatial.add(a.var());
        List<String> out = new ArrayList<>();
        for (TensorRead r : reads(p)) {
            Set<Var> used = new HashSet<>();
            for (Expr i : r.indices()) used.addAll(Exprs.vars(i));
            if (!used.containsAll(spatial) && !out.contains(r.tensor().name())) out.add(r.tensor().name());
        }
        return out;
    }

    private static List<TensorRead> reads(Stage st) {
        List<TensorRead> out = new ArrayList<>();
        for (Expr b : st.bodies())
            new ExprVisitor() {
                @Override public void visit(Expr e) {
                    if (e instanceof TensorRead tr) out.add(tr);
                    visitChildren(e);
                }
            }.visit(b);
        return out;
    }

    /**
     * The elementwise stages from {@code p} to the consumer its tile can be fused into: each is the
     * only reader of the previous one, reads it only at its own spatial indices over the same
     * extents, and all but the last are inlinable. Empty when {@code p} has no such consumer.
     */
    private static List<Stage> fusibleChain(Schedule s, Stage p) {
        List<Stage> chain = new ArrayList<>();
        Stage prev = p;
        while (true) {
            List<Stage> readers = s.readers(prev);
            if (readers.size() != 1 || prev.isOutput()) break;
            Stage x = readers.get(0);
            if (x.isReduction() || !readsAtOwnIndices(x, prev)) break;
            chain.add(x);
            if (x.isOutput() || x.op().outputs().size() != 1) break;
            prev = x;
        }
        // The last stage is the one that stays stored; the chain must end on a stage that is not inlined away.
        return chain;
    }

    private static boolean readsAtOwnIndices(Stage reader, Stage producer) {
        List<Axis> axes = reader.op().axes(), pAxes = producer.op().axes();
        if (axes.size() != pAxes.size()) return false;
        for (int d = 0; d < axes.size(); d++) {
            Long a = Exprs.constInt(axes.get(d).extent()), b = Exprs.constInt(pAxes.get(d).extent());
            if (a == null || !a.equals(b)) return false;
        }
        boolean any = false;
        for (TensorRead r : reads(reader)) {
            if (r.tensor().op() != producer.op()) continue;
            any = true;
            for (int d = 0; d < axes.size(); d++) if (r.indices().get(d) != axes.get(d).var()) return false;
        }
        return any;
    }

    // ---- parameters ----

    /** A random point: every rule's parameters sampled (Ansor's random annotation). */
    public Map<String, Long> sample(Random rnd) {
        Map<String, Long> p = new TreeMap<>();
        p.put(MARK, VERSION);
        for (Rule r : rules) {
            switch (r) {
                case Tiled t -> sampleTiled(t, p, rnd);
                case Placed pl -> {
                    p.put(pl.stage() + ":place", samplePlace(pl, rnd));
                    p.put(pl.stage() + ":parallel", 1L + rnd.nextInt(2));
                }
                case Reduction red -> {
                    p.put(red.stage() + ":parallel", (long) (1 + rnd.nextInt(Math.max(1, red.spatialAxes()))));
                    p.put(red.stage() + ":vectorize", (long) rnd.nextInt(2));
                    // rfactor mostly where the spatial points alone give little parallelism or few vectors
                    boolean few = red.points() != null && red.points() < 64L * red.lanes();
                    p.put(red.stage() + ":rfactor", canRfactor(red) && rnd.nextInt(10) < (few ? 8 : 3) ? (long) red.lanes() * (1 + rnd.nextInt(2)) : 0L);
                }
                case Plain pl -> p.put(pl.stage() + ":parallel", (long) (1 + rnd.nextInt(Math.max(1, pl.spatialAxes()))));
            }
        }
        return p;
    }

    private void sampleTiled(Tiled t, Map<String, Long> p, Random rnd) {
        int n = t.spatial().size(), last = n - 1;
        long[] reg = new long[n];
        // Register tiles whose accumulators fit the vector registers (a few left for operands).
        int budget = Math.max(1, registers - 4);
        for (int attempt = 0; attempt < 50; attempt++) {
            long vectors = 1;
            for (int d = 0; d < n; d++) {
                Long e = t.extents().get(d);
                if (e == null) { reg[d] = 1; continue; }
                if (d == last) {
                    List<Long> wide = new ArrayList<>();
                    for (long v = 1; v <= 4; v++) if (e % (v * t.lanes()) == 0) wide.add(v * t.lanes());
                    reg[d] = !wide.isEmpty() ? wide.get(rnd.nextInt(wide.size())) : pick(divisors(e, 4L * t.lanes()), rnd);
                    vectors *= (reg[d] + t.lanes() - 1) / t.lanes();
                } else {
                    reg[d] = pick(divisors(e, 16), rnd);
                    vectors *= reg[d];
                }
            }
            // A prior towards register tiles that use a good part of the register file.
            if (vectors <= budget && (3 * vectors >= budget || attempt >= 20 || rnd.nextInt(5) == 0)) break;
            if (attempt == 49) java.util.Arrays.fill(reg, 1);
        }
        for (int d = 0; d < n; d++) {
            Long e = t.extents().get(d);
            String key = t.producer() + ":" + t.spatial().get(d);
            if (e == null) {
                putLevels(p, key, 1, 1, 1, 1);
                continue;
            }
            long rest = e / reg[d];
            long s2 = rnd.nextInt(10) < 7 ? 1 : pick(divisors(rest, 16), rnd);
            rest /= s2;
            long s1 = pick(divisors(rest, rest), rnd);
            putLevels(p, key, rest / s1, s1, s2, reg[d]);
        }
        for (int e = 0; e < t.reduce().size(); e++) {
            Long ext = t.reduceExtents().get(e);
            p.put(t.producer() + ":" + t.reduce().get(e) + ":R1", ext == null || rnd.nextBoolean() ? 1L : pick(divisors(ext, 16), rnd));
        }
        p.put(t.consumer() + ":order0", (long) rnd.nextInt((int) Math.min(Integer.MAX_VALUE, factorial(n))));
        p.put(t.consumer() + ":order1", (long) rnd.nextInt((int) Math.min(Integer.MAX_VALUE, factorial(n))));
        p.put(t.consumer() + ":parallel", (long) (rnd.nextInt(4) == 0 ? n + 1 + rnd.nextInt(Math.max(1, n)) : 1 + rnd.nextInt(Math.max(1, n))));
        p.put(t.producer() + ":unroll", (long) rnd.nextInt(2));
        for (String in : t.reused()) p.put(t.producer() + ":pack:" + in, rnd.nextBoolean() ? 0L : 1 + rnd.nextInt(2 * n));
    }

    private static void putLevels(Map<String, Long> p, String key, long s0, long s1, long s2, long s3) {
        p.put(key + ":S0", s0);
        p.put(key + ":S1", s1);
        p.put(key + ":S2", s2);
        p.put(key + ":S3", s3);
    }

    /** 0 inline, 1 root, 2 + L at the L-th legal loop of a consumer (outermost first). */
    private static long samplePlace(Placed pl, Random rnd) {
        int kind = pl.inlinable() ? pickWeighted(rnd, 6, 2, 2) : 1 + rnd.nextInt(2);
        return kind < 2 ? kind : 2 + rnd.nextInt(6);
    }

    private static boolean canRfactor(Reduction r) { return r.lastReduce() != null && r.lastReduce() >= 2L * r.lanes() && r.lanes() > 1; }

    /** Whether a parameter map is a point of a sketch (rather than, say, a template's knobs). */
    public static boolean isPoint(Map<String, Long> params) { return params.containsKey(MARK); }

    /**
     * A point near {@code params}: usually one tile factor moved between two levels of an axis,
     * else one order, fusion depth, unroll, pack, placement or reduction choice changed.
     */
    public Map<String, Long> mutate(Map<String, Long> params, Random rnd) {
        Map<String, Long> p = new TreeMap<>(params);
        List<String> levels = new ArrayList<>(), others = new ArrayList<>();
        for (String k : p.keySet()) {
            if (k.endsWith(":S0")) levels.add(k.substring(0, k.length() - 3));
            else if (!k.equals(MARK) && !k.endsWith(":S1") && !k.endsWith(":S2") && !k.endsWith(":S3")) others.add(k);
        }
        levels.removeIf(k -> p.get(k + ":S0") * p.get(k + ":S1") * p.get(k + ":S2") * p.get(k + ":S3") <= 1);
        if (!levels.isEmpty() && (others.isEmpty() || rnd.nextInt(10) < 6)) {
            String axis = levels.get(rnd.nextInt(levels.size()));
            List<Integer> from = new ArrayList<>();
            for (int l = 0; l < 4; l++) if (p.get(axis + ":S" + l) > 1) from.add(l);
            int a = from.get(rnd.nextInt(from.size())), b = rnd.nextInt(3);
            if (b >= a) b++;
            long fa = p.get(axis + ":S" + a);
            List<Long> primes = primeFactors(fa);
            long q = primes.get(rnd.nextInt(primes.size()));
            p.put(axis + ":S" + a, fa / q);
            p.put(axis + ":S" + b, p.get(axis + ":S" + b) * q);
            return p;
        }
        if (others.isEmpty()) return p;
        String k = others.get(rnd.nextInt(others.size()));
        long v = p.get(k);
        if (k.endsWith(":order0") || k.endsWith(":order1")) {
            p.put(k, (long) rnd.nextInt(1 << 16));
        } else if (k.endsWith(":parallel")) {
            p.put(k, Math.max(1, v + (rnd.nextBoolean() ? 1 : -1)));
        } else if (k.endsWith(":unroll") || k.endsWith(":vectorize")) {
            p.put(k, 1 - v);
        } else if (k.contains(":pack:")) {
            p.put(k, v == 0 ? 1L + rnd.nextInt(4) : rnd.nextBoolean() ? 0L : Math.max(1, v + (rnd.nextBoolean() ? 1 : -1)));
        } else if (k.endsWith(":place")) {
            Placed pl = (Placed) ruleOf(k).orElseThrow();
            long next = samplePlace(pl, rnd);
            // an at-level placement mostly moves one loop in or out
            if (v >= 2 && rnd.nextBoolean()) next = Math.max(2, v + (rnd.nextBoolean() ? 1 : -1));
            p.put(k, next);
        } else if (k.endsWith(":R1")) {
            Long ext = reduceExtent(k);
            p.put(k, ext == null ? 1L : pick(divisors(ext, 16), rnd));
        } else if (k.endsWith(":rfactor")) {
            Rule r = ruleOf(k).orElse(null);
            p.put(k, v != 0 || !(r instanceof Reduction red) || !canRfactor(red) ? 0L : (long) red.lanes() * (1 + rnd.nextInt(2)));
        }
        return p;
    }

    private java.util.Optional<Rule> ruleOf(String key) {
        String stage = key.substring(0, key.indexOf(':'));
        return rules.stream().filter(r -> r.stage().equals(stage)).findFirst();
    }

    private Long reduceExtent(String key) {
        for (Rule r : rules)
            if (r instanceof Tiled t)
                for (int e = 0; e < t.reduce().size(); e++)
                    if (key.equals(t.producer() + ":" + t.reduce().get(e) + ":R1")) return t.reduceExtents().get(e);
        return null;
    }

    /**
     * A fixed-length summary of a point for a cost model, per tiled stage (in rule order, up to
     * {@value #SUMMARY_STAGES}): log2 of the register tile's elements, of the tile computed per
     * S1 iteration, of the S1 tile in the consumer, of the S0 iterations, of the unrolled inner
     * reduction, the number of packed inputs, and whether the first pack sits in the parallel loop;
     * zeros for a map that is not a point.
     */
    public double[] summary(Map<String, Long> params) {
        double[] f = new double[SUMMARY_STAGES * SUMMARY_WIDTH];
        if (!isPoint(params)) return f;
        int i = 0;
        for (Rule r : rules) {
            if (!(r instanceof Tiled t) || i >= SUMMARY_STAGES) continue;
            double reg = 0, tile = 0, s1 = 0, s0 = 0, red = 0;
            for (String a : t.spatial()) {
                String k = t.producer() + ":" + a;
                reg += log2(params.getOrDefault(k + ":S3", 1L));
                tile += log2(params.getOrDefault(k + ":S3", 1L) * params.getOrDefault(k + ":S2", 1L));
                s1 += log2(params.getOrDefault(k + ":S1", 1L));
                s0 += log2(params.getOrDefault(k + ":S0", 1L));
            }
            for (String a : t.reduce()) red += log2(params.getOrDefault(t.producer() + ":" + a + ":R1", 1L));
            int packs = 0;
            long firstPack = 0;
            for (String in : t.reused()) {
                long v = params.getOrDefault(t.producer() + ":pack:" + in, 0L);
                if (v > 0) packs++;
                if (v > 0 && firstPack == 0) firstPack = v;
            }
            int o = i * SUMMARY_WIDTH;
            f[o] = reg;
            f[o + 1] = tile;
            f[o + 2] = s1 + tile;
            f[o + 3] = s0;
            f[o + 4] = red;
            f[o + 5] = packs;
            f[o + 6] = firstPack == 1 ? 1 : 0;
            i++;
        }
        return f;
    }

    /** Tiled stages described by {@link #summary}, and numbers per stage. */
    public static final int SUMMARY_STAGES = 2, SUMMARY_WIDTH = 7;

    // ---- application ----

    /**
     * The schedule of a point. Raises {@link dev.tessera.TesseraUserError} when a primitive rejects
     * it (a caller treats that as an invalid point).
     */
    public Schedule apply(Map<String, Long> params) {
        Schedule s = Schedule.create(outputs);
        for (Rule r : rules) if (r instanceof Tiled t && t.cacheWrite()) s.stage(t.consumer()).cacheWrite();
        for (String name : forcedInline) s.stage(name).computeInline();
        List<Rule> order = new ArrayList<>(rules);
        // Consumers first, so that producers find their consumers' final loops.
        List<String> stageOrder = s.stageNames();
        order.sort((a, b) -> Integer.compare(stageOrder.indexOf(b.stage()), stageOrder.indexOf(a.stage())));
        for (Rule r : order) {
            switch (r) {
                case Tiled t -> applyTiled(s, t, params);
                case Placed pl -> applyPlaced(s, pl, params);
                case Reduction red -> applyReduction(s, red, params);
                case Plain pl -> applyPlain(s, s.stage(pl.stage()), pl.spatialAxes(), pl.lastSpatial(), pl.lanes(), get(params, pl.stage() + ":parallel", 1));
            }
        }
        return s;
    }

    private void applyTiled(Schedule s, Tiled t, Map<String, Long> params) {
        Stage c = s.stage(t.consumer()), p = s.stage(t.producer());
        int n = t.spatial().size();
        List<LoopAxis> s0 = new ArrayList<>(), s1 = new ArrayList<>(), tile = new ArrayList<>();
        Map<LoopAxis, Long> extent = new java.util.HashMap<>();
        long[] reg = new long[n], tileExtent = new long[n];
        for (int d = 0; d < n; d++) {
            String key = t.producer() + ":" + t.spatial().get(d);
            LoopAxis a = c.rootAxes().get(d);
            Long e = t.extents().get(d);
            long f0 = get(params, key + ":S0", 1), f1 = get(params, key + ":S1", 1), f2 = get(params, key + ":S2", 1), f3 = get(params, key + ":S3", 1);
            if (e == null || f0 * f1 * f2 * f3 != e) {
                if (e != null) throw new dev.tessera.TesseraUserError("sketch: the tile sizes of " + key + " multiply to " + f0 * f1 * f2 * f3 + ", not " + e);
                s0.add(a);
                extent.put(a, e); // null: not constant
                reg[d] = 1;
                continue;
            }
            Stage.Parts outer = c.split(a, f1 * f2 * f3);
            Stage.Parts inner = c.split(outer.inner(), f2 * f3);
            s0.add(outer.outer());
            s1.add(inner.outer());
            extent.put(outer.outer(), f0);
            extent.put(inner.outer(), f1);
            tile.add(inner.inner());
            reg[d] = f3;
            tileExtent[d] = f2 * f3;
        }
        List<LoopAxis> l0 = permute(s0, get(params, t.consumer() + ":order0", 0)), l1 = permute(s1, get(params, t.consumer() + ":order1", 0));
        List<LoopAxis> order = new ArrayList<>(l0);
        order.addAll(l1);
        order.addAll(tile);
        if (order.size() > 1) c.reorder(order.toArray(LoopAxis[]::new));
        // The consumer's tile: its last loop (contiguous in the output) vectorized.
        if (!tile.isEmpty() && t.extents().get(n - 1) != null) vectorizeLast(c, tile.get(tile.size() - 1), tileExtent[n - 1], t.lanes(), false);
        List<LoopAxis> outerLoops = new ArrayList<>(l0);
        outerLoops.addAll(l1);
        int depth = parallelDepth(outerLoops.stream().map(extent::get).toList(), get(params, t.consumer() + ":parallel", 1));
        LoopAxis fused = outerLoops.get(0);
        for (int i = 1; i < depth; i++) fused = c.fuse(fused, outerLoops.get(i));
        c.parallel(fused);
        LoopAxis attach = depth >= outerLoops.size() ? fused : outerLoops.get(outerLoops.size() - 1);

        p.computeAt(c, attach);
        List<LoopAxis> r0 = new ArrayList<>(), s2 = new ArrayList<>(), r1 = new ArrayList<>(), s3 = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            LoopAxis a = p.rootAxes().get(d);
            if (t.extents().get(d) == null || !tileSplit(t, params, d)) {
                s2.add(a);
                continue;
            }
            long f2 = get(params, t.producer() + ":" + t.spatial().get(d) + ":S2", 1);
            if (f2 == 1) {
                s3.add(a);
            } else if (reg[d] == 1) {
                s2.add(a);
            } else {
                Stage.Parts x = p.split(a, reg[d]);
                s2.add(x.outer());
                s3.add(x.inner());
            }
        }
        for (int e = 0; e < t.reduce().size(); e++) {
            LoopAxis a = p.rootAxes().get(n + e);
            Long ext = t.reduceExtents().get(e);
            long f = get(params, t.producer() + ":" + t.reduce().get(e) + ":R1", 1);
            if (ext == null || f <= 1) r0.add(a);
            else if (f >= ext) r1.add(a);
            else {
                Stage.Parts x = p.split(a, f);
                r0.add(x.outer());
                r1.add(x.inner());
            }
        }
        List<LoopAxis> pOrder = new ArrayList<>(r0);
        pOrder.addAll(s2);
        pOrder.addAll(r1);
        pOrder.addAll(s3);
        if (pOrder.size() > 1) p.reorder(pOrder.toArray(LoopAxis[]::new));
        // The register tile: the last axis in vectors, the others unrolled.
        LoopAxis vector = null;
        if (!s3.isEmpty() && inRegisterTile(t, params, n - 1, reg)) {
            vector = s3.get(s3.size() - 1);
            vectorizeLast(p, vector, reg[n - 1], t.lanes(), true);
        }
        for (int d = 0, i = 0; d < n; d++) {
            if (!inRegisterTile(t, params, d, reg)) continue;
            LoopAxis a = s3.get(i++);
            if (a != vector && reg[d] > 1) p.unroll(a);
        }
        if (!r1.isEmpty() && get(params, t.producer() + ":unroll", 0) == 1) {
            LoopAxis k = r1.get(r1.size() - 1);
            int e = t.reduce().indexOf(rootName(k));
            Long ext = t.reduceExtents().get(e);
            long f = get(params, t.producer() + ":" + t.reduce().get(e) + ":R1", 1);
            if (ext != null && Math.min(f, ext) <= 16) p.unroll(k);
        }
        // Packs: a reused input copied densely at one of the consumer's loops around the tile.
        for (String in : t.reused()) {
            long loc = get(params, t.producer() + ":pack:" + in, 0);
            if (loc <= 0) continue;
            Tensor tensor = p.inputs().stream().filter(x -> x.name().equals(in)).findFirst().orElse(null);
            if (tensor == null) continue; // read through a stage that was inlined into another
            Stage cache = s.cacheRead(tensor, p);
            List<LoopAxis> legal = RandomSchedules.legalLevels(s, cache, c);
            if (legal.isEmpty()) continue;
            cache.computeAt(c, legal.get((int) Math.min(loc - 1, legal.size() - 1)));
            LoopAxis row = cache.rootAxes().get(cache.rootAxes().size() - 1);
            if (t.lanes() > 1) cache.vectorize(cache.split(row, t.lanes()).inner());
        }
    }

    /** Whether axis d has a (constant) tile in the producer, i.e. it was split in the consumer. */
    private static boolean tileSplit(Tiled t, Map<String, Long> params, int d) {
        String key = t.producer() + ":" + t.spatial().get(d);
        long prod = get(params, key + ":S0", 1) * get(params, key + ":S1", 1) * get(params, key + ":S2", 1) * get(params, key + ":S3", 1);
        return t.extents().get(d) != null && prod == t.extents().get(d);
    }

    /** Whether axis d has a loop in the producer's register tile (S3). */
    private static boolean inRegisterTile(Tiled t, Map<String, Long> params, int d, long[] reg) {
        return tileSplit(t, params, d) && (get(params, t.producer() + ":" + t.spatial().get(d) + ":S2", 1) == 1 || reg[d] > 1);
    }

    private static String rootName(LoopAxis a) {
        String n = a.name();
        return n.endsWith(".inner") ? n.substring(0, n.length() - ".inner".length()) : n;
    }

    /** Vectorizes a loop of constant extent: whole when it is one vector or less, else split in vectors (the vectors unrolled when {@code unroll}). */
    private static void vectorizeLast(Stage st, LoopAxis a, long extent, int lanes, boolean unroll) {
        if (lanes <= 1 || extent <= 1) return;
        if (extent <= lanes || (extent % lanes != 0 && extent <= 4L * lanes)) {
            st.vectorize(a);
            return;
        }
        Stage.Parts v = st.split(a, lanes);
        if (unroll && extent / lanes <= 16) st.unroll(v.outer());
        st.vectorize(v.inner());
    }

    private void applyPlaced(Schedule s, Placed pl, Map<String, Long> params) {
        Stage st = s.stage(pl.stage());
        long place = get(params, pl.stage() + ":place", pl.inlinable() ? 0 : 1);
        if (place == 0 && pl.inlinable()) {
            st.computeInline();
            return;
        }
        if (place >= 2) {
            // Candidate loops: each stored downstream stage's legal levels, producers' stages first.
            List<Stage> at = new ArrayList<>();
            List<LoopAxis> loops = new ArrayList<>();
            for (Stage x : s.stages()) {
                if (x == st || x.attachment() instanceof Attachment.Inline || !s.isDownstream(x, st)) continue;
                for (LoopAxis a : RandomSchedules.legalLevels(s, st, x)) {
                    at.add(x);
                    loops.add(a);
                }
            }
            if (!loops.isEmpty()) {
                int i = (int) Math.min(place - 2, loops.size() - 1);
                st.computeAt(at.get(i), loops.get(i));
                if (pl.lanes() > 1) {
                    List<LoopAxis> leaves = st.leafAxes();
                    st.vectorize(st.split(leaves.get(leaves.size() - 1), pl.lanes()).inner());
                }
                return;
            }
        }
        List<Axis> axes = st.op().axes();
        applyPlain(s, st, axes.size(), axes.isEmpty() ? null : Exprs.constInt(axes.get(axes.size() - 1).extent()), pl.lanes(),
                get(params, pl.stage() + ":parallel", 1));
    }

    private void applyReduction(Schedule s, Reduction red, Map<String, Long> params) {
        Stage st = s.stage(red.stage());
        long rf = get(params, red.stage() + ":rfactor", 0);
        int depth = (int) get(params, red.stage() + ":parallel", 1);
        if (rf > 0 && canRfactor(red)) {
            List<LoopAxis> reduce = st.leafAxes().stream().filter(LoopAxis::isReduce).toList();
            Stage.Parts k = st.split(reduce.get(reduce.size() - 1), rf);
            Stage partial = st.rfactor(k.inner());
            // The partial sums: spatial loops outside, the reduction, then the factored loop as vector lanes.
            List<LoopAxis> spatial = new ArrayList<>(), reduceLoops = new ArrayList<>();
            for (LoopAxis a : partial.leafAxes()) (a.isReduce() ? reduceLoops : spatial).add(a);
            LoopAxis lanesLoop = spatial.remove(spatial.size() - 1);
            List<LoopAxis> order = new ArrayList<>(spatial);
            order.addAll(reduceLoops);
            order.add(lanesLoop);
            partial.reorder(order.toArray(LoopAxis[]::new));
            if (rf <= 64) partial.vectorize(lanesLoop);
            List<Long> extents = st.op().axes().stream().map(a -> Exprs.constInt(a.extent())).toList();
            parallelOuter(partial, spatial, extents, depth);
            parallelOuter(st, st.leafAxes().stream().filter(a -> !a.isReduce()).toList(), extents, depth);
            return;
        }
        List<LoopAxis> spatial = new ArrayList<>(st.leafAxes().stream().filter(a -> !a.isReduce()).toList());
        List<Long> extents = new ArrayList<>(st.op().axes().stream().map(a -> Exprs.constInt(a.extent())).toList());
        List<LoopAxis> reduce = st.leafAxes().stream().filter(LoopAxis::isReduce).toList();
        LoopAxis vector = null;
        if (get(params, red.stage() + ":vectorize", 0) == 1 && red.lastSpatial() != null && red.lastSpatial() >= red.lanes() && red.lanes() > 1) {
            Stage.Parts v = st.split(spatial.remove(spatial.size() - 1), red.lanes());
            spatial.add(v.outer());
            extents.set(extents.size() - 1, (red.lastSpatial() + red.lanes() - 1) / red.lanes());
            vector = v.inner();
            List<LoopAxis> order = new ArrayList<>(spatial);
            order.addAll(reduce);
            order.add(vector);
            st.reorder(order.toArray(LoopAxis[]::new));
            st.vectorize(vector);
        }
        parallelOuter(st, spatial, extents, depth);
    }

    /**
     * The number of leading loops to fuse into the parallel one: {@code wanted}, or more where fewer
     * would leave a core without an iteration (extents null when not constant, taken as enough).
     */
    private int parallelDepth(List<Long> extents, long wanted) {
        int depth = (int) Math.min(Math.max(1, wanted), extents.size());
        long product = 1;
        for (int i = 0; i < extents.size(); i++) {
            Long e = extents.get(i);
            product = e == null ? Long.MAX_VALUE : Math.min(Long.MAX_VALUE / 2, product * e);
            if (product >= cores) return Math.max(depth, i + 1);
        }
        return Math.max(depth, extents.size());
    }

    /** Fuses the first loops (see {@link #parallelDepth}) of the given leading loops and makes the result parallel. */
    private void parallelOuter(Stage st, List<LoopAxis> loops, List<Long> extents, int depth) {
        if (loops.isEmpty()) return;
        int d = parallelDepth(extents.subList(0, Math.min(extents.size(), loops.size())), depth);
        LoopAxis fused = loops.get(0);
        for (int i = 1; i < d; i++) {
            List<LoopAxis> leaves = st.leafAxes();
            if (leaves.indexOf(loops.get(i)) != leaves.indexOf(fused) + 1) break;
            fused = st.fuse(fused, loops.get(i));
        }
        st.parallel(fused);
    }

    private void applyPlain(Schedule s, Stage st, int spatialAxes, Long lastSpatial, int lanes, long depth) {
        List<LoopAxis> spatial = new ArrayList<>(st.leafAxes().stream().filter(a -> !a.isReduce()).toList());
        if (spatial.isEmpty()) return;
        List<Long> extents = new ArrayList<>(st.op().axes().stream().map(a -> Exprs.constInt(a.extent())).toList());
        if (lastSpatial != null && lanes > 1 && lastSpatial >= lanes) {
            Stage.Parts v = st.split(spatial.remove(spatial.size() - 1), lanes);
            spatial.add(v.outer());
            extents.set(extents.size() - 1, (lastSpatial + lanes - 1) / lanes);
            st.vectorize(v.inner());
        }
        parallelOuter(st, spatial, extents, (int) depth);
    }

    // ---- small helpers ----

    private static long get(Map<String, Long> p, String key, long otherwise) {
        Long v = p.get(key);
        return v == null ? otherwise : v;
    }

    /** The divisors of {@code n} up to {@code max}, ascending. */
    static List<Long> divisors(long n, long max) {
        List<Long> out = new ArrayList<>();
        for (long d = 1; d * d <= n; d++) {
            if (n % d != 0) continue;
            if (d <= max) out.add(d);
            if (d != n / d && n / d <= max) out.add(n / d);
        }
        Collections.sort(out);
        return out;
    }

    private static List<Long> primeFactors(long n) {
        List<Long> out = new ArrayList<>();
        for (long q = 2; q * q <= n; q++) while (n % q == 0) { out.add(q); n /= q; }
        if (n > 1) out.add(n);
        return out;
    }

    private static long pick(List<Long> xs, Random rnd) { return xs.get(rnd.nextInt(xs.size())); }

    private static int pickWeighted(Random rnd, int... weights) {
        int total = 0;
        for (int w : weights) total += w;
        int x = rnd.nextInt(total);
        for (int i = 0; i < weights.length; i++) {
            if (x < weights[i]) return i;
            x -= weights[i];
        }
        return weights.length - 1;
    }

    private static long factorial(int n) {
        long f = 1;
        for (int i = 2; i <= n && f < Integer.MAX_VALUE; i++) f *= i;
        return f;
    }

    /** The {@code index}-th permutation (mod n!) of the loops, by its factorial-base digits. */
    private static List<LoopAxis> permute(List<LoopAxis> loops, long index) {
        List<LoopAxis> pool = new ArrayList<>(loops), out = new ArrayList<>();
        long i = Math.floorMod(index, Math.max(1, factorial(loops.size())));
        while (!pool.isEmpty()) {
            long f = factorial(pool.size() - 1);
            out.add(pool.remove((int) (i / f)));
            i %= f;
        }
        return out;
    }

    private static double log2(long v) { return Math.log(Math.max(1, v)) / Math.log(2); }

    /** The rules as text, one per stage (for tests and diagnostics). */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Rule r : rules) {
            out.add(switch (r) {
                case Tiled t -> "multi-level tiling of " + t.producer() + " in " + t.consumer() + (t.cacheWrite() ? " (cache_write)" : "")
                        + (t.reused().isEmpty() ? "" : ", packable " + t.reused());
                case Placed p -> "placement of " + p.stage() + (p.inlinable() ? " (inline, root or at its consumer)" : " (root or at its consumer)");
                case Reduction red -> "reduction " + red.stage() + (canRfactor(red) ? " (rfactor possible)" : "");
                case Plain p -> "root " + p.stage();
            });
        }
        for (String f : forcedInline.stream().sorted().toList()) out.add("inline " + f);
        return Collections.unmodifiableList(out);
    }
}
