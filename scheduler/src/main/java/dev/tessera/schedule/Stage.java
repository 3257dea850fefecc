package dev.tessera.schedule;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The schedule of one compute stage: its current definition, its loop axes (root, split and
 * fused), their order and annotations, and where the stage is computed. The definition starts as
 * the compute's own bodies; {@code rfactor}, {@code cache_read} and {@code cache_write} rewrite it
 * (the compute op keeps naming the stage's storage and outputs, so the reference semantics stay
 * those of the original definition). Every primitive validates its request, appends a
 * {@link Step} to the owning {@link Schedule}'s trace, and raises {@link TesseraUserError} naming
 * the step and what would be legal.
 */
public final class Stage {
    /** The two axes a split makes. */
    public record Parts(LoopAxis outer, LoopAxis inner) {}

    /** The four axes a tile makes, in loop order. */
    public record Tiles(LoopAxis xOuter, LoopAxis yOuter, LoopAxis xInner, LoopAxis yInner) {}

    private final Schedule schedule;
    private final ComputeOp op;
    private final boolean isOutput;
    private final List<LoopAxis> rootAxes = new ArrayList<>();
    private final List<LoopAxis> leaves = new ArrayList<>();
    private final List<AxisRelation> relations = new ArrayList<>();
    private final Map<LoopAxis, LoopKind> kinds = new HashMap<>();
    private final Map<String, LoopAxis> byName = new LinkedHashMap<>();
    private Attachment attachment = new Attachment.Root();
    private List<Expr> bodies;
    private final Map<Integer, long[]> storageAlign = new HashMap<>();
    /** The storage dimensions, outermost first, as reorder_storage set them; null: the definition's order. */
    private int[] storageOrder;
    private final List<Step.Prefetch> prefetches = new ArrayList<>();
    private String scope;
    private boolean prepacked;

    Stage(Schedule schedule, ComputeOp op, boolean isOutput) {
        this.schedule = schedule;
        this.op = op;
        this.isOutput = isOutput;
        redefine(op.bodies());
    }

    /** Replaces the definition (over the same spatial axes) and resets the loops to its root axes. */
    void redefine(List<Expr> newBodies) {
        bodies = List.copyOf(newBodies);
        rootAxes.clear();
        leaves.clear();
        relations.clear();
        kinds.clear();
        byName.clear();
        prefetches.clear();
        for (Axis a : allAxes()) {
            LoopAxis la = new LoopAxis(a.name(), a.kind(), Var.index(a.name()));
            rootAxes.add(la);
            leaves.add(la);
            byName.put(la.name(), la);
        }
    }

    /** Rewrites reads in the definition without touching the loops (the axes stay the same). */
    void rewriteReads(java.util.function.UnaryOperator<Expr> rewrite) {
        bodies = bodies.stream().map(rewrite).toList();
    }

    public String name() { return op.name(); }

    /** Whether this is the packed copy of a constant input, computed once ahead of calls (see {@link Step.Prepack}). */
    public boolean isPrepacked() { return prepacked; }

    void markPrepacked() { prepacked = true; }

    /**
     * Refuses a primitive that would move a prepacked stage off the CPU root, into another stage's
     * loops, or change what it reads: it runs in its own function, once, before any call.
     */
    void checkNotPrepacked(String where) {
        if (prepacked)
            throw new TesseraUserError(where + ": " + name() + " is prepacked: it is computed once ahead of calls, at root in its own "
                    + "CPU function, from constant inputs only; legal for it: split, fuse, reorder, tile, vectorize, unroll, parallel, compute_root");
    }
    /** The compute this stage stores: its name, spatial axes, shape and output tensors. */
    public ComputeOp op() { return op; }
    public boolean isOutput() { return isOutput; }
    public Schedule schedule() { return schedule; }

    /** The current definition, one body per output, over the op's spatial axis variables. */
    public List<Expr> bodies() { return bodies; }

    public boolean isReduction() { return bodies.get(0) instanceof Reduce; }

    /** The reduction axes of the current definition. */
    public List<Axis> reduceAxes() { return bodies.get(0) instanceof Reduce r ? r.axes() : List.of(); }

    /** Spatial axes, then the current definition's reduction axes: the root loops. */
    public List<Axis> allAxes() {
        List<Axis> all = new ArrayList<>(op.axes());
        all.addAll(reduceAxes());
        return all;
    }

    /** The tensors the current definition reads. */
    public List<Tensor> inputs() {
        Set<Tensor> ins = new LinkedHashSet<>();
        for (Expr b : bodies) {
            new ExprVisitor() {
                @Override public void visit(Expr e) {
                    if (e instanceof TensorRead tr) ins.add(tr.tensor());
                    visitChildren(e);
                }
            }.visit(b);
        }
        return List.copyOf(ins);
    }

    /** Whether any loop of the stage has been split, fused, reordered or annotated. */
    boolean hasLoopSchedule() {
        return !relations.isEmpty() || !kinds.isEmpty() || !leaves.equals(rootAxes);
    }

    /** The root axes: the compute's spatial axes, then its reduction axes. */
    public List<LoopAxis> rootAxes() { return Collections.unmodifiableList(rootAxes); }

    /** The loops of the stage, outermost first. */
    public List<LoopAxis> leafAxes() { return Collections.unmodifiableList(leaves); }

    public List<AxisRelation> relations() { return Collections.unmodifiableList(relations); }

    public LoopKind loopKind(LoopAxis axis) { return kinds.getOrDefault(axis, LoopKind.SERIAL); }

    public Attachment attachment() { return attachment; }

    /** The current loop axis with this name. */
    public LoopAxis axis(String name) {
        LoopAxis a = byName.get(name);
        if (a == null || !leaves.contains(a))
            throw new TesseraUserError("stage " + name() + " has no loop axis '" + name + "'; its loops are " + leafNames());
        return a;
    }

    /** The loop axis of the root variable {@code v}. */
    public LoopAxis axis(Var v) {
        List<Axis> axes = allAxes();
        for (int d = 0; d < axes.size(); d++) if (axes.get(d).var() == v) return axis(rootAxes.get(d).name());
        throw new TesseraUserError("variable " + v + " is not an axis of stage " + name() + "; its loops are " + leafNames());
    }

    public List<String> leafNames() { return leaves.stream().map(LoopAxis::name).toList(); }

    // ---- primitives (each validates, records a step, applies) ----

    public Parts split(String axis, long factor) { return split(axis, factor, TailStrategy.GUARD); }

    public Parts split(String axis, long factor, TailStrategy tail) {
        return (Parts) schedule.apply(new Step.Split(name(), axis, factor, 0, tail));
    }

    public Parts split(LoopAxis axis, long factor) { return split(axis.name(), factor); }

    public Parts split(LoopAxis axis, long factor, TailStrategy tail) { return split(axis.name(), factor, tail); }

    /** Splits into {@code nparts} outer iterations (the inner extent is the ceiling of extent / nparts). */
    public Parts splitParts(String axis, long nparts, TailStrategy tail) {
        return (Parts) schedule.apply(new Step.Split(name(), axis, 0, nparts, tail));
    }

    public LoopAxis fuse(String outer, String inner) {
        return (LoopAxis) schedule.apply(new Step.Fuse(name(), outer, inner));
    }

    public LoopAxis fuse(LoopAxis outer, LoopAxis inner) { return fuse(outer.name(), inner.name()); }

    public void reorder(String... order) { schedule.apply(new Step.Reorder(name(), List.of(order))); }

    public void reorder(LoopAxis... order) {
        reorder(java.util.Arrays.stream(order).map(LoopAxis::name).toArray(String[]::new));
    }

    public Tiles tile(String x, String y, long xFactor, long yFactor) {
        return (Tiles) schedule.apply(new Step.Tile(name(), x, y, xFactor, yFactor, TailStrategy.GUARD));
    }

    public Tiles tile(LoopAxis x, LoopAxis y, long xFactor, long yFactor) { return tile(x.name(), y.name(), xFactor, yFactor); }

    /**
     * Multi-level tiling (Ansor's "SSRSRS" structure, written out): splits each named axis into
     * levels by its factors, outermost first (factors {@code [64, 4]} make levels of extent
     * {@code ceil(n/64)}, 16 and 4), then orders the loops level by level, in the order the axes are
     * named within a level; loops not named stay outermost. Records the splits and one reorder, so
     * the trace holds only primitive steps. Returns the loops of each level.
     */
    public List<List<LoopAxis>> tileLevels(Map<String, List<Long>> factorsByAxis) {
        int levels = 1;
        for (List<Long> f : factorsByAxis.values()) levels = Math.max(levels, f.size() + 1);
        List<List<LoopAxis>> byLevel = new ArrayList<>();
        for (int l = 0; l < levels; l++) byLevel.add(new ArrayList<>());
        for (Map.Entry<String, List<Long>> e : factorsByAxis.entrySet()) {
            List<Long> factors = e.getValue();
            for (int i = 1; i < factors.size(); i++)
                if (factors.get(i - 1) % factors.get(i) != 0)
                    throw new TesseraUserError("tile_levels(" + name() + ", " + e.getKey() + ", " + factors
                            + "): each factor must be a multiple of the next (the levels nest)");
            LoopAxis rest = axis(e.getKey());
            int first = levels - factors.size() - 1;
            for (int i = 0; i < factors.size(); i++) {
                long inner = factors.get(i);
                long parentExtent = i == 0 ? 0 : factors.get(i - 1);
                Parts p = i == 0 ? split(rest, inner) : splitParts(rest.name(), parentExtent / inner, TailStrategy.GUARD);
                byLevel.get(first + i).add(p.outer());
                rest = p.inner();
            }
            byLevel.get(levels - 1).add(rest);
        }
        List<LoopAxis> order = new ArrayList<>();
        for (List<LoopAxis> level : byLevel) order.addAll(level);
        reorder(order.toArray(LoopAxis[]::new));
        return byLevel;
    }

    public void vectorize(String axis) { schedule.apply(new Step.Vectorize(name(), axis)); }
    public void vectorize(LoopAxis axis) { vectorize(axis.name()); }
    public void unroll(String axis) { schedule.apply(new Step.Unroll(name(), axis)); }
    public void unroll(LoopAxis axis) { unroll(axis.name()); }
    public void parallel(String axis) { schedule.apply(new Step.Parallel(name(), axis)); }
    public void parallel(LoopAxis axis) { parallel(axis.name()); }

    /** Factors reduction loop {@code axis} into a new stage {@code <name>.rf} (see {@link Step.Rfactor}); returns it. */
    public Stage rfactor(String axis) { return (Stage) schedule.apply(new Step.Rfactor(name(), axis)); }
    public Stage rfactor(LoopAxis axis) { return rfactor(axis.name()); }

    /** Adds a fast path for calls where {@code shapeVar} is a multiple of {@code divisor} (see {@link Step.Specialize}). */
    public void specialize(String shapeVar, long divisor) { schedule.apply(new Step.Specialize(name(), shapeVar, divisor)); }

    /** Pads the stride of storage dimension {@code axis} to {@code factor * n + offset} elements (see {@link Step.StorageAlign}). */
    public void storageAlign(String axis, long factor, long offset) { schedule.apply(new Step.StorageAlign(name(), axis, factor, offset)); }

    /** Lays out the storage with the spatial dimensions {@code order}, outermost first (see {@link Step.ReorderStorage}). */
    public void reorderStorage(String... order) { schedule.apply(new Step.ReorderStorage(name(), List.of(order))); }

    /** The storage dimensions, outermost first: indices into the definition's spatial axes. */
    public int[] storageOrder() {
        if (storageOrder != null) return storageOrder.clone();
        int[] identity = new int[op.axes().size()];
        for (int d = 0; d < identity.length; d++) identity[d] = d;
        return identity;
    }

    /** Prefetches the data of {@code tensor} that iteration {@code distance} steps ahead of loop {@code axis} reads (see {@link Step.Prefetch}). */
    public void prefetch(Tensor tensor, String axis, long distance) { schedule.apply(new Step.Prefetch(name(), tensor.name(), axis, distance)); }

    /** The prefetch requests on this stage's loops, in trace order. */
    public List<Step.Prefetch> prefetches() { return List.copyOf(prefetches); }

    /** Storage alignment per spatial dimension: {factor, offset}, or null. */
    public long[] storageAlignment(int dimension) {
        long[] a = storageAlign.get(dimension);
        return a == null ? null : a.clone();
    }

    /** Moves the definition into a new stage {@code <name>.local} that this stage copies (see {@link Step.CacheWrite}); returns it. */
    public Stage cacheWrite() { return (Stage) schedule.apply(new Step.CacheWrite(name())); }

    /** Binds a loop to a GPU block or thread index, e.g. {@code bind("i.outer", "blockIdx.x")} (see {@link Step.Bind}). */
    public void bind(String axis, String thread) { schedule.apply(new Step.Bind(name(), axis, thread)); }
    public void bind(LoopAxis axis, String thread) { bind(axis.name(), thread); }

    /** Tiles {@code x} and {@code y} and binds the tiles to blocks and their points to threads (see {@link Step.GpuTile}). */
    public Tiles gpuTile(String x, String y, long xFactor, long yFactor) {
        return (Tiles) schedule.apply(new Step.GpuTile(name(), x, y, xFactor, yFactor));
    }

    /** Splits {@code x} by {@code factor}, binding the outer loop to {@code blockIdx.x} and the inner to {@code threadIdx.x}. */
    public Parts gpuTile(String x, long factor) {
        Tiles t = (Tiles) schedule.apply(new Step.GpuTile(name(), x, null, factor, 0));
        return new Parts(t.xOuter(), t.xInner());
    }

    /** Places the stage's storage in GPU memory scope {@code global}, {@code shared} or {@code local} (see {@link Step.SetScope}). */
    public void setScope(String scope) { schedule.apply(new Step.SetScope(name(), scope)); }

    /** The GPU memory scope set by {@code set_scope}, or null for the default by placement. */
    public String scope() { return scope; }

    public void computeAt(Stage consumer, String axis) { schedule.apply(new Step.ComputeAt(name(), consumer.name(), axis)); }
    public void computeAt(Stage consumer, LoopAxis axis) { computeAt(consumer, axis.name()); }
    public void computeInline() { schedule.apply(new Step.ComputeInline(name())); }
    public void computeRoot() { schedule.apply(new Step.ComputeRoot(name())); }

    // ---- application of steps (called by Schedule.apply, which records them) ----

    Parts applySplit(Step.Split s) {
        String where = "split(" + name() + ", " + s.axis() + (s.factor() > 0 ? ", factor=" + s.factor() : ", nparts=" + s.nparts()) + ")";
        LoopAxis parent = leafOrError(s.axis(), where);
        if ((s.factor() > 0) == (s.nparts() > 0))
            throw new TesseraUserError(where + ": give exactly one positive factor or number of parts, got factor=" + s.factor() + ", nparts=" + s.nparts());
        if (s.tail() == null) throw new TesseraUserError(where + ": missing tail strategy; legal: guard, shift_inward, round_up");
        if (parent.isReduce() && s.tail() != TailStrategy.GUARD)
            throw new TesseraUserError(where + ": tail strategy " + s.tail().jsonName() + " is not legal on reduction axis " + parent.name()
                    + " (it would count points twice or past the end); legal: guard");
        if (s.tail() == TailStrategy.SHIFT_INWARD && isReduction())
            throw new TesseraUserError(where + ": shift_inward is not legal on reduction stage " + name()
                    + " (overlapping tiles would accumulate some points twice); legal: guard" + (isOutput ? "" : ", round_up"));
        if (s.tail() == TailStrategy.ROUND_UP && isReduction() && !rootAxes.contains(parent))
            throw new TesseraUserError(where + ": round_up of the split loop " + parent.name() + " on reduction stage " + name()
                    + " would overshoot into the next block and accumulate some points twice; round_up a root axis " + rootAxes.stream()
                    .filter(a -> !a.isReduce() && leaves.contains(a)).map(LoopAxis::name).toList() + ", or use guard");
        if (s.tail() == TailStrategy.ROUND_UP && s.nparts() > 0)
            throw new TesseraUserError(where + ": round_up needs a split by factor (the padding is what the factor leaves over); "
                    + "split by factor, or use guard or shift_inward");
        if (s.tail() == TailStrategy.ROUND_UP && isOutput)
            throw new TesseraUserError(where + ": round_up is not legal on output stage " + name()
                    + " (its storage is the caller's and cannot grow); legal: guard, shift_inward");
        LoopAxis outer = newAxis(parent.name() + ".outer", parent.kind(), where);
        LoopAxis inner = newAxis(parent.name() + ".inner", parent.kind(), where);
        int pos = leaves.indexOf(parent);
        leaves.set(pos, outer);
        leaves.add(pos + 1, inner);
        relations.add(new AxisRelation.Split(parent, outer, inner, s.factor(), s.nparts(), s.tail()));
        kinds.remove(parent);
        return new Parts(outer, inner);
    }

    LoopAxis applyFuse(Step.Fuse s) {
        String where = "fuse(" + name() + ", " + s.outer() + ", " + s.inner() + ")";
        LoopAxis outer = leafOrError(s.outer(), where), inner = leafOrError(s.inner(), where);
        int po = leaves.indexOf(outer), pi = leaves.indexOf(inner);
        if (pi != po + 1)
            throw new TesseraUserError(where + ": only adjacent loops can be fused, outer first; the loop order is " + leafNames()
                    + (po == pi + 1 ? " (swap the arguments)" : ""));
        if (outer.kind() != inner.kind())
            throw new TesseraUserError(where + ": cannot fuse a spatial axis with a reduction axis");
        LoopAxis fused = newAxis(outer.name() + "." + inner.name() + ".fused", outer.kind(), where);
        leaves.set(po, fused);
        leaves.remove(pi);
        relations.add(new AxisRelation.Fuse(outer, inner, fused));
        kinds.remove(outer);
        kinds.remove(inner);
        return fused;
    }

    void applyReorder(Step.Reorder s) {
        String where = "reorder(" + name() + ", " + s.order() + ")";
        List<LoopAxis> named = new ArrayList<>();
        for (String n : s.order()) {
            LoopAxis a = leafOrError(n, where);
            if (named.contains(a)) throw new TesseraUserError(where + ": axis " + n + " is named twice");
            named.add(a);
        }
        List<Integer> positions = named.stream().map(leaves::indexOf).sorted().toList();
        for (int i = 0; i < named.size(); i++) leaves.set(positions.get(i), named.get(i));
    }

    Tiles applyTile(Step.Tile s) {
        Parts x = applySplit(new Step.Split(name(), s.x(), s.xFactor(), 0, s.tail()));
        Parts y = applySplit(new Step.Split(name(), s.y(), s.yFactor(), 0, s.tail()));
        applyReorder(new Step.Reorder(name(), List.of(x.outer().name(), y.outer().name(), x.inner().name(), y.inner().name())));
        return new Tiles(x.outer(), y.outer(), x.inner(), y.inner());
    }

    void applyAnnotation(String primitive, String axisName, LoopKind kind) {
        String where = primitive + "(" + name() + ", " + axisName + ")";
        LoopAxis a = leafOrError(axisName, where);
        if (a.isReduce() && kind == LoopKind.PARALLEL)
            throw new TesseraUserError(where + ": " + a.name() + " is a reduction axis; parallel iterations would race on the result. "
                    + "Parallelize one of the spatial loops " + spatialLeafNames());
        if (a.isReduce() && kind == LoopKind.VECTORIZED)
            throw new TesseraUserError(where + ": " + a.name() + " is a reduction axis and cannot be vectorized; "
                    + "vectorize one of the spatial loops " + spatialLeafNames());
        LoopKind old = kinds.get(a);
        if (old != null && old != kind)
            throw new TesseraUserError(where + ": loop " + a.name() + " is already marked " + old.name().toLowerCase() + "; a loop has one kind");
        kinds.put(a, kind);
    }

    void applyBind(Step.Bind b) {
        String where = "bind(" + name() + ", " + b.axis() + ", " + b.thread() + ")";
        checkNotPrepacked(where);
        LoopAxis a = leafOrError(b.axis(), where);
        LoopKind kind = LoopKind.ofThreadTag(b.thread());
        if (kind == null)
            throw new TesseraUserError(where + ": unknown GPU index '" + b.thread()
                    + "'; legal: blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z");
        // Threads of one block can combine their partial results (a cross-thread reduction); blocks cannot.
        if (a.isReduce() && kind.isGpuBlock())
            throw new TesseraUserError(where + ": " + a.name() + " is a reduction axis; parallel blocks would race on the result "
                    + "(threads of one block can share a reduction: bind it to a threadIdx). Bind one of the spatial loops " + spatialLeafNames()
                    + ", or rfactor the reduction and bind the factored (now spatial) loop of the .rf stage");
        for (LoopAxis other : leaves)
            if (other != a && kinds.get(other) == kind)
                throw new TesseraUserError(where + ": loop " + other.name() + " of " + name() + " is already bound to " + b.thread()
                        + "; each GPU index binds one loop of a stage");
        LoopKind old = kinds.get(a);
        if (old != null && old != kind)
            throw new TesseraUserError(where + ": loop " + a.name() + " is already " + (old.isGpu() ? "bound to " + old.threadTag()
                    : "marked " + old.name().toLowerCase()) + "; a loop has one kind");
        kinds.put(a, kind);
    }

    Tiles applyGpuTile(Step.GpuTile g) {
        String where = "gpu_tile(" + name() + ", " + g.x() + (g.y() == null ? "" : ", " + g.y()) + ")";
        if (g.xFactor() < 1 || (g.y() != null && g.yFactor() < 1))
            throw new TesseraUserError(where + ": tile sizes must be positive, got " + g.xFactor() + (g.y() == null ? "" : " and " + g.yFactor()));
        if (g.y() == null) {
            Parts p = applySplit(new Step.Split(name(), g.x(), g.xFactor(), 0, TailStrategy.GUARD));
            applyBind(new Step.Bind(name(), p.outer().name(), "blockIdx.x"));
            applyBind(new Step.Bind(name(), p.inner().name(), "threadIdx.x"));
            return new Tiles(p.outer(), null, p.inner(), null);
        }
        Tiles t = applyTile(new Step.Tile(name(), g.x(), g.y(), g.xFactor(), g.yFactor(), TailStrategy.GUARD));
        applyBind(new Step.Bind(name(), t.yOuter().name(), "blockIdx.x"));
        applyBind(new Step.Bind(name(), t.xOuter().name(), "blockIdx.y"));
        applyBind(new Step.Bind(name(), t.yInner().name(), "threadIdx.x"));
        applyBind(new Step.Bind(name(), t.xInner().name(), "threadIdx.y"));
        return t;
    }

    void applySetScope(Step.SetScope sc) {
        String where = "set_scope(" + name() + ", " + sc.scope() + ")";
        if (!List.of("global", "shared", "local").contains(sc.scope()))
            throw new TesseraUserError(where + ": unknown memory scope; legal: global, shared, local");
        if (!sc.scope().equals("global")) checkNotPrepacked(where);
        if (isOutput && !sc.scope().equals("global"))
            throw new TesseraUserError(where + ": " + name() + " is an output and lives in the caller's global memory; "
                    + "stage it through cache_write to place the computation in " + sc.scope() + " memory");
        scope = sc.scope();
    }

    void applyComputeAt(Step.ComputeAt s, Stage consumer) {
        String where = "compute_at(" + name() + ", " + s.consumer() + ", " + s.axis() + ")";
        if (isOutput) throw new TesseraUserError(where + ": " + name() + " is an output; outputs are computed at root");
        checkNotPrepacked(where);
        if (consumer == this) throw new TesseraUserError(where + ": a stage cannot be computed inside itself");
        if (!schedule.isDownstream(consumer, this))
            throw new TesseraUserError(where + ": " + s.consumer() + " does not use " + name() + ", directly or through other stages; stages that read it: "
                    + schedule.readers(this).stream().map(Stage::name).toList());
        LoopAxis a = consumer.leafAxes().stream().filter(x -> x.name().equals(s.axis())).findFirst().orElseThrow(() ->
                new TesseraUserError(where + ": " + s.consumer() + " has no loop '" + s.axis() + "'; legal levels: root, inline, or one of "
                        + consumer.leafNames()));
        for (Stage st = consumer; st.attachment instanceof Attachment.At at; st = at.consumer())
            if (at.consumer() == this) throw new TesseraUserError(where + ": " + s.consumer() + " is itself computed inside " + name() + "; that would be a cycle");
        attachment = new Attachment.At(consumer, a);
    }

    void applyComputeInline(Step.ComputeInline s) {
        String where = "compute_inline(" + name() + ")";
        if (isOutput) throw new TesseraUserError(where + ": " + name() + " is an output and must be stored; legal: compute_root");
        checkNotPrepacked(where);
        if (isReduction()) throw new TesseraUserError(where + ": " + name() + " is a reduction and cannot be inlined; legal: compute_root or compute_at");
        if (op.outputs().size() > 1) throw new TesseraUserError(where + ": " + name() + " has several outputs and cannot be inlined; legal: compute_root or compute_at");
        attachment = new Attachment.Inline();
    }

    void applyComputeRoot() { attachment = new Attachment.Root(); }

    void applyPrefetch(Step.Prefetch p) {
        String where = "prefetch(" + name() + ", " + p.tensor() + ", " + p.axis() + ", distance=" + p.distance() + ")";
        leafOrError(p.axis(), where);
        if (p.distance() < 1) throw new TesseraUserError(where + ": the distance must be at least 1 iteration");
        if (inputs().stream().noneMatch(t -> t.name().equals(p.tensor())))
            throw new TesseraUserError(where + ": " + name() + " does not read " + p.tensor() + "; it reads " + inputs().stream().map(Tensor::name).toList());
        prefetches.add(p);
    }

    void applyStorageAlign(Step.StorageAlign s) {
        String where = "storage_align(" + name() + ", " + s.axis() + ", factor=" + s.factor() + ", offset=" + s.offset() + ")";
        if (isOutput) throw new TesseraUserError(where + ": " + name() + " is an output; its layout is the caller's. Align an intermediate or cache stage");
        checkNotPrepacked(where);
        List<String> dims = op.axes().stream().map(Axis::name).toList();
        int d = dims.indexOf(s.axis());
        if (d < 0) throw new TesseraUserError(where + ": " + s.axis() + " is not a storage dimension of " + name() + "; its dimensions: " + dims);
        if (s.factor() < 1 || s.offset() < 0 || s.offset() >= s.factor())
            throw new TesseraUserError(where + ": need factor >= 1 and 0 <= offset < factor");
        storageAlign.put(d, new long[] {s.factor(), s.offset()});
    }

    void applyReorderStorage(Step.ReorderStorage s) {
        String where = "reorder_storage(" + name() + ", " + String.join(", ", s.order()) + ")";
        if (isOutput) throw new TesseraUserError(where + ": " + name() + " is an output; its layout is the caller's. Reorder the storage of an intermediate or cache stage");
        checkNotPrepacked(where);
        List<String> dims = op.axes().stream().map(Axis::name).toList();
        if (s.order().size() != dims.size() || !new java.util.HashSet<>(s.order()).equals(new java.util.HashSet<>(dims)))
            throw new TesseraUserError(where + ": name each storage dimension of " + name() + " once; its dimensions: " + dims);
        storageOrder = s.order().stream().mapToInt(dims::indexOf).toArray();
    }

    private LoopAxis leafOrError(String n, String where) {
        LoopAxis a = byName.get(n);
        if (a == null || !leaves.contains(a))
            throw new TesseraUserError(where + ": stage " + name() + " has no loop '" + n + "'; its loops are " + leafNames());
        return a;
    }

    private LoopAxis newAxis(String n, Axis.Kind kind, String where) {
        if (byName.containsKey(n))
            throw new TesseraUserError(where + ": the new loop name " + n + " is taken in stage " + name());
        LoopAxis a = new LoopAxis(n, kind, Var.index(n));
        byName.put(n, a);
        return a;
    }

    private List<String> spatialLeafNames() {
        return leaves.stream().filter(a -> !a.isReduce()).map(LoopAxis::name).collect(Collectors.toList());
    }

    @Override public String toString() { return "stage " + name(); }
}
