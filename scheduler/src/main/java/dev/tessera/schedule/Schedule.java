package dev.tessera.schedule;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Operation;
import dev.tessera.dsl.PlaceholderOp;
import dev.tessera.dsl.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The schedule of an operator: one {@link Stage} per compute stage, in producer-before-consumer
 * order, and the trace of every step applied. {@link #replay} rebuilds a schedule from a trace.
 */
public final class Schedule {
    private final List<Tensor> outputs;
    private final List<Tensor> inputs;
    private final Map<ComputeOp, Stage> stages = new LinkedHashMap<>();
    private final Set<String> names = new LinkedHashSet<>();
    private final List<Step> trace = new ArrayList<>();

    private Schedule(List<Tensor> outputs) {
        if (outputs.isEmpty()) throw new TesseraUserError("a schedule needs at least one output tensor");
        List<Tensor> outs = new ArrayList<>();
        for (Tensor t : outputs) {
            if (!(t.op() instanceof ComputeOp)) throw new TesseraUserError("output " + t.name() + " is a placeholder; outputs must be computes");
            for (Tensor o : t.op().outputs()) if (!outs.contains(o)) outs.add(o);
        }
        this.outputs = List.copyOf(outs);
        Set<Operation> visited = new LinkedHashSet<>();
        List<Tensor> ins = new ArrayList<>();
        for (Tensor t : outs) visit(t.op(), visited, ins);
        ins.sort(java.util.Comparator.comparingLong(t -> ((PlaceholderOp) t.op()).creationOrder()));
        this.inputs = List.copyOf(ins);
        Set<Operation> outputOps = new LinkedHashSet<>();
        for (Tensor t : outs) outputOps.add(t.op());
        for (Operation op : visited)
            if (op instanceof ComputeOp c) stages.put(c, new Stage(this, c, outputOps.contains(c)));
        for (Operation op : visited)
            if (!names.add(op.name()))
                throw new TesseraUserError("two operations are named '" + op.name() + "'; schedules name stages, so give each its own name");
    }

    private static void visit(Operation op, Set<Operation> visited, List<Tensor> inputs) {
        if (visited.contains(op)) return;
        for (Tensor in : op.inputs()) visit(in.op(), visited, inputs);
        if (op instanceof PlaceholderOp) inputs.add(op.outputs().get(0));
        visited.add(op); // post-order: producers first
    }

    /** A schedule with every stage at its default: computed at root, loops in definition order. */
    public static Schedule create(Tensor... outputs) { return new Schedule(List.of(outputs)); }

    public static Schedule create(List<Tensor> outputs) { return new Schedule(outputs); }

    /** Rebuilds a schedule by applying a trace to a fresh default schedule. */
    public static Schedule replay(List<Tensor> outputs, List<Step> trace) {
        Schedule s = new Schedule(outputs);
        for (Step step : trace) s.apply(step);
        return s;
    }

    /** The output tensors (all outputs of each output operation). */
    public List<Tensor> outputs() { return outputs; }

    /** The placeholders the operator reads, in the order they were declared: the kernel's input order. */
    public List<Tensor> inputs() { return inputs; }

    /** Stages, producers before consumers. */
    public List<Stage> stages() { return List.copyOf(stages.values()); }

    public List<Step> trace() { return Collections.unmodifiableList(trace); }

    public Stage stage(Tensor t) {
        if (!(t.op() instanceof ComputeOp c) || !stages.containsKey(c))
            throw new TesseraUserError(t.name() + " is not a compute stage of this schedule; stages: " + stageNames());
        return stages.get(c);
    }

    public Stage stage(String name) {
        for (Stage s : stages.values()) if (s.name().equals(name)) return s;
        throw new TesseraUserError("no stage named '" + name + "'; stages: " + stageNames());
    }

    public List<String> stageNames() { return stages.values().stream().map(Stage::name).toList(); }

    /** The stages that read any output of {@code producer} directly. */
    public List<Stage> readers(Stage producer) {
        List<Stage> out = new ArrayList<>();
        for (Stage s : stages.values())
            for (Tensor in : s.inputs())
                if (in.op() == producer.op() && !out.contains(s)) out.add(s);
        return out;
    }

    /** Whether {@code consumer} reads {@code producer}, directly or through other stages. */
    public boolean isDownstream(Stage consumer, Stage producer) {
        for (Stage r : readers(producer)) if (r == consumer || isDownstream(consumer, r)) return true;
        return false;
    }

    /**
     * Stages the data of {@code tensor} (an input or a stage) in a new copy stage that the given
     * readers read instead, named {@code <tensor>.cache}. Computed at a loop of a reader, the copy
     * holds just the tile that loop needs, densely laid out: this is how operand panels are packed.
     */
    public Stage cacheRead(Tensor tensor, Stage... readers) {
        return (Stage) apply(new Step.CacheRead(tensor.name(), java.util.Arrays.stream(readers).map(Stage::name).toList()));
    }

    /**
     * Declares input {@code tensor} constant across calls and packs it once, ahead of calls, into
     * the layout that splits its dimensions by {@code splits} and orders them by {@code order}
     * (empty: outers, unsplit dimensions, inners); every reader reads the packed stage
     * {@code <tensor>.packed} instead (see {@link Step.Prepack}).
     */
    public Stage prepack(Tensor tensor, List<Step.LayoutSplit> splits, List<String> order) {
        return (Stage) apply(new Step.Prepack(tensor.name(), splits, order));
    }

    /**
     * Declares a stage computed from constant inputs alone (e.g. a convolution's transformed
     * weights) computed once, ahead of calls, in its own function, as it stands (its loops as
     * scheduled, its storage order its layout); the kernel then takes it instead of those inputs.
     */
    public Stage prepack(Stage stage) {
        return (Stage) apply(new Step.Prepack(stage.name(), List.of(), List.of()));
    }

    /**
     * Prepacks {@code tensor} into panels of {@code width} along dimension {@code dim}: the layout
     * {@code [dim.outer, the other dimensions in order, dim.inner]}, so each panel is contiguous and
     * walking the other dimensions inside it reads {@code width} consecutive elements each step.
     */
    public Stage prepackPanels(Tensor tensor, int dim, long width) {
        return prepack(tensor, List.of(new Step.LayoutSplit("i" + dim, width)), List.of());
    }

    /** The prepacked stages: packed copies of constant inputs, computed once ahead of calls. */
    public List<Stage> prepackedStages() { return stages.values().stream().filter(Stage::isPrepacked).toList(); }

    /** The names of the tensors a stage may read: the inputs and every stage's outputs. */
    Tensor tensorNamed(String name, String where) {
        for (Tensor t : inputs) if (t.name().equals(name)) return t;
        for (Stage s : stages.values()) for (Tensor t : s.op().outputs()) if (t.name().equals(name)) return t;
        List<String> known = new ArrayList<>();
        for (Tensor t : inputs) known.add(t.name());
        for (Stage s : stages.values()) for (Tensor t : s.op().outputs()) known.add(t.name());
        throw new TesseraUserError(where + ": no tensor named '" + name + "'; tensors: " + known);
    }

    /** Adds a stage made by a primitive right before {@code before}, so producers stay ahead of consumers. */
    Stage insertBefore(Stage before, ComputeOp op, String where) {
        if (!names.add(op.name()))
            throw new TesseraUserError(where + ": the new stage name " + op.name() + " is taken; stages: " + stageNames());
        Map<ComputeOp, Stage> old = new LinkedHashMap<>(stages);
        stages.clear();
        Stage made = new Stage(this, op, false);
        for (Map.Entry<ComputeOp, Stage> e : old.entrySet()) {
            if (e.getValue() == before) stages.put(op, made);
            stages.put(e.getKey(), e.getValue());
        }
        return made;
    }

    /** The shape variables of the kernel's inputs and outputs, by name. */
    public Map<String, dev.tessera.ir.Var> shapeVars() {
        Map<String, dev.tessera.ir.Var> vars = new LinkedHashMap<>();
        List<Tensor> all = new ArrayList<>(inputs);
        all.addAll(outputs);
        for (Tensor t : all)
            for (dev.tessera.ir.Expr d : t.shape())
                for (dev.tessera.ir.Var v : dev.tessera.ir.Exprs.vars(d)) vars.putIfAbsent(v.name(), v);
        return vars;
    }

    /** The specializations of the kernel, in trace order. */
    public List<Step.Specialize> specializations() {
        return trace.stream().filter(s -> s instanceof Step.Specialize).map(s -> (Step.Specialize) s).toList();
    }

    /** The most specializations a kernel takes: each doubles the code. */
    public static final int MAX_SPECIALIZATIONS = 2;

    private void checkSpecialize(Stage st, Step.Specialize sp) {
        String where = "specialize(" + sp.stage() + ", " + sp.shapeVar() + " % " + sp.divisor() + " == 0)";
        if (!st.isOutput())
            throw new TesseraUserError(where + ": specialize applies to the whole kernel; name an output stage "
                    + stages.values().stream().filter(Stage::isOutput).map(Stage::name).toList());
        if (!shapeVars().containsKey(sp.shapeVar()))
            throw new TesseraUserError(where + ": no shape variable '" + sp.shapeVar() + "'; the kernel's shape variables: " + shapeVars().keySet());
        if (sp.divisor() < 2) throw new TesseraUserError(where + ": the divisor must be at least 2, got " + sp.divisor());
        for (Step.Specialize other : specializations())
            if (other.shapeVar().equals(sp.shapeVar()) && other.divisor() == sp.divisor())
                throw new TesseraUserError(where + ": this specialization is already in the schedule");
        if (specializations().size() >= MAX_SPECIALIZATIONS)
            throw new TesseraUserError(where + ": a kernel takes at most " + MAX_SPECIALIZATIONS + " specializations (each doubles its code)");
    }

    /** Whether a name is used by an input or a stage. */
    boolean nameTaken(String name) { return names.contains(name); }

    /** Applies one step, appending it to the trace if it is valid. Returns what the primitive returns. */
    public Object apply(Step step) {
        if (step instanceof Step.CacheRead c) {
            Stage made = DataflowRewrites.cacheRead(this, c);
            trace.add(step);
            return made;
        }
        if (step instanceof Step.Prepack p) {
            Stage made = DataflowRewrites.prepack(this, p);
            trace.add(step);
            return made;
        }
        Stage st = stage(step.stage());
        Object result = switch (step) {
            case Step.Split s -> st.applySplit(s);
            case Step.Fuse f -> st.applyFuse(f);
            case Step.Reorder r -> { st.applyReorder(r); yield null; }
            case Step.Tile t -> st.applyTile(t);
            case Step.Vectorize v -> { st.applyAnnotation("vectorize", v.axis(), LoopKind.VECTORIZED); yield null; }
            case Step.Unroll u -> { st.applyAnnotation("unroll", u.axis(), LoopKind.UNROLLED); yield null; }
            case Step.Parallel p -> { st.applyAnnotation("parallel", p.axis(), LoopKind.PARALLEL); yield null; }
            case Step.ComputeAt c -> { st.applyComputeAt(c, stage(c.consumer())); yield null; }
            case Step.ComputeInline c -> { st.applyComputeInline(c); yield null; }
            case Step.ComputeRoot c -> { st.applyComputeRoot(); yield null; }
            case Step.Rfactor r -> DataflowRewrites.rfactor(this, st, r);
            case Step.CacheWrite c -> DataflowRewrites.cacheWrite(this, st, c);
            case Step.CacheRead c -> throw new AssertionError("handled above");
            case Step.Prepack p -> throw new AssertionError("handled above");
            case Step.Specialize sp -> { checkSpecialize(st, sp); yield null; }
            case Step.StorageAlign a -> { st.applyStorageAlign(a); yield null; }
            case Step.ReorderStorage r -> { st.applyReorderStorage(r); yield null; }
            case Step.Prefetch p -> { st.applyPrefetch(p); yield null; }
            case Step.Bind b -> { st.applyBind(b); yield null; }
            case Step.GpuTile g -> st.applyGpuTile(g);
            case Step.SetScope sc -> { st.applySetScope(sc); yield null; }
        };
        trace.add(step);
        return result;
    }
}
