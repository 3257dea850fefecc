package dev.tessera.dsl;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.TensorRead;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A compute stage: for every point of its spatial axes, one value per output, each given by a body
 * expression over the axis variables. A reduction stage's bodies are {@link Reduce}s over the same
 * reducer and reduction axes (one per tuple value). Equality is identity.
 */
public final class ComputeOp implements Operation {
    private final String name;
    private final List<Axis> axes;
    private final List<Expr> bodies;
    private final List<Tensor> outputs;

    ComputeOp(String name, List<Axis> axes, List<Expr> bodies) {
        this.name = name;
        this.axes = List.copyOf(axes);
        this.bodies = List.copyOf(bodies);
        validate();
        List<Tensor> outs = new ArrayList<>();
        List<Expr> shape = axes.stream().map(Axis::extent).toList();
        for (int i = 0; i < bodies.size(); i++) {
            String tname = bodies.size() == 1 ? name : name + "." + i;
            outs.add(new Tensor(this, i, tname, bodies.get(i).type(), shape));
        }
        this.outputs = List.copyOf(outs);
    }

    private void validate() {
        if (bodies.isEmpty()) throw new TesseraUserError("compute " + name + " has no body");
        Reduce first = bodies.get(0) instanceof Reduce r ? r : null;
        for (Expr b : bodies) {
            if ((b instanceof Reduce) != (first != null))
                throw new TesseraUserError("compute " + name + ": either every output is a reduction or none is");
            if (b instanceof Reduce r && first != null
                    && (r.reducer() != first.reducer() || !r.axes().equals(first.axes()) || !r.sources().equals(first.sources())))
                throw new TesseraUserError("compute " + name + ": the outputs of a tuple reduction must come from one reduce call");
            new ExprVisitor() {
                @Override public void visit(Expr e) {
                    if (e instanceof Reduce && e != b)
                        throw new TesseraUserError("compute " + name + ": a reduction must be the whole body of a compute; "
                                + "compute it in a stage of its own and read that stage");
                    visitChildren(e);
                }
            }.visit(b);
        }
        Set<String> names = new HashSet<>();
        for (Axis a : allAxes())
            if (!names.add(a.name()))
                throw new TesseraUserError("compute " + name + ": axis name '" + a.name() + "' is used twice; "
                        + "schedules name axes, so give each axis of a stage its own name");
    }

    @Override public String name() { return name; }
    /** The spatial axes, one per output dimension. */
    public List<Axis> axes() { return axes; }
    public List<Expr> bodies() { return bodies; }
    @Override public List<Tensor> outputs() { return outputs; }

    public boolean isReduction() { return bodies.get(0) instanceof Reduce; }

    /** The reduction axes (empty for an elementwise stage). */
    public List<Axis> reduceAxes() {
        return bodies.get(0) instanceof Reduce r ? r.axes() : List.of();
    }

    /** Spatial axes followed by reduction axes: the root loop axes of the stage. */
    public List<Axis> allAxes() {
        List<Axis> all = new ArrayList<>(axes);
        all.addAll(reduceAxes());
        return all;
    }

    @Override
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

    @Override public String toString() { return "compute " + name; }
}
