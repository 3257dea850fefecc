package dev.tessera.lower;

import dev.tessera.ir.Axis;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
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
import java.util.stream.Collectors;

/**
 * Renders IR as stable, readable text with two-space indentation; tests compare against it.
 * Distinct variables (or buffers) sharing a name get {@code .1}, {@code .2}, ... suffixes in order of
 * first appearance within one print call, so the text is unambiguous. Binary operands that are
 * themselves infix operations are parenthesized; integer {@code *} and {@code /} (index arithmetic)
 * print without spaces, like Halide, and every other infix operator with spaces.
 */
public final class IRPrinter {
    private final Map<Object, String> names = new IdentityHashMap<>();
    private final Map<String, Integer> used = new HashMap<>();
    private final StringBuilder out = new StringBuilder();

    private IRPrinter() {}

    public static String print(Expr e) {
        return new IRPrinter().expr(e);
    }

    /** One line per statement, each ending in a newline. */
    public static String print(Stmt s) {
        IRPrinter p = new IRPrinter();
        p.stmt(s, 0);
        return p.out.toString();
    }

    public static String print(LoweredFunc f) {
        IRPrinter p = new IRPrinter();
        p.signature("func", f.name(), f);
        p.stmt(f.body(), 1);
        p.out.append("}\n");
        return p.out.toString();
    }

    /**
     * A device program: the function's signature with the host steps as its body (allocations of
     * intermediate global buffers, launches with their grid and block, symbolic extents as
     * expressions over the shape parameters), then each kernel with its parameters, block shape,
     * per-block (shared) and per-thread (local) arrays, and body. One naming scope covers the
     * whole program, so a buffer has the same name in the host steps and in every kernel.
     */
    public static String print(DeviceProgram program) {
        IRPrinter p = new IRPrinter();
        p.signature("func", program.func().name(), program.func());
        p.host(program.host(), 1);
        p.out.append("}\n");
        for (GpuKernel k : program.kernels()) {
            p.out.append('\n');
            p.out.append("kernel ").append(k.name()).append('(');
            String sep = "";
            for (BufferRef b : k.buffers()) {
                p.out.append(sep).append(p.buffer(b)).append(": ").append(b.elementType()).append('*');
                sep = ", ";
            }
            for (Var v : k.shapeParams()) {
                p.out.append(sep).append(p.name(v, v.name())).append(": ").append(v.type());
                sep = ", ";
            }
            p.out.append(") block ").append(blockDims(k)).append(" {\n");
            for (GpuKernel.ScopedBuffer b : k.scratch())
                p.line(1, b.scope().name().toLowerCase(java.util.Locale.ROOT) + " " + p.buffer(b.buffer()) + "[" + b.buffer().elementType() + " * " + b.elements() + "]");
            p.stmt(k.body(), 1);
            p.out.append("}\n");
        }
        return p.out.toString();
    }

    private void signature(String keyword, String name, LoweredFunc f) {
        StringBuilder header = new StringBuilder(keyword).append(' ').append(name).append('(');
        String sep = "";
        for (LoweredFunc.BufferParam b : f.buffers()) {
            header.append(sep).append(name(b.buffer(), b.buffer().name())).append(": ").append(b.buffer().elementType())
                    .append(b.shape().stream().map(this::expr).collect(Collectors.joining(", ", "[", "]")));
            sep = ", ";
        }
        for (Var v : f.shapeParams()) {
            header.append(sep).append(name(v, v.name())).append(": ").append(v.type());
            sep = ", ";
        }
        out.append(header).append(") {\n");
    }

    private String dims(List<Expr> es) {
        return es.stream().map(this::expr).collect(Collectors.joining(", ", "(", ")"));
    }

    private static String blockDims(GpuKernel k) {
        return k.block().stream().map(String::valueOf).collect(Collectors.joining(", ", "(", ")"));
    }

    private void host(HostStep step, int in) {
        switch (step) {
            case HostStep.Launch l -> {
                GpuKernel k = l.kernel();
                String args = java.util.stream.Stream.concat(k.buffers().stream().map(this::buffer), k.shapeParams().stream().map(v -> name(v, v.name())))
                        .collect(Collectors.joining(", "));
                line(in, "launch " + k.name() + "(" + args + ") grid " + dims(k.grid()) + " block " + blockDims(k)
                        + (k.sharedBytes() > 0 ? " shared " + k.sharedBytes() + " bytes" : ""));
            }
            case HostStep.Sequence q -> q.steps().forEach(x -> host(x, in));
            case HostStep.Let l -> {
                line(in, "let " + name(l.var(), l.var().name()) + " = " + expr(l.value()));
                host(l.body(), in);
            }
            case HostStep.If i -> {
                line(in, "if (" + expr(i.condition()) + ") {");
                host(i.then(), in + 1);
                if (i.otherwise() != null) {
                    line(in, "} else {");
                    host(i.otherwise(), in + 1);
                }
                line(in, "}");
            }
            case HostStep.Allocate a -> {
                line(in, "allocate global " + buffer(a.buffer()) + "[" + a.buffer().elementType() + " * " + expr(a.size()) + "] {");
                host(a.body(), in + 1);
                line(in, "}");
            }
        }
    }

    private String name(Object key, String base) {
        return names.computeIfAbsent(key, k -> {
            int n = used.merge(base, 1, Integer::sum) - 1;
            return n == 0 ? base : base + "." + n;
        });
    }

    // ---- statements ----

    private void line(int indent, String text) {
        out.append("  ".repeat(indent)).append(text).append('\n');
    }

    private void stmt(Stmt s, int in) {
        switch (s) {
            case For f -> {
                String kind = switch (f.kind()) {
                    case SERIAL -> "for";
                    case PARALLEL -> "parallel for";
                    case VECTORIZED -> "vectorized for";
                    case UNROLLED -> "unrolled for";
                    case BLOCK_X, BLOCK_Y, BLOCK_Z, THREAD_X, THREAD_Y, THREAD_Z -> f.kind().threadTag() + " for";
                };
                line(in, kind + " (" + name(f.var(), f.var().name()) + ", " + expr(f.min()) + ", " + expr(f.extent()) + ") {");
                stmt(f.body(), in + 1);
                line(in, "}");
            }
            case LetStmt l -> {
                line(in, "let " + name(l.var(), l.var().name()) + " = " + expr(l.value()));
                stmt(l.body(), in);
            }
            case IfThenElse i -> {
                line(in, "if (" + expr(i.cond()) + ") {");
                stmt(i.then(), in + 1);
                Stmt o = i.otherwise();
                while (o instanceof IfThenElse elif) {
                    line(in, "} else if (" + expr(elif.cond()) + ") {");
                    stmt(elif.then(), in + 1);
                    o = elif.otherwise();
                }
                if (o != null) {
                    line(in, "} else {");
                    stmt(o, in + 1);
                }
                line(in, "}");
            }
            case Block b -> b.stmts().forEach(x -> stmt(x, in));
            case Store st -> line(in, buffer(st.buffer()) + "[" + expr(st.index()) + "] = " + expr(st.value())
                    + (st.predicate() == null ? "" : " if " + expr(st.predicate())));
            case Allocate a -> {
                line(in, "allocate " + buffer(a.buffer()) + "[" + a.buffer().elementType() + " * " + expr(a.size()) + "] {");
                stmt(a.body(), in + 1);
                line(in, "}");
            }
            case Provide p -> line(in, p.tensor().name() + list(p.indices()) + " = " + expr(p.value()));
            case Prefetch p -> line(in, "prefetch " + buffer(p.buffer()) + "[" + expr(p.index()) + "]");
            case Barrier b -> line(in, "barrier");
            case CrossThreadReduce r -> {
                line(in, "cross_thread_reduce " + r.reducer().name() + " over " + r.thread().threadTag() + " < " + r.extent() + " of "
                        + String.join(", ", r.partials().stream().map(this::buffer).toList())
                        + (r.scratch().isEmpty() ? "" : " via " + String.join(", ", r.scratch().stream().map(this::buffer).toList())) + " {");
                stmt(r.update(), in + 1);
                line(in, "}");
            }
            case Realize r -> {
                StringBuilder sb = new StringBuilder("realize ").append(r.op().name());
                if (r.hasRegion()) {
                    sb.append('(');
                    for (int d = 0; d < r.mins().size(); d++) {
                        if (d > 0) sb.append(", ");
                        sb.append('[').append(expr(r.mins().get(d))).append(", ").append(expr(r.extents().get(d))).append(']');
                    }
                    sb.append(')');
                    if (!r.storageExtents().isEmpty() && !r.storageExtents().equals(r.extents()))
                        sb.append(" storage").append(list(r.storageExtents()));
                }
                line(in, sb.append(" {").toString());
                stmt(r.body(), in + 1);
                line(in, "}");
            }
        }
    }

    private String buffer(BufferRef b) { return name(b, b.name()); }

    private String list(List<Expr> es) {
        return es.stream().map(this::expr).collect(Collectors.joining(", ", "(", ")"));
    }

    // ---- expressions ----

    private static boolean infix(Expr e) {
        return e instanceof Binary b && b.op() != Op.MIN && b.op() != Op.MAX;
    }

    private String operand(Expr e) {
        String s = expr(e);
        return infix(e) ? "(" + s + ")" : s;
    }

    private String expr(Expr e) {
        return switch (e) {
            case IntImm i -> {
                if (i.type().isBool()) yield i.value() != 0 ? "true" : "false";
                yield i.type().equals(DType.I64) ? Long.toString(i.value()) : i.value() + ":" + i.type();
            }
            case FloatImm f -> floating(f);
            case Var v -> name(v, v.name());
            case Binary(Op op, Expr a, Expr b) -> switch (op) {
                case MIN, MAX -> op.symbol + "(" + expr(a) + ", " + expr(b) + ")";
                case MUL, DIV -> a.type().scalar().isIntegral() ? operand(a) + op.symbol + operand(b)
                        : operand(a) + " " + op.symbol + " " + operand(b);
                default -> operand(a) + " " + op.symbol + " " + operand(b);
            };
            case Not(Expr a) -> "!" + operand(a);
            case Select(Expr c, Expr t, Expr f) -> "select(" + expr(c) + ", " + expr(t) + ", " + expr(f) + ")";
            case Cast(DType t, Expr v) -> t + "(" + expr(v) + ")";
            case Call(Call.Fn fn, List<Expr> args) -> fn.lowerName() + args.stream().map(this::expr).collect(Collectors.joining(", ", "(", ")"));
            case TensorRead(var t, List<Expr> idx) -> t.name() + list(idx);
            case Reduce r -> {
                StringBuilder sb = new StringBuilder(r.reducer().name()).append('(');
                for (Expr s : r.sources()) sb.append(expr(s)).append(", ");
                sb.append("axes=[");
                sb.append(r.axes().stream().map(Axis::var).map(v -> name(v, v.name())).collect(Collectors.joining(", ")));
                sb.append(']');
                if (!(r.condition() instanceof IntImm c && c.value() != 0)) sb.append(", where=").append(expr(r.condition()));
                sb.append(')');
                if (r.sources().size() > 1) sb.append('[').append(r.valueIndex()).append(']');
                yield sb.toString();
            }
            case Load(BufferRef buf, Expr idx, Expr pred) -> buffer(buf) + "[" + expr(idx) + (pred == null ? "" : " if " + expr(pred)) + "]";
            case Ramp(Expr base, Expr stride, int lanes) -> "ramp(" + expr(base) + ", " + expr(stride) + ", " + lanes + ")";
            case Broadcast(Expr v, int lanes) -> "x" + lanes + "(" + expr(v) + ")";
        };
    }

    private static String floating(FloatImm f) {
        double v = f.value();
        String num;
        if (Double.isNaN(v)) num = "nan";
        else if (Double.isInfinite(v)) num = v > 0 ? "inf" : "-inf";
        else if (v == Math.rint(v) && Math.abs(v) < 1e15) num = (v == 0 && 1 / v < 0 ? "-" : "") + Long.toString((long) v);
        else if (f.type().bits() < 64) num = Float.toString((float) v);
        else num = Double.toString(v);
        return f.type().equals(DType.F32) ? num + "f" : num + ":" + f.type();
    }
}
