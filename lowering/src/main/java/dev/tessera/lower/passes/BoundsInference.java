package dev.tessera.lower.passes;

import dev.tessera.arith.Bounds;
import dev.tessera.arith.Interval;
import dev.tessera.arith.Simplifier;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Binds the region of every stage. Outputs cover their whole shape. An intermediate stage covers
 * the box its readers touch inside its {@link Realize} (found by interval analysis over the loops
 * between the realization and the reads, so a stage computed inside a tile loop covers what one
 * tile needs), clipped to the stage's own domain. Its storage is an upper bound of that box over
 * all enclosing loop iterations (and of what a round-up split writes), independent of loop variables.
 *
 * <p>A region is written in terms of its readers' region variables, not their values: the
 * {@code let}s of the stages realized at the same loop level are hoisted above the producer's own
 * (consumers first), as Halide does. Substituting the values instead makes the expressions grow
 * with the number of paths through the stage graph, exponentially in a DAG with fan-out such as
 * the iterations of capsule routing.
 *
 * <p>A stage placed in GPU shared memory ({@code set_scope(stage, "shared")}) but computed inside
 * loops bound to thread indices is one tile per block that the block's threads compute together
 * (TVM's cooperative fetching): once every region is bound, its region is widened to the union of
 * what the threads of a block read, the thread indices (and the values that depend on them)
 * ranging over their whole extent, and its storage to an upper bound of that.
 *
 * <p>Requires the symbolic regions laid out by {@link ScheduleToLoops}; establishes {@code let}s
 * for every region variable and filled-in {@link Realize} regions.
 */
public final class BoundsInference {
    private BoundsInference() {}

    public static Stmt apply(Stmt body, Schedule schedule, ScheduleToLoops.Regions regions) {
        // Outputs are computed over their whole shape; binding that first lets every inner region simplify against it.
        Stmt s = body;
        List<Stage> stages = schedule.stages();
        for (int i = stages.size() - 1; i >= 0; i--) {
            Stage st = stages.get(i);
            if (!st.isOutput()) continue;
            List<Var> mins = regions.mins().get(st.op()), exts = regions.extents().get(st.op());
            for (int d = mins.size() - 1; d >= 0; d--) {
                s = new LetStmt(exts.get(d), st.op().axes().get(d).extent(), s);
                s = new LetStmt(mins.get(d), Te.c(0), s);
            }
        }
        Map<ComputeOp, List<Interval>> perBlock = new HashMap<>();
        for (Stage st : stages) if ("shared".equals(st.scope()) && regions.mins().containsKey(st.op())) perBlock.put(st.op(), null);
        s = new Inferrer(regions, perBlock).mutate(s);
        if (!perBlock.isEmpty()) s = new PerBlockRegions(regions, perBlock).mutate(s);
        return s;
    }

    /**
     * Widens the regions of shared-memory stages computed inside thread loops to what the whole
     * block reads. Works on the bound lets: where the box a thread reads (before clipping to the
     * stage's domain) depends on a thread index, the region's start becomes the lowest start over
     * all the block's threads and its extent reaches the highest end, both clipped to the domain as
     * {@link Inferrer} clips, and bounded by the largest distance from one thread's start to
     * another's end (a constant where the tile is, which unrolling and the storage need).
     */
    private static final class PerBlockRegions extends StmtMutator {
        private final ScheduleToLoops.Regions regions;
        /** The box the readers of each per-block stage touch, per dimension, before clipping (from {@link Inferrer}). */
        private final Map<ComputeOp, List<Interval>> unclipped;
        private final Map<Var, ComputeOp> minOf = new HashMap<>(), extentOf = new HashMap<>();
        private final Map<Var, Integer> dimensionOf = new HashMap<>();
        /** Ranges of the enclosing loops and lets, each in terms of outer symbols. */
        private final Map<Var, Interval> enclosing = new HashMap<>();
        /** The enclosing thread loops and the lets and loops that depend on them, with their ranges over the block's threads. */
        private final Map<Var, Interval> acrossThreads = new HashMap<>();
        /** The widened start of a region, for its extent's let. */
        private final Map<Var, Expr> widenedMin = new HashMap<>();
        private final Set<ComputeOp> widened = new HashSet<>();
        private final Set<Var> widenedExtents = new HashSet<>();

        PerBlockRegions(ScheduleToLoops.Regions regions, Map<ComputeOp, List<Interval>> unclipped) {
            this.regions = regions;
            this.unclipped = unclipped;
            for (ComputeOp op : unclipped.keySet()) {
                List<Var> mins = regions.mins().get(op), exts = regions.extents().get(op);
                for (int d = 0; d < mins.size(); d++) {
                    minOf.put(mins.get(d), op);
                    extentOf.put(exts.get(d), op);
                    dimensionOf.put(mins.get(d), d);
                    dimensionOf.put(exts.get(d), d);
                }
            }
        }

        @Override public Stmt mutate(Stmt s) {
            switch (s) {
                case For f -> {
                    enclosing.put(f.var(), loopRange(f, enclosing));
                    boolean varies = f.kind().isGpuThread() || dependsOnThreads(f.min()) || dependsOnThreads(f.extent());
                    if (varies) acrossThreads.put(f.var(), loopRange(f, acrossThreads));
                    Stmt out = mutateChildren(s);
                    enclosing.remove(f.var());
                    acrossThreads.remove(f.var());
                    return out;
                }
                case LetStmt l -> {
                    Expr value = widen(l);
                    enclosing.put(l.var(), Bounds.of(value, enclosing));
                    if (dependsOnThreads(value)) acrossThreads.put(l.var(), Bounds.of(value, acrossThreads));
                    Stmt body = mutate(l.body());
                    enclosing.remove(l.var());
                    acrossThreads.remove(l.var());
                    return value == l.value() && body == l.body() ? s : new LetStmt(l.var(), value, body);
                }
                case Realize r when widened.contains(r.op()) -> {
                    Stmt body = mutate(r.body());
                    List<Expr> storage = new ArrayList<>();
                    List<Expr> reach = regions.reach().get(r.op());
                    for (int d = 0; d < reach.size(); d++) {
                        // What the loops reach (past the extent under a round-up split), bounded over every enclosing iteration;
                        // the regions of the stages around are bound now, so this is often constant where the first bound was not.
                        Long c = constantBound(reach.get(d));
                        boolean wider = widenedExtents.contains(regions.extents().get(r.op()).get(d));
                        if (!wider) {
                            Long first = constantBound(r.storageExtents().get(d));
                            if (first != null && (c == null || first < c)) c = first;
                        }
                        storage.add(c != null ? Te.c(c) : wider ? r.op().axes().get(d).extent() : r.storageExtents().get(d));
                    }
                    return new Realize(r.op(), r.mins(), r.extents(), storage, body);
                }
                default -> {
                    return mutateChildren(s);
                }
            }
        }

        /** A constant upper bound of e over the enclosing loops and lets, or null. */
        private Long constantBound(Expr e) {
            Interval b = Bounds.of(e, enclosing);
            return b.max() == null ? null : constantUpperBound(Simplifier.simplify(b.max()));
        }

        /** The let's value, widened over the block's threads when it is the region of a per-block stage whose box depends on them. */
        private Expr widen(LetStmt l) {
            ComputeOp op = minOf.get(l.var()) != null ? minOf.get(l.var()) : extentOf.get(l.var());
            if (op == null || acrossThreads.isEmpty() || unclipped.get(op) == null) return l.value();
            int d = dimensionOf.get(l.var());
            Interval box = unclipped.get(op).get(d);
            if (box == null || !(box.min() != null && dependsOnThreads(box.min()) || box.max() != null && dependsOnThreads(box.max())))
                return l.value();
            widened.add(op);
            Expr shape = op.axes().get(d).extent();
            Expr lowest = box.min() == null ? null : Bounds.of(box.min(), acrossThreads).min();
            if (minOf.containsKey(l.var())) {
                Expr min = Simplifier.simplify(lowest == null ? Te.c(0) : Te.max(lowest, Te.c(0)));
                widenedMin.put(l.var(), min);
                return min;
            }
            widenedExtents.add(l.var());
            Expr highest = box.max() == null ? null : Bounds.of(box.max(), acrossThreads).max();
            Expr min = widenedMin.get(regions.mins().get(op).get(d));
            Expr end = highest == null ? Te.sub(shape, Te.c(1)) : Te.min(highest, Te.sub(shape, Te.c(1)));
            Expr extent = Te.sub(Te.add(end, Te.c(1)), min);
            if (lowest != null && highest != null) {
                // highest - lowest cancels the block's position: a constant bound of the tile that the clipping hides.
                Long most = constantBound(Simplifier.simplify(Te.sub(highest, lowest)));
                if (most != null) extent = Te.min(extent, Te.c(most + 1));
            }
            return Simplifier.simplify(Te.max(extent, Te.c(0)));
        }

        private boolean dependsOnThreads(Expr e) {
            if (acrossThreads.isEmpty()) return false;
            for (Var v : Exprs.vars(e)) if (acrossThreads.containsKey(v)) return true;
            return false;
        }
    }

    private static final class Inferrer extends StmtMutator {
        private final ScheduleToLoops.Regions regions;
        /** Ranges of the loops and lets enclosing the current statement, each in terms of outer symbols. */
        private final Map<Var, Interval> enclosing = new HashMap<>();
        private final Set<Var> regionVars = new HashSet<>();
        /** The stages in shared memory, each mapped to the box its readers touch before clipping, once bound. */
        private final Map<ComputeOp, List<Interval>> perBlock;

        Inferrer(ScheduleToLoops.Regions regions, Map<ComputeOp, List<Interval>> perBlock) {
            this.regions = regions;
            this.perBlock = perBlock;
            regions.mins().values().forEach(regionVars::addAll);
            regions.extents().values().forEach(regionVars::addAll);
        }

        @Override public Stmt mutate(Stmt s) {
            switch (s) {
                case For f -> {
                    Interval r = loopRange(f, enclosing);
                    enclosing.put(f.var(), r);
                    Stmt out = mutateChildren(s);
                    enclosing.remove(f.var());
                    return out;
                }
                case LetStmt l -> {
                    enclosing.put(l.var(), Bounds.of(l.value(), enclosing));
                    Stmt out = mutateChildren(s);
                    enclosing.remove(l.var());
                    return out;
                }
                case Realize r -> {
                    Stmt body = mutate(r.body());
                    return bind(r.op(), body);
                }
                default -> {
                    return mutateChildren(s);
                }
            }
        }

        private Stmt bind(ComputeOp op, Stmt realized) {
            List<Var> mins = regions.mins().get(op), exts = regions.extents().get(op);
            int rank = op.axes().size();
            // The regions of the stages realized at this level, outside any loop of this one: keep them as names.
            List<LetStmt> hoisted = new ArrayList<>();
            Stmt body = hoistRegionLets(realized, hoisted, new HashSet<>());
            // Linear values (a block's start, the same start renamed) are substituted: they compose at no growth
            // and the cancellation across readers (t1.b.min = t2.b.min) is what keeps the storage tight.
            Map<Var, Expr> linear = new HashMap<>();
            for (LetStmt l : hoisted) {
                enclosing.put(l.var(), compact(Bounds.of(l.value(), enclosing)));
                if (Exprs.isAffine(l.value())) linear.put(l.var(), Simplifier.simplify(Exprs.substitute(l.value(), linear)));
            }
            List<Interval> read = boxTouched(body, op, constants(enclosing, regionVars));
            if (perBlock.containsKey(op)) {
                List<Interval> box = new ArrayList<>();
                for (Interval i : read)
                    box.add(i == null ? null : new Interval(i.min() == null ? null : Exprs.substitute(i.min(), linear),
                            i.max() == null ? null : Exprs.substitute(i.max(), linear)));
                perBlock.put(op, box);
            }
            List<Expr> minValues = new ArrayList<>(), extValues = new ArrayList<>(), storage = new ArrayList<>();
            Map<Var, Expr> regionSubst = new HashMap<>();
            for (int d = 0; d < rank; d++) {
                Expr shape = op.axes().get(d).extent();
                Interval box = read.get(d);
                Expr lo, hi, unclippedExtent;
                if (box == null) { // never read here: compute nothing
                    lo = Te.c(0);
                    hi = Te.c(-1);
                    unclippedExtent = Te.c(0);
                } else {
                    Expr bmin = box.min() == null ? null : Exprs.substitute(box.min(), linear);
                    Expr bmax = box.max() == null ? null : Exprs.substitute(box.max(), linear);
                    lo = bmin == null ? Te.c(0) : Te.max(bmin, Te.c(0));
                    hi = bmax == null ? Te.sub(shape, Te.c(1)) : Te.min(bmax, Te.sub(shape, Te.c(1)));
                    unclippedExtent = bmin == null || bmax == null ? shape : Te.min(Te.add(Te.sub(bmax, bmin), Te.c(1)), shape);
                }
                // The enclosing loops' ranges let the clipping to the domain fold away where it cannot bite.
                Expr min = Simplifier.simplify(lo, enclosing);
                Expr ext = Simplifier.simplify(Te.max(Te.add(Te.sub(hi, lo), Te.c(1)), Te.c(0)), enclosing);
                minValues.add(min);
                extValues.add(ext);
                regionSubst.put(mins.get(d), min);
                regionSubst.put(exts.get(d), ext);
                // Storage: what is computed here at most, over every iteration of the enclosing loops.
                Expr need = Simplifier.simplify(unclippedExtent, enclosing);
                // A round-up split writes past the region's end.
                Expr reach = Exprs.substitute(regions.reach().get(op).get(d), regionSubst);
                Expr fallback = shape;
                if (!Exprs.isConst(Simplifier.simplify(Te.sub(reach, ext)), 0)) {
                    need = Simplifier.simplify(Te.max(need, reach));
                    // Without a tighter bound, the whole domain, rounded up as the split rounds it.
                    Expr wholeReach = Exprs.substitute(regions.reach().get(op).get(d), Map.of(mins.get(d), Te.c(0), exts.get(d), shape));
                    fallback = Simplifier.simplify(Te.max(shape, wholeReach));
                }
                Expr store = upperBound(need, fallback);
                storage.add(store);
                // The storage bounds the extent; saying so gives later passes (unroll) a constant bound interval arithmetic cannot see.
                if (Exprs.constInt(store) != null && Exprs.constInt(ext) == null) {
                    ext = Simplifier.simplify(Te.min(ext, store), enclosing);
                    extValues.set(d, ext);
                    regionSubst.put(exts.get(d), ext);
                }
            }
            Stmt out = new Realize(op, List.copyOf(mins), List.copyOf(exts), storage, body);
            for (int d = rank - 1; d >= 0; d--) {
                out = new LetStmt(exts.get(d), extValues.get(d), out);
                out = new LetStmt(mins.get(d), minValues.get(d), out);
            }
            for (int i = hoisted.size() - 1; i >= 0; i--) {
                LetStmt l = hoisted.get(i);
                enclosing.remove(l.var());
                out = new LetStmt(l.var(), l.value(), out);
            }
            return out;
        }

        /**
         * Removes the region lets reachable from s without entering a loop or branch (those of the
         * stages realized at the same level) and appends them to hoisted, in order. A let whose
         * value reads a variable bound on the way (by a let that stays) stays too.
         */
        private Stmt hoistRegionLets(Stmt s, List<LetStmt> hoisted, Set<Var> boundOnTheWay) {
            return switch (s) {
                case LetStmt l when regionVars.contains(l.var()) && java.util.Collections.disjoint(Exprs.vars(l.value()), boundOnTheWay) -> {
                    hoisted.add(l);
                    yield hoistRegionLets(l.body(), hoisted, boundOnTheWay);
                }
                case LetStmt l -> {
                    boundOnTheWay.add(l.var());
                    Stmt body = hoistRegionLets(l.body(), hoisted, boundOnTheWay);
                    yield body == l.body() ? l : new LetStmt(l.var(), l.value(), body);
                }
                case Block b -> {
                    List<Stmt> out = new ArrayList<>();
                    for (Stmt x : b.stmts()) out.add(hoistRegionLets(x, hoisted, boundOnTheWay));
                    yield Block.of(out);
                }
                case Realize r -> {
                    Stmt body = hoistRegionLets(r.body(), hoisted, boundOnTheWay);
                    yield body == r.body() ? r : new Realize(r.op(), r.mins(), r.extents(), r.storageExtents(), body);
                }
                default -> s;
            };
        }

        /**
         * A range with a constant end where one bounds it: the ranges of the hoisted regions feed
         * every producer's, so keeping them small keeps the producers' storage expressions small.
         */
        private static Interval compact(Interval i) {
            Long hi = i.max() == null ? null : constantUpperBound(i.max());
            return hi == null ? i : new Interval(i.min(), Te.c(hi));
        }

        private static final int STORAGE_EXPR_LIMIT = 48;

        /** An upper bound of e over the enclosing loops; the stage's shape when none can be found (or only a huge one). */
        private Expr upperBound(Expr e, Expr fallback) {
            Interval b = Bounds.of(e, enclosing);
            if (b.max() == null) return fallback;
            Expr m = Simplifier.simplify(b.max());
            // A symbolic bound such as min(M, 4) still has a constant bound: prefer it, so storage stays constant-size.
            Long c = constantUpperBound(m);
            if (c != null) return Te.c(c);
            for (Var v : Exprs.vars(m)) if (enclosing.containsKey(v)) return fallback;
            // Bounds through a chain of symbolic regions nest each other's twice over (a DAG that prints as
            // a tree of exponential size): beyond a few dozen nodes the domain's own extent is the better bound.
            if (Exprs.size(m, STORAGE_EXPR_LIMIT + 1) > STORAGE_EXPR_LIMIT) return fallback;
            return m;
        }
    }

    /** A constant that bounds e from above whatever its free variables are, or null. */
    static Long constantUpperBound(Expr e) {
        if (e instanceof dev.tessera.ir.IntImm i) return i.value();
        if (!(e instanceof dev.tessera.ir.Binary bin)) return null;
        Long a = constantUpperBound(bin.a()), b = constantUpperBound(bin.b());
        switch (bin.op()) {
            case MIN -> {
                if (a == null) return b;
                if (b == null) return a;
                return Math.min(a, b);
            }
            case DIV -> {
                // Floor division by a positive constant is monotone in the dividend.
                return a != null && bin.b() instanceof dev.tessera.ir.IntImm d && d.value() > 0 ? Long.valueOf(Math.floorDiv(a, d.value())) : null;
            }
            case MAX, ADD, MUL -> {
                if (a == null || b == null) return null;
                if (bin.op() == dev.tessera.ir.Binary.Op.MAX) return Math.max(a, b);
                if (bin.op() == dev.tessera.ir.Binary.Op.ADD) return a + b;
                return isNonNegative(bin.a()) && isNonNegative(bin.b()) ? Long.valueOf(a * b) : null;
            }
            default -> {
                return null;
            }
        }
    }

    /** Storage extents are built from shapes, loop extents and regions: their variables are never negative. */
    private static boolean isNonNegative(Expr e) {
        return switch (e) {
            case dev.tessera.ir.IntImm i -> i.value() >= 0;
            case Var v -> true;
            case dev.tessera.ir.Binary b when b.op() == dev.tessera.ir.Binary.Op.MAX -> isNonNegative(b.a()) || isNonNegative(b.b());
            case dev.tessera.ir.Binary b when b.op() == dev.tessera.ir.Binary.Op.MIN || b.op() == dev.tessera.ir.Binary.Op.ADD
                    || b.op() == dev.tessera.ir.Binary.Op.MUL -> isNonNegative(b.a()) && isNonNegative(b.b());
            default -> false;
        };
    }

    /** Beyond this many nodes a let's value is not substituted into the indices it feeds. */
    private static final int LET_SUBSTITUTION_LIMIT = 64;

    /**
     * Per end, the narrower of two bounds of the same index where they differ by a constant, else
     * b's: b comes from the index with its divisions folded away, where interval arithmetic is exact.
     */
    private static Interval tighter(Interval a, Interval b) {
        return new Interval(pick(a.min(), b.min(), 1), pick(a.max(), b.max(), -1));
    }

    private static Expr pick(Expr a, Expr b, int sign) {
        if (b == null) return a;
        if (a == null) return b;
        Long d = Exprs.constInt(Simplifier.simplify(Te.sub(b, a)));
        return d == null || d * sign > 0 ? b : a;
    }

    /** Floor divisions and modulos in e. */
    private static int divisions(Expr e) {
        int[] n = {0};
        new dev.tessera.ir.ExprVisitor() {
            @Override public void visit(Expr x) {
                if (x instanceof dev.tessera.ir.Binary b && (b.op() == dev.tessera.ir.Binary.Op.DIV || b.op() == dev.tessera.ir.Binary.Op.MOD)) n[0]++;
                visitChildren(x);
            }
        }.visit(e);
        return n[0];
    }

    static Interval loopRange(For f, Map<Var, Interval> scope) {
        Interval lo = Bounds.of(f.min(), scope);
        Interval hi = Bounds.of(Te.sub(Te.add(f.min(), f.extent()), Te.c(1)), scope);
        return new Interval(lo.min(), hi.max());
    }

    /**
     * The box of a stage's tensors read within a statement, per dimension, in terms of
     * the symbols free in the statement; null for a dimension never touched. The stage's reads of
     * itself (a reduction reading its running value at its own index) are not counted.
     */
    /** The regions' mins and extents whose range is one constant, as values to substitute. */
    private static Map<Var, Expr> constants(Map<Var, Interval> enclosing, Set<Var> regionVars) {
        Map<Var, Expr> out = new HashMap<>();
        enclosing.forEach((v, i) -> {
            if (!regionVars.contains(v)) return;
            Long lo = i.min() == null ? null : Exprs.constInt(i.min()), hi = i.max() == null ? null : Exprs.constInt(i.max());
            if (lo != null && lo.equals(hi)) out.put(v, i.min());
        });
        return out;
    }

    static List<Interval> boxTouched(Stmt s, ComputeOp op, Map<Var, Expr> constants) {
        int rank = op.axes().size();
        List<Interval> box = new ArrayList<>();
        for (int d = 0; d < rank; d++) box.add(null);
        Map<Var, Interval> scope = new HashMap<>();
        // Values of the lets inside s: an index such as y*W + x over a fused loop (y = q/W, x = q%W)
        // folds back to q once they are substituted, where their separate ranges would span whole rows.
        Map<Var, dev.tessera.ir.Expr> lets = new HashMap<>(constants);
        List<Var> ownIndex = op.axes().stream().map(a -> a.var()).toList();
        new StmtVisitor() {
            @Override public void visit(Stmt x) {
                switch (x) {
                    case For f -> {
                        visit(f.min());
                        visit(f.extent());
                        scope.put(f.var(), loopRange(f, scope));
                        visit(f.body());
                        scope.remove(f.var());
                    }
                    case LetStmt l -> {
                        visit(l.value());
                        scope.put(l.var(), Bounds.of(l.value(), scope));
                        if (Exprs.size(l.value(), LET_SUBSTITUTION_LIMIT + 1) <= LET_SUBSTITUTION_LIMIT) lets.put(l.var(), Exprs.substitute(l.value(), lets));
                        visit(l.body());
                        scope.remove(l.var());
                        lets.remove(l.var());
                    }
                    default -> visitChildren(x);
                }
            }

            @Override public void visit(dev.tessera.ir.Expr e) {
                if (e instanceof TensorRead tr && tr.tensor().op() == op && !tr.indices().equals(ownIndex)) touch(tr.indices());
                visitChildren(e);
            }

            private void touch(List<Expr> idx) {
                for (int d = 0; d < rank; d++) {
                    Interval i = Bounds.of(idx.get(d), scope);
                    if (!lets.isEmpty() && Exprs.vars(idx.get(d)).stream().anyMatch(lets::containsKey)) {
                        dev.tessera.ir.Expr folded = Simplifier.simplify(Exprs.substitute(idx.get(d), lets));
                        if (Exprs.size(folded, LET_SUBSTITUTION_LIMIT + 1) <= LET_SUBSTITUTION_LIMIT
                                && divisions(folded) < divisions(Exprs.substitute(idx.get(d), lets)))
                            i = tighter(i, Bounds.of(folded, scope));
                    }
                    box.set(d, box.get(d) == null ? i : box.get(d).union(i));
                }
            }
        }.visit(s);
        return box;
    }


}
