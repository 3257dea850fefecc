package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.Attachment;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns multi-dimensional tensor accesses into flat buffer accesses (row-major): inputs and
 * outputs become buffer parameters, each realized intermediate an {@link Allocate} of its storage
 * box, indexed relative to its region's start. Produces the kernel's {@link LoweredFunc}.
 */
public final class StorageFlattening {
    private StorageFlattening() {}

    private record Layout(BufferRef buffer, List<Expr> mins, List<Expr> strides) {
        Expr flatten(List<Expr> idx) {
            Expr e = null;
            for (int d = 0; d < idx.size(); d++) {
                Expr off = Exprs.isConst(mins.get(d), 0) ? idx.get(d) : Te.sub(idx.get(d), mins.get(d));
                Expr term = Exprs.isConst(strides.get(d), 1) ? off : Te.mul(off, strides.get(d));
                e = e == null ? term : Te.add(e, term);
            }
            return e == null ? Te.c(0) : e;
        }
    }

    public static LoweredFunc apply(Stmt body, Schedule schedule, String name) {
        return apply(body, schedule, name, schedule.inputs());
    }

    /** As {@link #apply(Stmt, Schedule, String)}, with the kernel's input buffers named: the schedule's inputs, or for a kernel that receives prepacked stages, those and the inputs they do not replace. */
    public static LoweredFunc apply(Stmt body, Schedule schedule, String name, List<Tensor> inputs) {
        Map<Tensor, Layout> layouts = new IdentityHashMap<>();
        List<LoweredFunc.BufferParam> params = new ArrayList<>();
        for (Tensor t : inputs) params.add(param(t, false, layouts));
        for (Tensor t : schedule.outputs()) params.add(param(t, true, layouts));
        Stmt flat = new StmtMutator() {
            @Override public Expr mutate(Expr e) {
                Expr m = mutateChildren(e);
                if (m instanceof TensorRead tr) return new Load(layout(tr.tensor()).buffer(), layout(tr.tensor()).flatten(tr.indices()));
                return m;
            }

            @Override public Stmt mutate(Stmt s) {
                if (s instanceof Realize r) {
                    List<BufferRef> bufs = new ArrayList<>();
                    Stage stage = schedule.stage(r.op().outputs().get(0));
                    List<Expr> strides = alignedStrides(r.storageExtents(), stage);
                    for (Tensor t : r.op().outputs()) {
                        BufferRef b = new BufferRef(t.name(), t.dtype());
                        bufs.add(b);
                        layouts.put(t, new Layout(b, r.mins(), strides));
                    }
                    Stmt inner = mutate(r.body());
                    int outermost = r.storageExtents().isEmpty() ? -1 : stage.storageOrder()[0];
                    Expr size = outermost < 0 ? Te.c(1) : dev.tessera.arith.Simplifier.simplify(Te.mul(r.storageExtents().get(outermost), strides.get(outermost)));
                    for (int i = bufs.size() - 1; i >= 0; i--) {
                        inner = new Allocate(bufs.get(i), size, inner);
                        layouts.remove(r.op().outputs().get(i));
                    }
                    return inner;
                }
                Stmt m = mutateChildren(s);
                if (m instanceof Provide p) return new Store(layout(p.tensor()).buffer(), layout(p.tensor()).flatten(p.indices()), p.value());
                return m;
            }

            private Layout layout(Tensor t) {
                Layout l = layouts.get(t);
                if (l == null) throw outOfScope(t, schedule);
                return l;
            }
        }.mutate(body);

        Set<Var> shapeVars = new LinkedHashSet<>();
        for (LoweredFunc.BufferParam p : params) for (Expr d : p.shape()) shapeVars.addAll(Exprs.vars(d));
        for (Var v : shapeVars) {
            boolean bindable = params.stream().anyMatch(p -> p.shape().stream().anyMatch(d -> d == v));
            if (!bindable)
                throw new TesseraUserError("shape variable " + v + " cannot be bound at call time: no input or output has a dimension that is exactly "
                        + v + "; make it a dimension of some tensor");
        }
        return new LoweredFunc(name, params, List.copyOf(shapeVars), flat);
    }

    private static LoweredFunc.BufferParam param(Tensor t, boolean isOutput, Map<Tensor, Layout> layouts) {
        BufferRef b = new BufferRef(t.name(), t.dtype());
        layouts.put(t, new Layout(b, t.shape().stream().map(d -> (Expr) Te.c(0)).toList(), strides(t.shape())));
        return new LoweredFunc.BufferParam(b, t, t.shape(), isOutput);
    }

    private static List<Expr> strides(List<Expr> extents) {
        List<Expr> s = new ArrayList<>();
        Expr stride = Te.c(1);
        for (int d = extents.size() - 1; d >= 0; d--) {
            s.add(0, stride);
            stride = Exprs.isConst(stride, 1) ? extents.get(d) : Te.mul(extents.get(d), stride);
        }
        return s;
    }

    /**
     * Row-major strides in the stage's storage order (its definition's unless reorder_storage changed
     * it), each dimension's stride padded as the stage's storage_align steps ask; indexed by the
     * definition's dimensions.
     */
    private static List<Expr> alignedStrides(List<Expr> extents, Stage stage) {
        Expr[] s = new Expr[extents.size()];
        int[] order = stage.storageOrder();
        Expr stride = Te.c(1);
        for (int o = order.length - 1; o >= 0; o--) {
            int d = order[o];
            long[] align = stage.storageAlignment(d);
            if (align != null) {
                // The smallest stride >= the packed one that is factor * n + offset.
                Expr f = Te.c(align[0]), off = Te.c(align[1]);
                stride = Te.add(Te.mul(Te.div(Te.add(Te.sub(stride, off), Te.c(align[0] - 1)), f), f), off);
                stride = dev.tessera.arith.Simplifier.simplify(stride);
            }
            s[d] = stride;
            stride = Exprs.isConst(stride, 1) ? extents.get(d) : Te.mul(extents.get(d), stride);
        }
        return List.of(s);
    }

    private static TesseraUserError outOfScope(Tensor t, Schedule schedule) {
        Stage p = schedule.stage(t);
        String where = p.attachment() instanceof Attachment.At at
                ? "computed inside loop " + at.axis().name() + " of " + at.consumer().name() : "not in scope";
        List<String> readers = schedule.readers(p).stream().map(Stage::name).toList();
        return new TesseraUserError("stage " + p.name() + " is " + where + ", but one of its readers " + readers
                + " reads it outside that loop. Compute every reader of " + p.name() + " inside that loop too, or compute "
                + p.name() + " at root");
    }

}
