package dev.tessera.lower.passes;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Load;
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
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Inserts block barriers into a kernel so that threads see each other's shared-memory writes.
 * Barriers go only where every thread of a block arrives: outside thread loops, under conditions
 * that depend on block indices, loop counters and shapes alone. Between two statements at that
 * level, a barrier separates a shared-memory write from a later read or write of shared memory,
 * and a read from a later write (so a tile is not overwritten while others still read it); a loop
 * whose body writes shared memory that it also reads ends each iteration with a barrier for the
 * same reason.
 */
public final class InjectBarriers {
    private InjectBarriers() {}

    public static GpuKernel apply(GpuKernel k) {
        Set<BufferRef> shared = Collections.newSetFromMap(new IdentityHashMap<>());
        for (GpuKernel.ScopedBuffer b : k.scratch()) if (b.scope() == MemoryScope.SHARED) shared.add(b.buffer());
        if (shared.isEmpty()) return k;
        Stmt body = new Sync(shared).sync(k.body());
        return new GpuKernel(k.name(), k.buffers(), k.shapeParams(), k.grid(), k.block(), k.scratch(), body);
    }

    private record Access(boolean reads, boolean writes) {}

    private record Sync(Set<BufferRef> shared) {
        Stmt sync(Stmt s) {
            return switch (s) {
                case For f when f.kind().isGpuThread() -> f;
                // A block "loop" is one block's index, not a loop: nothing follows an iteration.
                case For f when f.kind().isGpuBlock() -> new For(f.var(), f.min(), f.extent(), f.kind(), sync(f.body()));
                case For f -> {
                    Stmt body = sync(f.body());
                    Access a = access(body);
                    if (a.writes() && a.reads()) body = Block.of(body, new Barrier());
                    yield new For(f.var(), f.min(), f.extent(), f.kind(), body);
                }
                case LetStmt l -> new LetStmt(l.var(), l.value(), sync(l.body()));
                case IfThenElse i when isOneThreadGuard(i) -> i;
                case IfThenElse i -> new IfThenElse(i.cond(), sync(i.then()), i.otherwise() == null ? null : sync(i.otherwise()));
                case Block b -> {
                    List<Stmt> out = new ArrayList<>();
                    boolean pendingWrite = false, pendingRead = false;
                    for (Stmt x : b.stmts()) {
                        Stmt y = sync(x);
                        Access a = access(y);
                        if ((pendingWrite && (a.reads() || a.writes())) || (pendingRead && a.writes())) {
                            out.add(new Barrier());
                            pendingWrite = pendingRead = false;
                        }
                        out.add(y);
                        pendingWrite |= a.writes();
                        pendingRead |= a.reads();
                    }
                    yield Block.of(out);
                }
                default -> s;
            };
        }

        /** The guard that has one thread write a value all threads computed alike: its body is one store. */
        private static boolean isOneThreadGuard(IfThenElse i) {
            return i.otherwise() == null && i.then() instanceof Store;
        }

        Access access(Stmt s) {
            boolean[] rw = new boolean[2];
            new StmtVisitor() {
                @Override public void visit(Stmt x) {
                    if (x instanceof Store st && shared.contains(st.buffer())) rw[1] = true;
                    super.visit(x);
                }
                @Override public void visit(Expr e) {
                    if (e instanceof Load l && shared.contains(l.buffer())) rw[0] = true;
                    super.visit(e);
                }
            }.visit(s);
            return new Access(rw[0], rw[1]);
        }
    }
}
