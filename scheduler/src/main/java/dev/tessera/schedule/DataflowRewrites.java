package dev.tessera.schedule;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprMutator;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The primitives that change the dataflow graph rather than one stage's loops: {@code rfactor},
 * {@code cache_read}, {@code cache_write} and {@code prepack}. Each makes a new compute stage and rewrites the
 * definitions of existing stages to read it; the operator's own compute ops stay untouched.
 */
final class DataflowRewrites {
    private DataflowRewrites() {}

    static Stage rfactor(Schedule schedule, Stage st, Step.Rfactor step) {
        String where = "rfactor(" + st.name() + ", " + step.axis() + ")";
        if (!st.isReduction())
            throw new TesseraUserError(where + ": " + st.name() + " is not a reduction; rfactor factors a reduction axis out of a reduction stage");
        LoopAxis factored = st.leafAxes().stream().filter(a -> a.name().equals(step.axis())).findFirst().orElseThrow(() ->
                new TesseraUserError(where + ": stage " + st.name() + " has no loop '" + step.axis() + "'; its reduction loops are "
                        + st.leafAxes().stream().filter(LoopAxis::isReduce).map(LoopAxis::name).toList()));
        if (!factored.isReduce())
            throw new TesseraUserError(where + ": " + step.axis() + " is a spatial loop; rfactor takes one of the reduction loops "
                    + st.leafAxes().stream().filter(LoopAxis::isReduce).map(LoopAxis::name).toList());
        checkNothingComputedAt(schedule, st, where, "rfactor");
        // The only loop transformation allowed before rfactor is the split that makes the factored loop.
        AxisRelation.Split split = null;
        for (AxisRelation rel : st.relations()) {
            if (rel instanceof AxisRelation.Split sp && (sp.outer() == factored || sp.inner() == factored) && st.rootAxes().contains(sp.parent()) && split == null)
                split = sp;
            else
                throw new TesseraUserError(where + ": apply rfactor before other loop transformations of " + st.name()
                        + " (only the split of a root reduction axis that makes " + step.axis() + " may come first)");
        }
        for (LoopAxis a : st.leafAxes())
            if (st.loopKind(a) != LoopKind.SERIAL)
                throw new TesseraUserError(where + ": apply rfactor before annotating the loops of " + st.name() + " (" + a.name() + " is "
                        + st.loopKind(a).name().toLowerCase() + ")");
        Reduce red = (Reduce) st.bodies().get(0);
        ComputeOp op = st.op();
        int rank = op.axes().size();

        // Express every root reduction variable over the rf stage's variables.
        Axis factoredRoot = split == null ? rootAxis(st, factored) : rootAxis(st, split.parent());
        Expr factoredExtent;
        Axis remaining = null; // the other half of the split, still reduced in the rf stage
        if (split == null) {
            factoredExtent = factoredRoot.extent();
        } else {
            Expr pe = factoredRoot.extent();
            Expr outerExt = split.factor() > 0 ? ceilDiv(pe, split.factor()) : Te.c(split.nparts());
            Expr innerExt = split.factor() > 0 ? Te.c(split.factor()) : ceilDiv(pe, split.nparts());
            boolean inner = split.inner() == factored;
            factoredExtent = inner ? innerExt : outerExt;
            remaining = Te.reduceAxis((inner ? split.outer() : split.inner()).name(), inner ? outerExt : innerExt);
        }
        List<Expr> shape = new ArrayList<>(op.axes().stream().map(Axis::extent).toList());
        shape.add(factoredExtent);
        List<String> axisNames = new ArrayList<>(op.axes().stream().map(Axis::name).toList());
        axisNames.add(factored.name());
        final Axis rest = remaining;
        final AxisRelation.Split sp = split;
        // A stage factored again (a second level of partial results) gets S.rf1, S.rf2, ... as cache_read names its copies.
        String rfName = st.name() + ".rf";
        for (int n = 1; schedule.nameTaken(rfName); n++) rfName = st.name() + ".rf" + n;
        List<Tensor> rf = Te.computeMulti(rfName, shape, axisNames, v -> {
            Map<Var, Expr> sub = new HashMap<>();
            for (int d = 0; d < rank; d++) sub.put(op.axes().get(d).var(), v.get(d));
            Var f = v.get(rank);
            Expr condition = red.condition();
            List<Axis> axes = new ArrayList<>();
            for (Axis a : red.axes()) {
                if (a != factoredRoot) {
                    axes.add(a); // other root reduction axes stay reduced, with their own variables
                    continue;
                }
                if (sp == null) {
                    sub.put(a.var(), f);
                    continue;
                }
                Expr innerExtent = sp.factor() > 0 ? Te.c(sp.factor()) : ceilDiv(a.extent(), sp.nparts());
                Expr o = sp.inner() == factored ? rest.var() : f;
                Expr i = sp.inner() == factored ? f : rest.var();
                Expr k = Te.add(Te.mul(o, innerExtent), i);
                sub.put(a.var(), k);
                if (!divides(a.extent(), sp)) condition = Te.and(condition, Te.lt(k, a.extent()));
                axes.add(rest);
            }
            List<Expr> sources = red.sources().stream().map(x -> Exprs.substitute(x, sub)).toList();
            Expr cond = Exprs.substitute(condition, sub);
            if (!axes.isEmpty()) return Te.reduce(red.reducer(), sources, axes, cond);
            // Nothing left to reduce: each rf point is one element (or the identity where the condition fails).
            List<Expr> out = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++)
                out.add(isTrue(cond) ? sources.get(i) : Te.select(cond, sources.get(i), red.reducer().identity().get(i)));
            return out;
        });
        Stage made = schedule.insertBefore(st, (ComputeOp) rf.get(0).op(), where);
        Axis k = Te.reduceAxis(factored.name(), factoredExtent);
        List<Expr> idx = new ArrayList<>(op.axes().stream().map(a -> (Expr) a.var()).toList());
        idx.add(k.var());
        List<Expr> sources = rf.stream().map(t -> (Expr) new TensorRead(t, idx)).toList();
        st.redefine(Te.reduce(red.reducer(), sources, List.of(k), IntImm.bool(true)));
        return made;
    }

    /** The rewrite gives {@code st} new loops, so no other stage may be computed at its old ones yet. */
    private static void checkNothingComputedAt(Schedule schedule, Stage st, String where, String primitive) {
        for (Stage other : schedule.stages())
            if (other.attachment() instanceof Attachment.At at && at.consumer() == st)
                throw new TesseraUserError(where + ": " + other.name() + " is computed at loop " + at.axis().name() + " of " + st.name()
                        + ", and " + primitive + " makes new loops for " + st.name() + "; apply " + primitive + " first, then compute_at");
    }

    static Stage cacheWrite(Schedule schedule, Stage st, Step.CacheWrite step) {
        String where = "cache_write(" + st.name() + ")";
        st.checkNotPrepacked(where);
        if (st.attachment() instanceof Attachment.Inline)
            throw new TesseraUserError(where + ": " + st.name() + " is inlined and stores nothing; compute it at root or at a loop first");
        if (st.hasLoopSchedule())
            throw new TesseraUserError(where + ": apply cache_write before splitting, reordering or annotating the loops of " + st.name());
        checkNothingComputedAt(schedule, st, where, "cache_write");
        ComputeOp op = st.op();
        List<Expr> shape = op.axes().stream().map(Axis::extent).toList();
        List<String> names = op.axes().stream().map(Axis::name).toList();
        List<Tensor> local = Te.computeMulti(st.name() + ".local", shape, names, v -> {
            Map<Var, Expr> sub = new HashMap<>();
            for (int d = 0; d < v.size(); d++) sub.put(op.axes().get(d).var(), v.get(d));
            return st.bodies().stream().map(b -> Exprs.substitute(b, sub)).toList();
        });
        Stage made = schedule.insertBefore(st, (ComputeOp) local.get(0).op(), where);
        List<Expr> idx = op.axes().stream().map(a -> (Expr) a.var()).toList();
        st.redefine(local.stream().map(t -> (Expr) new TensorRead(t, idx)).toList());
        return made;
    }

    static Stage cacheRead(Schedule schedule, Step.CacheRead step) {
        String where = "cache_read(" + step.tensor() + ", " + step.readers() + ")";
        Tensor tensor = schedule.tensorNamed(step.tensor(), where);
        if (step.readers().isEmpty()) throw new TesseraUserError(where + ": name at least one stage that reads " + step.tensor());
        List<Stage> readers = new ArrayList<>();
        List<String> direct = new ArrayList<>();
        for (Stage s : schedule.stages()) if (s.inputs().contains(tensor)) direct.add(s.name());
        for (String r : step.readers()) {
            Stage s = schedule.stage(r);
            if (!s.inputs().contains(tensor))
                throw new TesseraUserError(where + ": stage " + r + " does not read " + step.tensor() + "; stages that read it: " + direct);
            if (readers.contains(s)) throw new TesseraUserError(where + ": reader " + r + " is named twice");
            if (s.isPrepacked())
                throw new TesseraUserError(where + ": " + r + " is prepacked and reads the constant inputs themselves (it runs once ahead of calls, "
                        + "so a copy of its input would be made on every call for nothing); name other readers " + direct);
            readers.add(s);
        }
        String name = tensor.name() + ".cache";
        for (int n = 1; schedule.nameTaken(name); n++) name = tensor.name() + ".cache" + n;
        List<String> axisNames = tensor.op() instanceof ComputeOp c ? c.axes().stream().map(Axis::name).toList() : Te.defaultAxisNames(tensor.shape().size());
        Tensor cache = Te.compute(name, tensor.shape(), axisNames, v -> tensor.at(v.toArray(Expr[]::new)));
        Stage first = readers.get(0);
        for (Stage s : schedule.stages()) if (readers.contains(s)) { first = s; break; }
        Stage made = schedule.insertBefore(first, (ComputeOp) cache.op(), where);
        for (Stage r : readers) r.rewriteReads(b -> redirect(b, tensor, cache));
        return made;
    }

    /**
     * Makes the packed copy {@code <tensor>.packed} of a constant input in the layout the step
     * describes and redirects every reader to it: a read {@code T[.., x, ..]} of a dimension split by
     * f becomes {@code P[.., x / f, .., x % f, ..]}, the packed dimensions in the step's order.
     */
    static Stage prepack(Schedule schedule, Step.Prepack step) {
        String where = "prepack(" + step.tensor() + ", splits=" + step.splits().stream().map(x -> x.dim() + " by " + x.factor()).toList()
                + (step.order().isEmpty() ? "" : ", order=" + step.order()) + ")";
        Tensor tensor = schedule.tensorNamed(step.tensor(), where);
        List<String> inputNames = schedule.inputs().stream().map(Tensor::name).toList();
        if (!schedule.inputs().contains(tensor)) return precompute(schedule, step, tensor, where, inputNames);
        List<Stage> readers = new ArrayList<>();
        for (Stage s : schedule.stages()) if (s.inputs().contains(tensor)) readers.add(s);
        for (Stage r : readers)
            if (r.isPrepacked()) throw new TesseraUserError(where + ": " + step.tensor() + " is already prepacked as " + r.name() + "; a constant is packed once");
        if (readers.isEmpty()) throw new TesseraUserError(where + ": no stage reads " + step.tensor());
        List<String> dims = Te.defaultAxisNames(tensor.rank());
        Map<String, Long> factors = new java.util.LinkedHashMap<>();
        for (Step.LayoutSplit sp : step.splits()) {
            if (!dims.contains(sp.dim()))
                throw new TesseraUserError(where + ": " + step.tensor() + " has no dimension '" + sp.dim() + "'; its dimensions: " + dims);
            if (sp.factor() < 1) throw new TesseraUserError(where + ": split factors must be at least 1, got " + sp.factor() + " for " + sp.dim());
            if (factors.put(sp.dim(), sp.factor()) != null) throw new TesseraUserError(where + ": dimension " + sp.dim() + " is split twice");
        }
        List<String> outers = new ArrayList<>(), plain = new ArrayList<>(), inners = new ArrayList<>();
        for (String d : dims) {
            if (factors.containsKey(d)) {
                outers.add(d + ".outer");
                inners.add(d + ".inner");
            } else {
                plain.add(d);
            }
        }
        List<String> layoutDims = new ArrayList<>(outers);
        layoutDims.addAll(plain);
        layoutDims.addAll(inners);
        List<String> order = step.order().isEmpty() ? layoutDims : step.order();
        if (order.size() != layoutDims.size() || !new java.util.HashSet<>(order).equals(new java.util.HashSet<>(layoutDims)))
            throw new TesseraUserError(where + ": the order must name each packed dimension once; they are " + layoutDims + " (in any order)");
        List<Expr> shape = new ArrayList<>();
        for (String d : order) {
            String base = baseDim(d);
            Expr extent = tensor.shape().get(dims.indexOf(base));
            shape.add(d.endsWith(".outer") ? ceilDiv(extent, factors.get(base)) : d.endsWith(".inner") ? Te.c(factors.get(base)) : extent);
        }
        String name = tensor.name() + ".packed";
        Tensor packed = Te.compute(name, shape, order, v -> {
            Expr[] index = new Expr[dims.size()];
            Expr inside = null;
            for (int d = 0; d < dims.size(); d++) {
                String dim = dims.get(d);
                Long f = factors.get(dim);
                if (f == null) {
                    index[d] = v.get(order.indexOf(dim));
                    continue;
                }
                index[d] = Te.add(Te.mul(v.get(order.indexOf(dim + ".outer")), Te.c(f)), v.get(order.indexOf(dim + ".inner")));
                Long extent = Exprs.constInt(tensor.shape().get(d));
                if (extent == null || extent % f != 0) {
                    Expr lt = Te.lt(index[d], tensor.shape().get(d));
                    inside = inside == null ? lt : Te.and(inside, lt);
                }
            }
            Expr read = tensor.at(index);
            return inside == null ? read : Te.select(inside, read, 0.0);
        });
        Stage made = schedule.insertBefore(readers.get(0), (ComputeOp) packed.op(), where);
        made.markPrepacked();
        for (Stage r : readers) r.rewriteReads(b -> new ExprMutator() {
            @Override public Expr mutate(Expr x) {
                Expr m = mutateChildren(x);
                if (!(m instanceof TensorRead tr && tr.tensor() == tensor)) return m;
                List<Expr> idx = new ArrayList<>();
                for (String d : order) {
                    Expr original = tr.indices().get(dims.indexOf(baseDim(d)));
                    Long f = factors.get(baseDim(d));
                    idx.add(d.endsWith(".outer") ? Te.div(original, Te.c(f)) : d.endsWith(".inner") ? Te.mod(original, Te.c(f)) : original);
                }
                return new TensorRead(packed, idx);
            }
        }.mutate(b));
        return made;
    }

    /**
     * Prepack of a computed stage: a function of constant inputs alone (a convolution's transformed
     * weights), computed once ahead of calls in its own function as it stands; every input it reads
     * becomes constant, so no other stage may read one. Its layout is its storage order
     * ({@code reorder_storage}), not splits.
     */
    private static Stage precompute(Schedule schedule, Step.Prepack step, Tensor tensor, String where, List<String> inputNames) {
        Stage stage = schedule.stage(tensor.name());
        String legal = "prepack takes a kernel input that is constant across calls (a weight), one of " + inputNames
                + ", or a stage computed from such inputs alone";
        if (!step.splits().isEmpty() || !step.order().isEmpty())
            throw new TesseraUserError(where + ": " + tensor.name() + " is a computed stage, prepacked as it stands; lay it out with "
                    + "reorder_storage before prepack, not with splits or an order (those pack a kernel input)");
        if (stage.isPrepacked()) throw new TesseraUserError(where + ": " + tensor.name() + " is already prepacked; a constant is packed once");
        if (stage.isOutput()) throw new TesseraUserError(where + ": " + tensor.name() + " is an output of the kernel; " + legal);
        if (stage.inputs().isEmpty())
            throw new TesseraUserError(where + ": " + tensor.name() + " reads no kernel input, so there is nothing to pack; " + legal);
        for (Tensor in : stage.inputs())
            if (!schedule.inputs().contains(in))
                throw new TesseraUserError(where + ": " + tensor.name() + " reads " + in.name() + ", which the kernel computes on every call; " + legal);
        if (!(stage.attachment() instanceof Attachment.Root))
            throw new TesseraUserError(where + ": " + tensor.name() + " is " + (stage.attachment() instanceof Attachment.Inline ? "inlined" : "computed at "
                    + "another stage's loop") + "; a prepacked stage is computed at root, once: prepack it before compute_inline or compute_at");
        for (Stage other : schedule.stages())
            for (Tensor in : stage.inputs())
                if (other != stage && other.inputs().contains(in))
                    throw new TesseraUserError(where + ": " + in.name() + " is also read by " + other.name() + ", so the kernel cannot drop it "
                            + "as a constant packed ahead of calls; prepack a stage that is the only reader of its inputs");
        stage.markPrepacked();
        return stage;
    }

    private static String baseDim(String layoutDim) {
        return layoutDim.endsWith(".outer") || layoutDim.endsWith(".inner") ? layoutDim.substring(0, layoutDim.length() - 6) : layoutDim;
    }

    private static Expr redirect(Expr e, Tensor from, Tensor to) {
        return new ExprMutator() {
            @Override public Expr mutate(Expr x) {
                Expr m = mutateChildren(x);
                return m instanceof TensorRead tr && tr.tensor() == from ? new TensorRead(to, tr.indices()) : m;
            }
        }.mutate(e);
    }

    private static Axis rootAxis(Stage st, LoopAxis root) {
        return st.allAxes().get(st.rootAxes().indexOf(root));
    }

    private static boolean divides(Expr extent, AxisRelation.Split sp) {
        Long e = Exprs.constInt(extent);
        return e != null && e % (sp.factor() > 0 ? sp.factor() : sp.nparts()) == 0 && (sp.factor() > 0 || e / sp.nparts() > 0);
    }

    private static boolean isTrue(Expr e) { return e instanceof IntImm i && i.value() == 1; }

    private static Expr ceilDiv(Expr a, long b) {
        Long c = Exprs.constInt(a);
        if (c != null) return Te.c((c + b - 1) / b);
        return Te.div(Te.add(a, Te.c(b - 1)), Te.c(b));
    }
}
