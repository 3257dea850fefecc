package dev.tessera.lower;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.Binary;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.ScalarOps;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes flattened loop IR in Java, lane by lane, with {@link ScalarOps} semantics. It checks
 * every access against its buffer, so it finds out-of-bounds accesses a native kernel would make:
 * the second oracle next to the compute-definition interpreter, and a debugging aid for lowering.
 * Parallel loops run serially.
 */
public final class LoopInterpreter {
    private final Map<Var, double[]> env = new HashMap<>();
    private final Map<BufferRef, double[]> memory = new IdentityHashMap<>();

    private LoopInterpreter() {}

    /**
     * Runs a kernel on flat buffers (inputs then outputs, row-major, one double per element) with
     * shape parameters in {@link LoweredFunc#shapeParams()} order.
     */
    public static void run(LoweredFunc f, List<double[]> buffers, long[] shapeValues) {
        if (buffers.size() != f.buffers().size()) throw new TesseraUserError("expected " + f.buffers().size() + " buffers");
        LoopInterpreter in = new LoopInterpreter();
        for (int i = 0; i < buffers.size(); i++) in.memory.put(f.buffers().get(i).buffer(), buffers.get(i));
        for (int i = 0; i < shapeValues.length; i++) in.env.put(f.shapeParams().get(i), new double[] {shapeValues[i]});
        in.exec(f.body());
    }

    private void exec(Stmt s) {
        switch (s) {
            case For f -> {
                long min = scalar(f.min()), ext = scalar(f.extent());
                for (long i = min; i < min + ext; i++) {
                    env.put(f.var(), new double[] {i});
                    exec(f.body());
                }
                env.remove(f.var());
            }
            case LetStmt l -> {
                env.put(l.var(), eval(l.value()));
                exec(l.body());
                env.remove(l.var());
            }
            case IfThenElse i -> {
                if (eval(i.cond())[0] != 0) exec(i.then());
                else if (i.otherwise() != null) exec(i.otherwise());
            }
            case Block b -> b.stmts().forEach(this::exec);
            case Store st -> {
                double[] idx = eval(st.index()), val = eval(st.value());
                double[] pred = st.predicate() == null ? null : eval(st.predicate());
                double[] mem = buffer(st.buffer());
                for (int lane = 0; lane < idx.length; lane++) {
                    if (pred != null && pred[lane] == 0) continue;
                    mem[checked(st.buffer(), mem, idx[lane])] = ScalarOps.fit(val[lane], st.buffer().elementType());
                }
            }
            case Allocate a -> {
                long n = scalar(a.size());
                memory.put(a.buffer(), new double[(int) n]);
                exec(a.body());
                memory.remove(a.buffer());
            }
            case Prefetch p -> eval(p.index()); // a hint: no effect on values, and it never faults
            case Barrier b -> {} // threads run one after another here, so every write is already visible
            case CrossThreadReduce r -> {
                // Fold the partials of threads 1.. into thread 0's, one combine at a time.
                var red = r.reducer();
                for (long t = 1; t < r.extent(); t++) {
                    for (int v = 0; v < red.arity(); v++) {
                        double[] mem = buffer(r.partials().get(v));
                        env.put(red.lhs().get(v), new double[] {mem[checked(r.partials().get(v), mem, 0)]});
                        env.put(red.rhs().get(v), new double[] {mem[checked(r.partials().get(v), mem, t)]});
                    }
                    double[] combined = new double[red.arity()];
                    for (int v = 0; v < red.arity(); v++) combined[v] = eval(red.combine().get(v))[0];
                    for (int v = 0; v < red.arity(); v++) {
                        buffer(r.partials().get(v))[0] = ScalarOps.fit(combined[v], r.partials().get(v).elementType());
                        env.remove(red.lhs().get(v));
                        env.remove(red.rhs().get(v));
                    }
                }
                exec(r.update());
            }
            case Provide p -> throw new IllegalStateException("the loop interpreter runs flattened IR");
            case Realize r -> throw new IllegalStateException("the loop interpreter runs flattened IR");
        }
    }

    private long scalar(Expr e) {
        return (long) eval(e)[0];
    }

    private double[] buffer(BufferRef b) {
        double[] m = memory.get(b);
        if (m == null) throw new IllegalStateException("buffer " + b + " is not allocated here");
        return m;
    }

    private static int checked(BufferRef b, double[] mem, double index) {
        if (index < 0 || index >= mem.length)
            throw new IllegalStateException("access to " + b + "[" + (long) index + "] is out of bounds (size " + mem.length + ")");
        return (int) index;
    }

    private double[] eval(Expr e) {
        int lanes = e.type().lanes();
        return switch (e) {
            case IntImm i -> new double[] {i.value()};
            case FloatImm f -> new double[] {f.value()};
            case Var v -> {
                double[] x = env.get(v);
                if (x == null) throw new IllegalStateException("variable " + v + " is not bound");
                yield x;
            }
            case Binary(var op, var a, var b) -> {
                double[] x = eval(a), y = eval(b), r = new double[lanes];
                for (int i = 0; i < lanes; i++) r[i] = ScalarOps.binary(op, a.type(), x[i], y[i]);
                yield r;
            }
            case Not(var a) -> {
                double[] x = eval(a), r = new double[lanes];
                for (int i = 0; i < lanes; i++) r[i] = x[i] == 0 ? 1 : 0;
                yield r;
            }
            case Select(var c, var t, var f) -> {
                double[] cv = eval(c);
                if (cv.length == 1 && lanes == 1) yield cv[0] != 0 ? eval(t) : eval(f);
                double[] r = new double[lanes];
                boolean any = false, all = true;
                for (double x : cv) { any |= x != 0; all &= x != 0; }
                double[] tv = any ? eval(t) : null, fv = all ? null : eval(f);
                for (int i = 0; i < lanes; i++) r[i] = cv[cv.length == 1 ? 0 : i] != 0 ? tv[i] : fv[i];
                yield r;
            }
            case Cast(var t, var v) -> {
                double[] x = eval(v), r = new double[lanes];
                for (int i = 0; i < lanes; i++) r[i] = ScalarOps.cast(t, v.type(), x[i]);
                yield r;
            }
            case Call(var fn, var args) -> {
                double[][] xs = args.stream().map(this::eval).toArray(double[][]::new);
                double[] r = new double[lanes];
                for (int i = 0; i < lanes; i++) {
                    double[] a = new double[xs.length];
                    for (int k = 0; k < xs.length; k++) a[k] = xs[k][i];
                    r[i] = ScalarOps.call(fn, e.type(), a);
                }
                yield r;
            }
            case Load l -> {
                double[] idx = eval(l.index()), mem = buffer(l.buffer());
                double[] pred = l.predicate() == null ? null : eval(l.predicate());
                double[] r = new double[lanes];
                for (int i = 0; i < lanes; i++)
                    r[i] = pred != null && pred[i] == 0 ? 0 : mem[checked(l.buffer(), mem, idx[i])];
                yield r;
            }
            case Ramp(var base, var stride, var n) -> {
                double b = eval(base)[0], st = eval(stride)[0];
                double[] r = new double[n];
                for (int i = 0; i < n; i++) r[i] = b + i * st;
                yield r;
            }
            case Broadcast(var v, var n) -> {
                double[] r = new double[n];
                java.util.Arrays.fill(r, eval(v)[0]);
                yield r;
            }
            case TensorRead t -> throw new IllegalStateException("the loop interpreter runs flattened IR");
            case Reduce r -> throw new IllegalStateException("the loop interpreter runs flattened IR");
        };
    }
}
