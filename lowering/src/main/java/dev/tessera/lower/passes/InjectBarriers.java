package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Inserts block barriers into a kernel so that threads see each other's shared-memory writes.
 * Barriers go only where every thread of a block arrives: outside thread loops, inside thread
 * loops that give every thread of the block one iteration (their extent is the block's), and under
 * loops and conditions that depend on block indices, loop counters and shapes alone, not on thread
 * indices. Between two statements at such a level, a barrier separates a write of a shared buffer
 * from a later read of it, and a read from a later write (so a tile is not overwritten while
 * others still read it); a loop whose body writes a shared buffer that it also reads ends each
 * iteration with a barrier for the same reason. A stage the block's threads compute together
 * (a thread loop inside a loop bound to the same thread index) placed where not every thread
 * arrives cannot be synchronized: that is an error naming the loop.
 */
public final class InjectBarriers {
    private InjectBarriers() {}

    public static GpuKernel apply(GpuKernel k) {
        Set<BufferRef> shared = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuKernel.ScopedBuffer b : k.scratch()) if (b.scope() == MemoryScope.SHARED) shared.add(b.buffer());
        if (shared.isEmpty()) return k;
        Stmt body = new Sync(shared, k.block()).sync(k.body(), true, Set.of(), Set.of());
        return new GpuKernel(k.name(), k.buffers(), k.shapeParams(), k.grid(), k.block(), k.scratch(), body);
    }

    /** The shared buffers a statement reads and writes. */
    private record Access(Set<BufferRef> reads, Set<BufferRef> writes) {
        /**
         * Whether {@code later} must wait for this: it reads what this wrote, or overwrites what this
         * read. Two statements that only write a buffer need no barrier: they write different
         * elements (the unrolled iterations of a cooperative load) or the same values.
         */
        boolean conflictsWith(Access later) {
            return !Collections.disjoint(writes, later.reads) || !Collections.disjoint(reads, later.writes);
        }
    }

    private record Sync(Set<BufferRef> shared, List<Long> block) {
        /**
         * {@code uniform}: every thread of the block runs {@code s}; {@code varying}: the variables
         * whose value differs between threads; {@code threadDims}: the thread indices bound around s.
         */
        Stmt sync(Stmt s, boolean uniform, Set<Var> varying, Set<Integer> threadDims) {
            return switch (s) {
                case For f when f.kind().isGpuThread() -> {
                    int d = f.kind().gpuDimension();
                    if (threadDims.contains(d) && !uniform)
                        throw new TesseraUserError("loop " + f.var().name() + " (bound to " + f.kind().threadTag() + ") computes a shared-memory tile with the block's "
                                + "threads together, but not every thread of the block reaches it (it runs under a condition or inside a loop that depends "
                                + "on the thread index, or inside a thread loop with fewer iterations than the block has threads), so no barrier can "
                                + "publish the tile: compute the stage at a loop whose bounds do not depend on thread indices");
                    Long extent = Exprs.constInt(f.extent());
                    boolean everyThread = uniform && extent != null && extent.equals(block.get(d));
                    Set<Integer> dims = new HashSet<>(threadDims);
                    dims.add(d);
                    Stmt body = sync(f.body(), everyThread, with(varying, f.var()), dims);
                    yield body == f.body() ? f : new For(f.var(), f.min(), f.extent(), f.kind(), body);
                }
                // A block "loop" is one block's index, not a loop: nothing follows an iteration.
                case For f when f.kind().isGpuBlock() -> new For(f.var(), f.min(), f.extent(), f.kind(), sync(f.body(), uniform, varying, threadDims));
                case For f -> {
                    boolean differs = dependsOn(f.min(), varying) || dependsOn(f.extent(), varying);
                    boolean inner = uniform && !differs;
                    Stmt body = sync(f.body(), inner, differs ? with(varying, f.var()) : varying, threadDims);
                    Access a = access(body);
                    if (inner && !Collections.disjoint(a.writes(), a.reads())) body = Block.of(body, new Barrier());
                    yield new For(f.var(), f.min(), f.extent(), f.kind(), body);
                }
                case LetStmt l -> new LetStmt(l.var(), l.value(),
                        sync(l.body(), uniform, dependsOn(l.value(), varying) ? with(varying, l.var()) : varying, threadDims));
                case IfThenElse i when isOneThreadGuard(i) -> i;
                case IfThenElse i -> {
                    boolean inner = uniform && !dependsOn(i.cond(), varying);
                    yield new IfThenElse(i.cond(), sync(i.then(), inner, varying, threadDims),
                            i.otherwise() == null ? null : sync(i.otherwise(), inner, varying, threadDims));
                }
                case Block b -> {
                    List<Stmt> out = new ArrayList<>();
                    Access pending = new Access(identitySet(), identitySet());
                    for (Stmt x : b.stmts()) {
                        Stmt y = sync(x, uniform, varying, threadDims);
                        Access a = access(y);
                        if (uniform && pending.conflictsWith(a)) {
                            out.add(new Barrier());
                            pending.reads().clear();
                            pending.writes().clear();
                        }
                        out.add(y);
                        pending.reads().addAll(a.reads());
                        pending.writes().addAll(a.writes());
                    }
                    yield Block.of(out);
                }
                default -> s;
            };
        }

        private static Set<BufferRef> identitySet() { return Collections.newSetFromMap(new IdentityHashMap<>()); }

        private static Set<Var> with(Set<Var> vars, Var v) {
            Set<Var> out = new HashSet<>(vars);
            out.add(v);
            return out;
        }

        private static boolean dependsOn(Expr e, Set<Var> vars) {
            if (vars.isEmpty()) return false;
            for (Var v : Exprs.vars(e)) if (vars.contains(v)) return true;
            return false;
        }

        /** The guard that has one thread write a value all threads computed alike: its body is one store. */
        private static boolean isOneThreadGuard(IfThenElse i) {
            return i.otherwise() == null && i.then() instanceof Store;
        }

        Access access(Stmt s) {
            Set<BufferRef> reads = identitySet(), writes = identitySet();
            new StmtVisitor() {
                @Override public void visit(Stmt x) {
                    if (x instanceof Store st && shared.contains(st.buffer())) writes.add(st.buffer());
                    super.visit(x);
                }
                @Override public void visit(Expr e) {
                    if (e instanceof Load l && shared.contains(l.buffer())) reads.add(l.buffer());
                    super.visit(e);
                }
            }.visit(s);
            return new Access(reads, writes);
        }
    }
}
