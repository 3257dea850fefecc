package dev.tessera.lower.interp;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Operation;
import dev.tessera.dsl.PlaceholderOp;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Executes compute definitions directly in Java: the oracle every compiled kernel is tested against.
 *
 * <p>Semantics are exact and follow the IR's javadoc: integers are computed in 64-bit and wrapped
 * to their width; floats are rounded to their dtype after every operation (f16 and bf16 via f32);
 * integer division and modulo floor, and {@code x / 0 == 0}; casts from float truncate toward zero
 * and saturate (NaN gives 0); {@code Select} evaluates only the chosen side; reductions visit their
 * axes in order (first axis outermost), skip points where the condition is false, and combine tuple
 * values simultaneously. Reading a tensor outside its shape raises a {@link TesseraUserError} naming
 * the stage, the tensor, the index and the shape.
 *
 * <p>Symbolic shape variables are bound from the input shapes: an input dimension that is exactly a
 * variable binds it, and every other dimension must then evaluate to the input's extent.
 *
 * <p>Evaluation is lazy: {@link #evaluateAt} computes one element and memoizes the elements of
 * every stage it needed, so sampling a few hundred points of a large operator is cheap. Each
 * expression is compiled once into a tree of lambdas. An instance is not thread-safe.
 */
public final class ReferenceInterpreter {
    private final List<Tensor> outputs;
    private final Map<Var, Long> shapeBindings = new LinkedHashMap<>();
    private final Map<Tensor, TensorValue> inputValues = new IdentityHashMap<>();
    private final Map<Operation, StageEvaluator> stages = new IdentityHashMap<>();
    private final Map<Tensor, long[]> shapes = new IdentityHashMap<>();

    /** Binds the inputs and compiles every stage the outputs depend on. */
    public ReferenceInterpreter(List<Tensor> outputs, Map<Tensor, TensorValue> inputs) {
        if (outputs.isEmpty()) throw new TesseraUserError("nothing to evaluate: no output tensors given");
        this.outputs = List.copyOf(outputs);
        List<Operation> ops = new ArrayList<>();
        Set<Operation> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor t : outputs) collect(t.op(), seen, ops);
        bindInputs(ops, inputs);
        for (Operation op : ops) {
            if (op instanceof ComputeOp c) {
                long[] shape = new long[c.axes().size()];
                for (int d = 0; d < shape.length; d++) {
                    Axis a = c.axes().get(d);
                    shape[d] = evalShapeExpr(a.extent(), shapeBindings, "shape of " + c.name());
                    if (shape[d] < 0)
                        throw new TesseraUserError("stage " + c.name() + " has extent " + shape[d] + " in dimension " + d + " (" + a.extent()
                                + ") with " + bindingsText() + "; extents must not be negative");
                }
                StageEvaluator ev = new StageEvaluator(c, shape);
                stages.put(c, ev);
                for (Tensor t : c.outputs()) shapes.put(t, shape);
            }
        }
        ExprCompiler.Sources sources = this::source;
        for (Operation op : ops) if (op instanceof ComputeOp c) stages.get(c).compile(shapeBindings, sources);
    }

    /** Evaluates every output in full. */
    public static Map<Tensor, TensorValue> run(List<Tensor> outputs, Map<Tensor, TensorValue> inputs) {
        ReferenceInterpreter interp = new ReferenceInterpreter(outputs, inputs);
        Map<Tensor, TensorValue> out = new LinkedHashMap<>();
        for (Tensor t : outputs) out.put(t, interp.evaluate(t));
        return out;
    }

    /** The output tensors this interpreter was built for. */
    public List<Tensor> outputs() { return outputs; }

    /** The value each symbolic shape variable took from the input shapes. */
    public Map<Var, Long> shapeBindings() { return Collections.unmodifiableMap(shapeBindings); }

    /** The concrete shape of any tensor of the computation. */
    public long[] shapeOf(Tensor t) { return shapeOrError(t).clone(); }

    /** One element of a tensor of the computation (an input, an intermediate stage or an output). */
    public double evaluateAt(Tensor t, long... index) {
        long[] shape = shapeOrError(t);
        if (index.length != shape.length)
            throw new TesseraUserError("tensor " + t.name() + " has rank " + shape.length + " (shape " + Arrays.toString(shape)
                    + ") but was indexed with " + index.length + " indices");
        long flat = 0;
        for (int d = 0; d < shape.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d])
                throw new TesseraUserError("index " + Arrays.toString(index) + " is outside tensor " + t.name() + " of shape " + Arrays.toString(shape));
            flat = flat * shape[d] + index[d];
        }
        return source(t).read(flat);
    }

    /** Every element of a tensor of the computation. */
    public TensorValue evaluate(Tensor t) {
        long[] shape = shapeOrError(t);
        if (t.op() instanceof PlaceholderOp) return inputValues.get(t);
        double[] data = stages.get(t.op()).all(t.valueIndex());
        return new TensorValue(t.dtype(), shape.clone(), data);
    }

    // ---- setup ----

    private static void collect(Operation op, Set<Operation> seen, List<Operation> order) {
        if (!seen.add(op)) return;
        for (Tensor in : op.inputs()) collect(in.op(), seen, order);
        order.add(op); // producers first
    }

    private void bindInputs(List<Operation> ops, Map<Tensor, TensorValue> inputs) {
        List<Tensor> placeholders = new ArrayList<>();
        for (Operation op : ops) if (op instanceof PlaceholderOp p) placeholders.add(p.outputs().get(0));
        Map<Var, String> boundBy = new LinkedHashMap<>();
        for (Tensor p : placeholders) {
            TensorValue v = inputs.get(p);
            if (v == null) {
                Set<String> given = new LinkedHashSet<>();
                for (Tensor t : inputs.keySet()) given.add(t.name());
                throw new TesseraUserError("missing input " + p.name() + " (" + p.dtype() + ", shape " + p.shape() + "); the computation reads "
                        + placeholders.stream().map(Tensor::name).toList() + ", inputs given: " + given);
            }
            if (!v.dtype().equals(p.dtype()))
                throw new TesseraUserError("input " + p.name() + " has dtype " + v.dtype() + ", but the definition declares " + p.dtype());
            if (v.rank() != p.rank())
                throw new TesseraUserError("input " + p.name() + " has rank " + v.rank() + " (shape " + Arrays.toString(v.shape())
                        + "), but the definition declares rank " + p.rank() + ": " + p.shape());
            for (int d = 0; d < p.rank(); d++) {
                if (p.shape().get(d) instanceof Var var) {
                    long actual = v.shape()[d];
                    Long old = shapeBindings.get(var);
                    String where = p.name() + " dimension " + d;
                    if (old == null) {
                        shapeBindings.put(var, actual);
                        boundBy.put(var, where);
                    } else if (old != actual) {
                        throw new TesseraUserError("shape variable " + var.name() + " is " + old + " from " + boundBy.get(var) + " but "
                                + actual + " from " + where + "; inputs must agree on every shape variable");
                    }
                }
            }
            inputValues.put(p, v);
            shapes.put(p, v.shape().clone());
        }
        for (Tensor p : placeholders) {
            long[] actual = inputValues.get(p).shape();
            for (int d = 0; d < p.rank(); d++) {
                Expr dim = p.shape().get(d);
                if (dim instanceof Var) continue;
                long expected = evalShapeExpr(dim, shapeBindings, "shape of input " + p.name());
                if (expected != actual[d])
                    throw new TesseraUserError("input " + p.name() + " has shape " + Arrays.toString(actual) + " but the definition declares "
                            + p.shape() + ": dimension " + d + " is " + actual[d] + ", expected " + dim + " = " + expected
                            + (shapeBindings.isEmpty() ? "" : " with " + bindingsText()));
            }
        }
    }

    private String bindingsText() {
        if (shapeBindings.isEmpty()) return "no shape variables";
        StringBuilder sb = new StringBuilder();
        shapeBindings.forEach((v, x) -> sb.append(sb.isEmpty() ? "" : ", ").append(v.name()).append(" = ").append(x));
        return sb.toString();
    }

    /** Evaluates an i64 shape expression over bound shape variables. */
    static long evalShapeExpr(Expr e, Map<Var, Long> bindings, String what) {
        ExprCompiler c = new ExprCompiler(what, Map.of(), bindings, t -> {
            throw new TesseraUserError(what + " reads tensor " + t.name() + "; shapes may use only constants and shape variables");
        });
        try {
            return c.compileL(e).eval(new ExprCompiler.Env(0, 0));
        } catch (TesseraUserError err) {
            if (err.getMessage().contains("neither one of its axes"))
                throw new TesseraUserError(what + " (" + e + ") uses a shape variable that no input binds: a shape variable must appear "
                        + "alone as a dimension of some input; bound: " + bindings.keySet().stream().map(Var::name).toList(), err);
            throw err;
        }
    }

    private long[] shapeOrError(Tensor t) {
        long[] s = shapes.get(t);
        if (s == null) {
            throw new TesseraUserError("tensor " + t.name() + " is not part of this computation; it has the tensors "
                    + shapes.keySet().stream().map(Tensor::name).sorted().toList());
        }
        return s;
    }

    private ExprCompiler.Source source(Tensor t) {
        long[] shape = shapeOrError(t);
        String name = t.name();
        if (t.op() instanceof PlaceholderOp) {
            double[] data = inputValues.get(t).data();
            return new ExprCompiler.Source() {
                @Override public String name() { return name; }
                @Override public long[] shape() { return shape; }
                @Override public double read(long flat) { return data[(int) flat]; }
            };
        }
        StageEvaluator ev = stages.get(t.op());
        int out = t.valueIndex();
        return new ExprCompiler.Source() {
            @Override public String name() { return name; }
            @Override public long[] shape() { return shape; }
            @Override public double read(long flat) { return ev.value(out, flat); }
        };
    }
}
