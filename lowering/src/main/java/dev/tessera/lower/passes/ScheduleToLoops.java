package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Te;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprMutator;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Reducer;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Load;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.Store;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.schedule.Attachment;
import dev.tessera.schedule.AxisRelation;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.TailStrategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the loop nest of a schedule: one nest per stage over its leaf loops, with the root
 * variables recovered from the split and fused loops, guards for partial tiles, reduction init and
 * update nests, inlined stages substituted, and each stored intermediate wrapped in a
 * {@link Realize} at its compute level. Regions are left symbolic: every stage S iterates over
 * {@code [S.min.d, S.min.d + S.extent.d)}, variables that {@link BoundsInference} binds.
 */
public final class ScheduleToLoops {
    private ScheduleToLoops() {}

    /**
     * The symbolic region of each stored stage, as laid out by this pass, and how far each spatial
     * dimension's loops reach past the region's start (the extent, or more under a round-up split),
     * in terms of the region's extents.
     */
    public record Regions(Map<ComputeOp, List<Var>> mins, Map<ComputeOp, List<Var>> extents, Map<ComputeOp, List<Expr>> reach) {}

    public record Result(Stmt body, Regions regions) {}

    public static Result apply(Schedule schedule) {
        return apply(schedule, java.util.Set.of());
    }

    /**
     * Builds the loop nest without the stages in {@code given}: the kernel receives their buffers
     * (prepacked stages, computed ahead of calls by their own functions), so it reads them whole and
     * computes nothing for them.
     */
    public static Result apply(Schedule schedule, java.util.Set<Stage> given) {
        return new ScheduleToLoops.Builder(schedule, given).build();
    }

    private static final class Builder {
        private final Schedule schedule;
        private final Map<ComputeOp, List<Expr>> bodies = new IdentityHashMap<>();
        private final Map<ComputeOp, List<Var>> mins = new IdentityHashMap<>();
        private final Map<ComputeOp, List<Var>> extents = new IdentityHashMap<>();
        private final Map<ComputeOp, List<Expr>> reach = new IdentityHashMap<>();
        private final java.util.Set<Stage> given;

        Builder(Schedule schedule, java.util.Set<Stage> given) {
            this.schedule = schedule;
            this.given = given;
        }

        Result build() {
            inlineStages();
            for (Stage s : schedule.stages()) {
                if (s.attachment() instanceof Attachment.Inline || given.contains(s)) continue;
                List<Var> mn = new ArrayList<>(), ex = new ArrayList<>();
                for (Axis a : s.op().axes()) {
                    mn.add(Var.index(s.name() + "." + a.name() + ".min"));
                    ex.add(Var.index(s.name() + "." + a.name() + ".extent"));
                }
                mins.put(s.op(), mn);
                extents.put(s.op(), ex);
            }
            List<Stmt> outputs = new ArrayList<>();
            for (Stage s : schedule.stages()) if (s.isOutput()) outputs.add(produce(s));
            Stmt body = Block.of(outputs);
            List<Stage> reversed = new ArrayList<>(schedule.stages());
            java.util.Collections.reverse(reversed);
            for (Stage s : reversed) {
                if (s.isOutput() || s.attachment() instanceof Attachment.Inline || given.contains(s)) continue;
                body = attach(s, body);
            }
            return new Result(body, new Regions(mins, extents, reach));
        }

        /** Substitutes inlined stages into their readers, producers first. */
        private void inlineStages() {
            for (Stage s : schedule.stages()) {
                List<Expr> bs = new ArrayList<>();
                for (Expr b : s.bodies()) bs.add(inlineReads(b));
                bodies.put(s.op(), bs);
            }
        }

        private Expr inlineReads(Expr e) {
            return new ExprMutator() {
                @Override public Expr mutate(Expr x) {
                    Expr m = mutateChildren(x);
                    if (m instanceof TensorRead tr && tr.tensor().op() instanceof ComputeOp c
                            && schedule.stage(tr.tensor()).attachment() instanceof Attachment.Inline) {
                        Map<Var, Expr> sub = new HashMap<>();
                        for (int d = 0; d < c.axes().size(); d++) sub.put(c.axes().get(d).var(), tr.indices().get(d));
                        return Exprs.substitute(bodies.get(c).get(0), sub);
                    }
                    return m;
                }
            }.mutate(e);
        }

        private Stmt attach(Stage s, Stmt body) {
            Stmt produce = produce(s);
            if (s.attachment() instanceof Attachment.At at) {
                Stage consumer = at.consumer();
                if (consumer.attachment() instanceof Attachment.Inline)
                    throw new TesseraUserError("compute_at(" + s.name() + ", " + consumer.name() + ", " + at.axis().name() + "): "
                            + consumer.name() + " is inlined, so it has no loops; compute " + s.name() + " at root or inside a consumer of " + consumer.name());
                checkNotInsideVectorized(s, consumer, at.axis());
                boolean[] found = {false};
                Stmt out = new StmtMutator() {
                    @Override public Stmt mutate(Stmt x) {
                        if (x instanceof For f && f.var() == at.axis().var()) {
                            found[0] = true;
                            return new For(f.var(), f.min(), f.extent(), f.kind(), realize(s, Block.of(produce, f.body())));
                        }
                        return mutateChildren(x);
                    }
                }.mutate(body);
                if (!found[0])
                    throw new IllegalStateException("loop " + at.axis() + " of " + consumer.name() + " not found while attaching " + s.name());
                return out;
            }
            return realize(s, Block.of(produce, body));
        }

        private static void checkNotInsideVectorized(Stage s, Stage consumer, LoopAxis axis) {
            List<LoopAxis> leaves = consumer.leafAxes();
            int pos = leaves.indexOf(axis);
            for (int i = 0; i <= pos; i++) {
                if (consumer.loopKind(leaves.get(i)) == LoopKind.VECTORIZED) {
                    List<String> legal = new ArrayList<>(List.of("root"));
                    for (int j = 0; j < i; j++) legal.add(leaves.get(j).name());
                    throw new TesseraUserError("compute_at(" + s.name() + ", " + consumer.name() + ", " + axis.name() + "): loop "
                            + axis.name() + " is at or inside the vectorized loop " + leaves.get(i).name()
                            + ", where a stage cannot be computed; legal levels: " + legal + " (or inline)");
                }
            }
        }

        private Stmt realize(Stage s, Stmt body) {
            return new Realize(s.op(), List.of(), List.of(), List.of(), body);
        }

        /** The loop nest computing stage s over its symbolic region. */
        private Stmt produce(Stage s) {
            ComputeOp op = s.op();
            Map<LoopAxis, Expr> extent = new HashMap<>();
            List<LoopAxis> roots = s.rootAxes();
            for (int d = 0; d < roots.size(); d++) {
                LoopAxis r = roots.get(d);
                extent.put(r, r.isReduce() ? s.allAxes().get(d).extent() : extents.get(op).get(d));
            }
            for (AxisRelation rel : s.relations()) {
                switch (rel) {
                    case AxisRelation.Split sp -> {
                        Expr pe = extent.get(sp.parent());
                        if (sp.factor() > 0) {
                            extent.put(sp.outer(), ceilDiv(pe, sp.factor()));
                            extent.put(sp.inner(), Te.c(sp.factor()));
                        } else {
                            extent.put(sp.outer(), Te.c(sp.nparts()));
                            extent.put(sp.inner(), ceilDiv(pe, sp.nparts()));
                        }
                    }
                    case AxisRelation.Fuse f -> extent.put(f.fused(), Te.mul(extent.get(f.outer()), extent.get(f.inner())));
                }
            }
            reach.put(op, reach(s, extent));
            // Recover each axis's value (an offset from its region's start) from the leaf loop variables.
            Map<LoopAxis, Expr> value = new HashMap<>();
            for (LoopAxis leaf : s.leafAxes()) value.put(leaf, leaf.var());
            List<Expr> spatialGuards = new ArrayList<>(), reduceGuards = new ArrayList<>();
            boolean roundUp = false;
            List<AxisRelation> rels = new ArrayList<>(s.relations());
            java.util.Collections.reverse(rels);
            for (AxisRelation rel : rels) {
                switch (rel) {
                    case AxisRelation.Fuse f -> {
                        Expr v = value.get(f.fused());
                        Expr innerExt = extent.get(f.inner());
                        value.put(f.outer(), Te.div(v, innerExt));
                        value.put(f.inner(), Te.mod(v, innerExt));
                    }
                    case AxisRelation.Split sp -> {
                        Expr o = value.get(sp.outer()), i = value.get(sp.inner());
                        Expr pe = extent.get(sp.parent());
                        Expr step = sp.factor() > 0 ? Te.c(sp.factor()) : extent.get(sp.inner());
                        Expr v;
                        if (sp.tail() == TailStrategy.SHIFT_INWARD) {
                            v = Te.add(Te.max(Te.min(Te.mul(o, step), Te.sub(pe, step)), Te.c(0)), i);
                        } else {
                            v = Te.add(Te.mul(o, step), i);
                        }
                        value.put(sp.parent(), v);
                        if (sp.tail() == TailStrategy.ROUND_UP) roundUp = true;
                        else if (!divides(sp, pe)) (sp.parent().isReduce() ? reduceGuards : spatialGuards).add(Te.lt(v, pe));
                    }
                }
            }
            List<Stmt> provides = new ArrayList<>();
            Map<Var, Expr> rootValues = new HashMap<>();
            List<Expr> index = new ArrayList<>();
            for (int d = 0; d < roots.size(); d++) {
                LoopAxis r = roots.get(d);
                Expr v = r.isReduce() ? value.get(r) : Te.add(mins.get(op).get(d), value.get(r));
                rootValues.put(s.allAxes().get(d).var(), v);
                if (!r.isReduce()) index.add(s.allAxes().get(d).var());
            }
            List<Expr> bs = bodies.get(op);
            if (roundUp) bs = bs.stream().map(this::clampReads).toList();
            List<LoopAxis> leaves = s.leafAxes();
            if (!s.isReduction()) {
                for (int v = 0; v < bs.size(); v++) provides.add(new Provide(op.outputs().get(v), index, bs.get(v)));
                Stmt inner = guard(spatialGuards, Block.of(provides));
                inner = bindRoots(s, rootValues, inner, false);
                return loops(s, leaves, extent, inner, Map.of());
            }
            // Reduction: the init nest runs over the spatial loops inside the outermost reduction loop.
            int firstReduce = 0;
            while (firstReduce < leaves.size() && !leaves.get(firstReduce).isReduce()) firstReduce++;
            List<LoopAxis> outer = leaves.subList(0, firstReduce), rest = leaves.subList(firstReduce, leaves.size());
            Reduce red = (Reduce) bs.get(0);
            Reducer reducer = red.reducer();
            List<Stmt> inits = new ArrayList<>();
            for (int v = 0; v < bs.size(); v++) inits.add(new Provide(op.outputs().get(v), index, reducer.identity().get(v)));
            Stmt init = bindRoots(s, rootValues, guard(spatialGuards, Block.of(inits)), true);
            List<LoopAxis> initLoops = rest.stream().filter(a -> !a.isReduce()).toList();
            Map<Var, Var> fresh = new HashMap<>();
            for (LoopAxis a : initLoops) fresh.put(a.var(), Var.index(a.name()));
            init = loops(s, initLoops, extent, init, fresh);
            // Update: out = combine(out, sources), all values computed before any is stored.
            Map<Var, Expr> combineArgs = new HashMap<>();
            for (int v = 0; v < bs.size(); v++) {
                combineArgs.put(reducer.lhs().get(v), new TensorRead(op.outputs().get(v), index));
                combineArgs.put(reducer.rhs().get(v), red.sources().get(v));
            }
            Stmt update;
            if (bs.size() == 1) {
                update = new Provide(op.outputs().get(0), index, Exprs.substitute(reducer.combine().get(0), combineArgs));
            } else {
                List<Var> temps = new ArrayList<>();
                List<Stmt> stores = new ArrayList<>();
                for (int v = 0; v < bs.size(); v++) {
                    Var t = new Var(op.name() + ".v" + v, reducer.types().get(v));
                    temps.add(t);
                    stores.add(new Provide(op.outputs().get(v), index, t));
                }
                update = Block.of(stores);
                for (int v = bs.size() - 1; v >= 0; v--)
                    update = new LetStmt(temps.get(v), Exprs.substitute(reducer.combine().get(v), combineArgs), update);
            }
            if (!(red.condition() instanceof IntImm c && c.value() == 1)) update = new IfThenElse(red.condition(), update, null);
            List<Expr> guards = new ArrayList<>(spatialGuards);
            guards.addAll(reduceGuards);
            LoopAxis acrossThreads = threadReductionLoop(s, rest);
            if (acrossThreads != null) {
                Stmt reduce = crossThreadReduction(s, acrossThreads, rest, extent, red, index, rootValues, spatialGuards, guards);
                return loops(s, outer, extent, Block.of(init, reduce), Map.of());
            }
            update = bindRoots(s, rootValues, guard(guards, update), false);
            update = loops(s, rest, extent, update, Map.of());
            return loops(s, outer, extent, Block.of(init, update), Map.of());
        }

        /** The reduction loop of {@code s} bound to a thread index, if any, after checking the nest allows it. */
        private LoopAxis threadReductionLoop(Stage s, List<LoopAxis> rest) {
            List<LoopAxis> bound = rest.stream().filter(a -> a.isReduce() && s.loopKind(a).isGpuThread()).toList();
            if (bound.isEmpty()) return null;
            LoopAxis t = bound.get(0);
            String what = "the reduction of " + s.name() + " across threads (loop " + t.name() + " bound to " + s.loopKind(t).threadTag() + ")";
            if (bound.size() > 1)
                throw new TesseraUserError(what + ": loop " + bound.get(1).name() + " is bound to " + s.loopKind(bound.get(1)).threadTag()
                        + " as well; bind one reduction loop of a stage to threads (fuse the reduction loops first)");
            List<String> spatialInside = rest.stream().filter(a -> !a.isReduce()).map(LoopAxis::name).toList();
            if (!spatialInside.isEmpty())
                throw new TesseraUserError(what + ": the spatial loops " + spatialInside + " run inside the reduction loops; "
                        + "reorder them outside the reduction loops (each group of threads then combines one result)");
            return t;
        }

        /**
         * The update nest of a reduction whose loop {@code t} is bound to threads: thread t folds its
         * share of the elements into partial[t] (the other reduction loops run inside it, in their
         * order), then a {@link CrossThreadReduce} combines the partials and folds them into the output.
         */
        private Stmt crossThreadReduction(Stage s, LoopAxis t, List<LoopAxis> rest, Map<LoopAxis, Expr> extent, Reduce red,
                                          List<Expr> index, Map<Var, Expr> rootValues, List<Expr> spatialGuards, List<Expr> guards) {
            ComputeOp op = s.op();
            Reducer reducer = red.reducer();
            Long threads = Exprs.constInt(extent.get(t));
            if (threads == null)
                throw new TesseraUserError("loop " + t.name() + " of " + s.name() + " (bound to " + s.loopKind(t).threadTag() + "): its extent "
                        + extent.get(t) + " is not a constant; the threads of a block are fixed at launch: split the loop by a constant factor and bind the inner loop");
            int n = reducer.arity();
            List<BufferRef> partials = new ArrayList<>();
            for (int v = 0; v < n; v++) partials.add(new BufferRef(op.outputs().get(v).name() + ".partial", reducer.types().get(v)));
            Map<Var, Expr> accumulate = new HashMap<>(), finish = new HashMap<>();
            for (int v = 0; v < n; v++) {
                accumulate.put(reducer.lhs().get(v), new Load(partials.get(v), t.var()));
                accumulate.put(reducer.rhs().get(v), red.sources().get(v));
                finish.put(reducer.lhs().get(v), new TensorRead(op.outputs().get(v), index));
                finish.put(reducer.rhs().get(v), new Load(partials.get(v), Te.c(0)));
            }
            List<Stmt> inits = new ArrayList<>(), folds = new ArrayList<>(), writes = new ArrayList<>();
            List<Var> temps = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                inits.add(new Store(partials.get(v), t.var(), reducer.identity().get(v)));
                Var tv = new Var(op.name() + ".v" + v, reducer.types().get(v));
                temps.add(tv);
                folds.add(new Store(partials.get(v), t.var(), tv));
                writes.add(new Provide(op.outputs().get(v), index, Exprs.substitute(reducer.combine().get(v), finish)));
            }
            // All combined values are computed before any is stored (tuple reducers read each other's lhs).
            Stmt fold = Block.of(folds);
            for (int v = n - 1; v >= 0; v--) fold = new LetStmt(temps.get(v), Exprs.substitute(reducer.combine().get(v), accumulate), fold);
            if (!(red.condition() instanceof IntImm c && c.value() == 1)) fold = new IfThenElse(red.condition(), fold, null);
            fold = bindRoots(s, rootValues, guard(guards, fold), false);
            List<LoopAxis> serial = rest.stream().filter(a -> a != t).toList();
            Stmt perThread = loops(s, List.of(t), extent, Block.of(Block.of(inits), loops(s, serial, extent, fold, Map.of())), Map.of());
            Stmt write = bindRoots(s, rootValues, guard(spatialGuards, Block.of(writes)), true);
            Stmt body = Block.of(perThread, new CrossThreadReduce(reducer, partials, s.loopKind(t), threads, List.of(), write));
            for (int v = n - 1; v >= 0; v--) body = new Allocate(partials.get(v), Te.c(threads), body);
            return body;
        }

        /**
         * One past the largest offset each spatial root axis takes. Guarded and shift-inward splits
         * stay within the extent; a round-up split of an axis reaching r in its outer loop reaches
         * (r - 1) * factor + inner reach.
         */
        private static List<Expr> reach(Stage s, Map<LoopAxis, Expr> extent) {
            Map<LoopAxis, Expr> r = new HashMap<>();
            for (LoopAxis leaf : s.leafAxes()) r.put(leaf, extent.get(leaf));
            List<AxisRelation> rels = new ArrayList<>(s.relations());
            java.util.Collections.reverse(rels);
            for (AxisRelation rel : rels) {
                switch (rel) {
                    case AxisRelation.Fuse f -> {
                        r.put(f.outer(), extent.get(f.outer()));
                        r.put(f.inner(), extent.get(f.inner()));
                    }
                    case AxisRelation.Split sp -> r.put(sp.parent(), sp.tail() == TailStrategy.ROUND_UP
                            ? Te.add(Te.mul(Te.sub(r.get(sp.outer()), Te.c(1)), Te.c(sp.factor())), r.get(sp.inner()))
                            : extent.get(sp.parent()));
                }
            }
            List<Expr> out = new ArrayList<>();
            for (LoopAxis root : s.rootAxes()) if (!root.isReduce()) out.add(r.get(root));
            return out;
        }

        /** Lets binding the compute's root variables (spatial only for an init nest) around a statement. */
        private static Stmt bindRoots(Stage s, Map<Var, Expr> rootValues, Stmt body, boolean spatialOnly) {
            List<Axis> axes = spatialOnly ? s.op().axes() : s.allAxes();
            for (int d = axes.size() - 1; d >= 0; d--) {
                Var v = axes.get(d).var();
                body = new LetStmt(v, rootValues.get(v), body);
            }
            return body;
        }

        private Stmt loops(Stage s, List<LoopAxis> axes, Map<LoopAxis, Expr> extent, Stmt body, Map<Var, Var> rename) {
            for (int i = axes.size() - 1; i >= 0; i--) {
                LoopAxis a = axes.get(i);
                Var v = rename.getOrDefault(a.var(), a.var());
                body = new For(v, Te.c(0), extent.get(a), s.loopKind(a), body);
            }
            if (!rename.isEmpty()) body = Substitute.vars(body, rename);
            return body;
        }

        private static Stmt guard(List<Expr> conds, Stmt body) {
            if (conds.isEmpty()) return body;
            Expr c = conds.get(0);
            for (int i = 1; i < conds.size(); i++) c = Te.and(c, conds.get(i));
            return new IfThenElse(c, body, null);
        }

        /** Clamps every tensor read to the tensor's domain (a round-up stage computes points past its region). */
        private Expr clampReads(Expr e) {
            return new ExprMutator() {
                @Override public Expr mutate(Expr x) {
                    Expr m = mutateChildren(x);
                    if (m instanceof TensorRead tr) { // inlined stages are already substituted
                        List<Expr> idx = new ArrayList<>();
                        for (int d = 0; d < tr.indices().size(); d++)
                            idx.add(Te.max(Te.min(tr.indices().get(d), Te.sub(tr.tensor().shape().get(d), Te.c(1))), Te.c(0)));
                        return new TensorRead(tr.tensor(), idx);
                    }
                    return m;
                }
            }.mutate(e);
        }

        private static boolean divides(AxisRelation.Split sp, Expr parentExtent) {
            Long pe = Exprs.constInt(parentExtent);
            if (pe == null) return false;
            return sp.factor() > 0 ? pe % sp.factor() == 0 : pe % sp.nparts() == 0;
        }

        private static Expr ceilDiv(Expr a, long b) {
            Long c = Exprs.constInt(a);
            if (c != null) return Te.c((c + b - 1) / b);
            return Te.div(Te.add(a, Te.c(b - 1)), Te.c(b));
        }
    }
}
