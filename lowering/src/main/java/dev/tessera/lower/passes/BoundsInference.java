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
        s = new Inferrer(regions).mutate(s);
        return s;
    }

    private static final class Inferrer extends StmtMutator {
        private final ScheduleToLoops.Regions regions;
        /** Ranges of the loops and lets enclosing the current statement, each in terms of outer symbols. */
        private final Map<Var, Interval> enclosing = new HashMap<>();
        private final Set<Var> regionVars = new HashSet<>();

        Inferrer(ScheduleToLoops.Regions regions) {
            this.regions = regions;
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
            List<Interval> read = boxTouched(body, op);
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
    static List<Interval> boxTouched(Stmt s, ComputeOp op) {
        int rank = op.axes().size();
        List<Interval> box = new ArrayList<>();
        for (int d = 0; d < rank; d++) box.add(null);
        Map<Var, Interval> scope = new HashMap<>();
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
                        visit(l.body());
                        scope.remove(l.var());
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
                    box.set(d, box.get(d) == null ? i : box.get(d).union(i));
                }
            }
        }.visit(s);
        return box;
    }


}
