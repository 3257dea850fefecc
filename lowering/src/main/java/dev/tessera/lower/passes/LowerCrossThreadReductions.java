package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Load;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.ir.Exprs;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.Store;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Prepares a kernel's cross-thread reductions for the code generator. Each thread keeps its partial
 * in a register: the partial buffers ({@link CrossThreadReduce#partials()}, one element per thread
 * of the reduction loop in sequential form) are indexed at 0 instead of by the thread's index, which
 * is what {@link SplitHostDevice} already sized them as. Each reduction gets a shared scratch array
 * per value, one element per thread of the block, for the combining tree (or the per-warp results
 * of warp shuffles). Every thread of the block must reach the reduction, since the tree waits at
 * barriers: it may not sit inside a thread loop that leaves some threads out.
 */
public final class LowerCrossThreadReductions {
    private LowerCrossThreadReductions() {}

    public static GpuKernel apply(GpuKernel k) {
        Set<BufferRef> partials = Collections.newSetFromMap(new IdentityHashMap<>());
        new dev.tessera.lower.ir.StmtVisitor() {
            @Override public void visit(Stmt s) {
                if (s instanceof CrossThreadReduce r) partials.addAll(r.partials());
                super.visit(s);
            }
        }.visit(k.body());
        if (partials.isEmpty()) return k;
        long threads = k.block().get(0) * k.block().get(1) * k.block().get(2);
        List<GpuKernel.ScopedBuffer> scratch = new ArrayList<>(k.scratch());
        Deque<For> threadLoops = new ArrayDeque<>();
        Stmt body = new StmtMutator() {
            @Override public Stmt mutate(Stmt s) {
                return switch (s) {
                    case For f when f.kind().isGpuThread() -> {
                        threadLoops.push(f);
                        try {
                            yield mutateChildren(f);
                        } finally {
                            threadLoops.pop();
                        }
                    }
                    case Store st when partials.contains(st.buffer()) -> new Store(st.buffer(), Te.c(0), mutate(st.value()), st.predicate());
                    case CrossThreadReduce r -> {
                        checkEveryThreadArrives(r, k);
                        List<BufferRef> trees = new ArrayList<>();
                        for (BufferRef p : r.partials()) {
                            BufferRef tree = new BufferRef(p.name() + ".tree", p.elementType());
                            trees.add(tree);
                            scratch.add(new GpuKernel.ScopedBuffer(tree, MemoryScope.SHARED, threads));
                        }
                        yield new CrossThreadReduce(r.reducer(), r.partials(), r.thread(), r.extent(), trees, mutate(r.update()));
                    }
                    default -> mutateChildren(s);
                };
            }

            @Override public Expr mutate(Expr e) {
                Expr m = mutateChildren(e);
                return m instanceof Load l && partials.contains(l.buffer()) ? new Load(l.buffer(), Te.c(0), l.predicate()) : m;
            }

            private void checkEveryThreadArrives(CrossThreadReduce r, GpuKernel k) {
                for (For f : threadLoops) {
                    Long n = Exprs.constInt(f.extent());
                    long dim = k.block().get(f.kind().gpuDimension());
                    if (n == null || n != dim)
                        throw new TesseraUserError("the reduction of " + r.partials().get(0).name().replace(".partial", "") + " across "
                                + r.thread().threadTag() + " runs inside loop " + f.var().name() + " (bound to " + f.kind().threadTag() + ", " + f.extent()
                                + " of the block's " + dim + " threads), so some threads would skip it while the others wait for them; "
                                + "make that loop span the block (split it by " + dim + ") or give the reduction its own kernel (compute_root)");
                }
            }
        }.mutate(k.body());
        return new GpuKernel(k.name(), k.buffers(), k.shapeParams(), k.grid(), k.block(), scratch, body);
    }
}
