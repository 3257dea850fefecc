package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LoweredFunc;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checked calling convention of a kernel: what each argument must be, and how shape parameters
 * are bound from argument dimensions. Every backend runs {@link #check} before any native call, so a
 * wrong argument is a {@link TesseraUserError} naming the argument, what was expected and what was
 * given, never a crash.
 */
public final class KernelSignature {
    /** Where a shape parameter's value comes from: a dimension of an argument. */
    private record Binding(int argument, int dim) {}

    private final String kernelName;
    private final List<LoweredFunc.BufferParam> params;
    private final List<String> names;
    private final List<Var> shapeParams;
    private final Map<Var, Binding> bindings = new IdentityHashMap<>();

    public KernelSignature(LoweredFunc f) {
        this.kernelName = f.name();
        this.params = f.buffers();
        this.shapeParams = f.shapeParams();
        List<String> n = new ArrayList<>();
        for (var p : params) n.add(p.tensor() != null ? p.tensor().name() : p.buffer().name());
        this.names = List.copyOf(n);
        for (int a = 0; a < params.size(); a++) {
            List<Expr> shape = params.get(a).shape();
            for (int d = 0; d < shape.size(); d++) {
                if (shape.get(d) instanceof Var v) bindings.putIfAbsent(v, new Binding(a, d));
            }
        }
        for (Var v : shapeParams) {
            if (!bindings.containsKey(v))
                throw new IllegalStateException("kernel " + kernelName + ": shape parameter " + v
                        + " is not a dimension of any buffer argument, so a caller cannot bind it");
        }
    }

    public String kernelName() { return kernelName; }
    /** The argument names (tensor names), inputs then outputs. */
    public List<String> argumentNames() { return names; }

    /** The value of each shape parameter (by name) and the shape of each output, bound from the inputs alone. */
    public record OutputShapes(Map<String, Long> shapeValues, List<long[]> shapes) {}

    /**
     * Checks the input arguments alone (as {@link #check} does) and returns the shapes the outputs
     * must have, for a caller that allocates them; every shape parameter must be a dimension of an input.
     */
    public OutputShapes outputShapes(List<HostBuffer> inputs) {
        int n = (int) params.stream().filter(p -> !p.isOutput()).count();
        if (inputs == null) throw new TesseraUserError("kernel " + kernelName + ": arguments must not be null");
        if (inputs.size() != n)
            throw new TesseraUserError("kernel " + kernelName + " takes " + n + " inputs " + names.subList(0, n) + ", got " + inputs.size());
        checkEach(inputs);
        Map<Var, Long> env = new IdentityHashMap<>();
        for (var e : bindings.entrySet()) {
            if (e.getValue().argument() >= n)
                throw new IllegalStateException("kernel " + kernelName + ": shape parameter " + e.getKey() + " is bound by an output only");
            env.put(e.getKey(), inputs.get(e.getValue().argument()).shape()[e.getValue().dim()]);
        }
        checkShapes(inputs, env);
        Map<String, Long> values = new java.util.LinkedHashMap<>();
        for (Var v : shapeParams) values.put(v.name(), env.get(v));
        List<long[]> shapes = new ArrayList<>();
        for (int a = n; a < params.size(); a++) {
            List<Expr> shape = params.get(a).shape();
            long[] dims = new long[shape.size()];
            for (int d = 0; d < dims.length; d++) dims[d] = ShapeExprs.eval(shape.get(d), env);
            shapes.add(dims);
        }
        return new OutputShapes(values, shapes);
    }

    /**
     * Checks the arguments and returns the values of the shape parameters, in
     * {@link LoweredFunc#shapeParams()} order.
     */
    public long[] check(List<HostBuffer> args) {
        if (args == null) throw new TesseraUserError("kernel " + kernelName + ": arguments must not be null");
        if (args.size() != params.size())
            throw new TesseraUserError("kernel " + kernelName + " takes " + params.size() + " arguments " + names
                    + ", got " + args.size());
        checkEach(args);
        Map<Var, Long> env = new IdentityHashMap<>();
        for (var e : bindings.entrySet()) env.put(e.getKey(), args.get(e.getValue().argument()).shape()[e.getValue().dim()]);
        checkShapes(args, env);
        for (int a = 0; a < args.size(); a++) {
            for (int c = a + 1; c < args.size(); c++) {
                HostBuffer x = args.get(a), y = args.get(c);
                if (x == y)
                    throw new TesseraUserError("arguments " + names.get(a) + " and " + names.get(c)
                            + " are the same buffer; every argument needs its own memory");
                if (overlap(x.segment(), y.segment()))
                    throw new TesseraUserError("arguments " + names.get(a) + " and " + names.get(c) + " overlap in memory");
            }
        }
        long[] out = new long[shapeParams.size()];
        for (int i = 0; i < out.length; i++) out[i] = env.get(shapeParams.get(i));
        return out;
    }

    /** Null, closed, dtype and rank checks of the first {@code args.size()} arguments. */
    private void checkEach(List<HostBuffer> args) {
        for (int a = 0; a < args.size(); a++) {
            HostBuffer b = args.get(a);
            var p = params.get(a);
            String name = names.get(a);
            if (b == null) throw new TesseraUserError("argument " + name + ": expected a buffer, got null");
            if (b.isClosed()) throw new TesseraUserError("argument " + name + ": buffer " + b.describe() + " is closed");
            DType want = p.buffer().elementType();
            if (!b.dtype().equals(want))
                throw new TesseraUserError("argument " + name + ": expected dtype " + want + ", got " + b.dtype());
            if (b.rank() != p.shape().size())
                throw new TesseraUserError("argument " + name + ": expected rank " + p.shape().size() + " (shape "
                        + expectedShape(p.shape(), null) + "), got rank " + b.rank() + " (shape " + given(b) + ")");
        }
    }

    /** Every dimension of the first {@code args.size()} arguments against the shape variables' values. */
    private void checkShapes(List<HostBuffer> args, Map<Var, Long> env) {
        for (int a = 0; a < args.size(); a++) {
            List<Expr> shape = params.get(a).shape();
            long[] got = args.get(a).shape();
            for (int d = 0; d < shape.size(); d++) {
                if (ShapeExprs.eval(shape.get(d), env) != got[d])
                    throw new TesseraUserError("argument " + names.get(a) + ": expected shape " + expectedShape(shape, env)
                            + boundBy(shape) + ", got " + given(args.get(a)));
            }
        }
    }

    private static boolean overlap(MemorySegment x, MemorySegment y) {
        if (x.byteSize() == 0 || y.byteSize() == 0) return false;
        long xa = x.address(), ya = y.address();
        return xa < ya + y.byteSize() && ya < xa + x.byteSize();
    }

    private static String expectedShape(List<Expr> shape, Map<Var, Long> env) {
        StringBuilder sb = new StringBuilder("[");
        for (int d = 0; d < shape.size(); d++) {
            if (d > 0) sb.append(", ");
            Expr e = shape.get(d);
            sb.append(ShapeExprs.print(e));
            if (env != null && !(e instanceof IntImm)) sb.append('=').append(ShapeExprs.eval(e, env));
        }
        return sb.append(']').toString();
    }

    private String boundBy(List<Expr> shape) {
        Set<Var> vars = new LinkedHashSet<>();
        for (Expr e : shape) collectVars(e, vars);
        if (vars.isEmpty()) return "";
        List<String> parts = new ArrayList<>();
        for (Var v : vars) {
            Binding b = bindings.get(v);
            if (b != null) parts.add(v.name() + " bound by " + names.get(b.argument()) + (params.get(b.argument()).shape().size() > 1 ? " dimension " + b.dim() : ""));
        }
        return " (" + String.join(", ", parts) + ")";
    }

    private static void collectVars(Expr e, Set<Var> out) {
        new dev.tessera.ir.ExprVisitor() {
            @Override public void visit(Expr x) {
                if (x instanceof Var v) out.add(v);
                visitChildren(x);
            }
        }.visit(e);
    }

    private static String given(HostBuffer b) {
        return java.util.Arrays.toString(b.shape());
    }
}
