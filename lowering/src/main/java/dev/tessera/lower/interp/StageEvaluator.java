package dev.tessera.lower.interp;

import dev.tessera.ir.ScalarMath;

import dev.tessera.dsl.ComputeOp;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Reducer;
import dev.tessera.ir.Var;
import dev.tessera.lower.interp.ExprCompiler.DNode;
import dev.tessera.lower.interp.ExprCompiler.Env;
import dev.tessera.lower.interp.ExprCompiler.LNode;
import dev.tessera.lower.interp.ExprCompiler.Slot;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Evaluates the points of one compute stage on demand and memoizes them: densely while the stage
 * is small enough, in a hash map beyond. A point of a tuple reduction computes every value of the
 * tuple at once. Not thread-safe; stages form a DAG, so a stage's {@link Env} is never re-entered.
 */
final class StageEvaluator {
    /** Stages with at most this many points keep their values in flat arrays. */
    static final long DENSE_LIMIT = 1L << 23;

    private final ComputeOp op;
    private final long[] shape;
    private final long size;
    private final int outputs;
    private final double[][] dense;
    private final long[] done;
    private final Map<Long, double[]> sparse;
    private final double[] scratch;

    private Env env;
    private int[] spatialSlots;
    private DNode[] bodies; // elementwise stages
    private Reduction reduction; // reduction stages
    private boolean busy;

    StageEvaluator(ComputeOp op, long[] shape) {
        this.op = op;
        this.shape = shape;
        this.size = TensorValue.elementCount(shape);
        this.outputs = op.outputs().size();
        this.scratch = new double[outputs];
        if (size <= DENSE_LIMIT) {
            dense = new double[outputs][];
            done = new long[(int) ((size + 63) >>> 6)];
            sparse = null;
        } else {
            dense = null;
            done = null;
            sparse = new HashMap<>();
        }
    }

    ComputeOp op() { return op; }
    long[] shape() { return shape; }
    long size() { return size; }

    /** Compiles the stage's bodies; every tensor they read must already have a source. */
    void compile(Map<Var, Long> shapeBindings, ExprCompiler.Sources sources) {
        Map<Var, Slot> slots = new IdentityHashMap<>();
        int[] counts = new int[2]; // long slots, double slots
        spatialSlots = new int[op.axes().size()];
        for (int d = 0; d < op.axes().size(); d++) spatialSlots[d] = addSlot(slots, counts, op.axes().get(d).var());
        if (op.isReduction()) {
            Reduce first = (Reduce) op.bodies().get(0);
            Reducer r = first.reducer();
            int n = r.arity();
            int[] axisSlots = new int[first.axes().size()];
            for (int a = 0; a < axisSlots.length; a++) axisSlots[a] = addSlot(slots, counts, first.axes().get(a).var());
            Slot[] lhs = new Slot[n], rhs = new Slot[n], tmp = new Slot[n];
            for (int v = 0; v < n; v++) {
                lhs[v] = slot(slots, counts, r.lhs().get(v));
                rhs[v] = slot(slots, counts, r.rhs().get(v));
                tmp[v] = newSlot(counts, r.lhs().get(v).type());
            }
            ExprCompiler c = new ExprCompiler(op.name(), slots, shapeBindings, sources);
            LNode[] extents = new LNode[axisSlots.length];
            for (int a = 0; a < axisSlots.length; a++) extents[a] = c.compileL(first.axes().get(a).extent());
            Expr cond = first.condition();
            LNode condition = cond instanceof IntImm i && i.value() != 0 ? null : c.compileL(cond);
            Assign[] init = new Assign[n], load = new Assign[n], combine = new Assign[n];
            for (int v = 0; v < n; v++) {
                init[v] = assign(c, lhs[v], r.identity().get(v));
                load[v] = assign(c, rhs[v], first.sources().get(v));
                combine[v] = assign(c, n == 1 ? lhs[v] : tmp[v], r.combine().get(v));
            }
            int[] valueOfBody = new int[outputs];
            for (int b = 0; b < outputs; b++) valueOfBody[b] = ((Reduce) op.bodies().get(b)).valueIndex();
            reduction = new Reduction(axisSlots, extents, condition, init, load, combine, lhs, tmp, valueOfBody,
                    r.types().toArray(DType[]::new));
        } else {
            ExprCompiler c = new ExprCompiler(op.name(), slots, shapeBindings, sources);
            bodies = new DNode[outputs];
            for (int b = 0; b < outputs; b++) bodies[b] = c.compileToDouble(op.bodies().get(b));
        }
        env = new Env(counts[0], counts[1]);
    }

    /** The value of output {@code out} at a row-major position (in bounds). */
    double value(int out, long flat) {
        if (dense != null) {
            int i = (int) flat;
            if ((done[i >>> 6] & (1L << i)) == 0) {
                computePoint(flat, scratch);
                for (int b = 0; b < outputs; b++) {
                    if (dense[b] == null) dense[b] = new double[(int) size];
                    dense[b][i] = scratch[b];
                }
                done[i >>> 6] |= 1L << i;
            }
            return dense[out][i];
        }
        double[] v = sparse.get(flat);
        if (v == null) {
            v = new double[outputs];
            computePoint(flat, v);
            sparse.put(flat, v);
        }
        return v[out];
    }

    /** Every value of output {@code out}, row-major. */
    double[] all(int out) {
        double[] result = new double[Math.toIntExact(size)];
        if (dense != null) {
            for (long f = 0; f < size; f++) value(out, f);
            return size == 0 ? result : dense[out].clone();
        }
        // Too large to memoize: compute straight into the result (points read before stay cached).
        double[] tmp = new double[outputs];
        for (long f = 0; f < size; f++) {
            double[] v = sparse.get(f);
            if (v == null) {
                computePoint(f, tmp);
                v = tmp;
            }
            result[(int) f] = v[out];
        }
        return result;
    }

    private void computePoint(long flat, double[] result) {
        if (busy) throw new IllegalStateException("stage " + op.name() + " re-entered: its definition reads itself");
        busy = true;
        try {
            long rest = flat;
            for (int d = shape.length - 1; d >= 0; d--) {
                env.l[spatialSlots[d]] = rest % shape[d];
                rest /= shape[d];
            }
            if (reduction != null) reduction.run(env, result);
            else for (int b = 0; b < outputs; b++) result[b] = bodies[b].eval(env);
        } finally {
            busy = false;
        }
    }

    /** Stores the value of an expression into a slot. */
    @FunctionalInterface private interface Assign { void run(Env e); }

    private static Assign assign(ExprCompiler c, Slot to, Expr value) {
        int i = to.index();
        if (to.isFloat()) {
            DNode n = c.compileD(value);
            return env -> env.d[i] = n.eval(env);
        }
        LNode n = c.compileL(value);
        return env -> env.l[i] = n.eval(env);
    }

    private record Reduction(int[] axisSlots, LNode[] extents, LNode condition, Assign[] init, Assign[] load, Assign[] combine,
                             Slot[] lhs, Slot[] tmp, int[] valueOfBody, DType[] types) {
        void run(Env env, double[] result) {
            int n = init.length, na = axisSlots.length;
            for (Assign a : init) a.run(env);
            long[] ext = new long[na];
            boolean empty = false;
            for (int a = 0; a < na; a++) {
                ext[a] = extents[a].eval(env);
                if (ext[a] <= 0) empty = true;
                env.l[axisSlots[a]] = 0;
            }
            if (!empty) {
                int last = na - 1;
                int lastSlot = axisSlots[last];
                long lastExtent = ext[last];
                while (true) {
                    for (long k = 0; k < lastExtent; k++) {
                        env.l[lastSlot] = k;
                        step(env, n);
                    }
                    // advance the outer axes like an odometer
                    int a = last - 1;
                    while (a >= 0) {
                        if (++env.l[axisSlots[a]] < ext[a]) break;
                        env.l[axisSlots[a]] = 0;
                        a--;
                    }
                    if (a < 0) break;
                }
            }
            for (int b = 0; b < valueOfBody.length; b++) {
                int v = valueOfBody[b];
                Slot s = lhs[v];
                result[b] = s.isFloat() ? env.d[s.index()] : ScalarMath.intToDouble(env.l[s.index()], types[v]);
            }
        }

        private void step(Env env, int n) {
            if (condition != null && condition.eval(env) == 0) return;
            for (Assign a : load) a.run(env);
            for (Assign a : combine) a.run(env);
            if (n > 1) {
                // every combine read the old running values; now make the new ones current
                for (int v = 0; v < n; v++) {
                    if (lhs[v].isFloat()) env.d[lhs[v].index()] = env.d[tmp[v].index()];
                    else env.l[lhs[v].index()] = env.l[tmp[v].index()];
                }
            }
        }
    }

    private static int addSlot(Map<Var, Slot> slots, int[] counts, Var v) {
        return slot(slots, counts, v).index();
    }

    private static Slot slot(Map<Var, Slot> slots, int[] counts, Var v) {
        Slot s = slots.get(v);
        if (s == null) {
            s = newSlot(counts, v.type());
            slots.put(v, s);
        }
        return s;
    }

    private static Slot newSlot(int[] counts, DType t) {
        return t.isFloat() ? new Slot(true, counts[1]++) : new Slot(false, counts[0]++);
    }
}
