package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.arith.Bounds;
import dev.tessera.arith.Interval;
import dev.tessera.arith.Simplifier;
import dev.tessera.dsl.Te;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces loops marked UNROLLED by copies of their body, one per iteration. A loop whose extent is
 * not constant but has a constant upper bound is unrolled to that bound with each copy guarded.
 * Requires flattened IR; each copy gets its own local buffers.
 */
public final class UnrollLoops {
    /** The largest loop Tessera unrolls; larger ones are an error (split first). */
    public static final int MAX_UNROLL = 512;

    private UnrollLoops() {}

    public static Stmt apply(Stmt s) {
        Map<Var, Interval> scope = new HashMap<>();
        return new StmtMutator() {
            @Override public Stmt mutate(Stmt x) {
                if (x instanceof LetStmt l) {
                    scope.put(l.var(), Bounds.of(l.value(), scope));
                    Stmt out = mutateChildren(x);
                    scope.remove(l.var());
                    return out;
                }
                if (!(x instanceof For f)) return mutateChildren(x);
                scope.put(f.var(), BoundsInference.loopRange(f, scope));
                Stmt body = mutate(f.body());
                scope.remove(f.var());
                if (f.kind() != LoopKind.UNROLLED) return body == f.body() ? f : new For(f.var(), f.min(), f.extent(), f.kind(), body);
                Expr ext = Simplifier.simplify(f.extent());
                Long n = Exprs.constInt(ext);
                boolean guarded = false;
                if (n == null) {
                    Interval b = Bounds.of(ext, scope);
                    n = b.max() == null ? null : BoundsInference.constantUpperBound(Simplifier.simplify(b.max()));
                    guarded = true;
                }
                if (n == null)
                    throw new TesseraUserError("unroll(" + f.var().name() + "): the loop extent " + ext
                            + " is not a constant and has no constant upper bound; split the loop by a constant factor and unroll the inner loop");
                if (n > MAX_UNROLL)
                    throw new TesseraUserError("unroll(" + f.var().name() + "): the loop has " + n + " iterations; Tessera unrolls at most "
                            + MAX_UNROLL + ". Split it and unroll the inner loop");
                List<Stmt> copies = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    Stmt copy = freshBuffers(Substitute.exprs(body, Map.of(f.var(), Te.add(f.min(), Te.c(i)))));
                    if (guarded) copy = new IfThenElse(Te.lt(Te.c(i), f.extent()), copy, null);
                    copies.add(copy);
                }
                return Block.of(copies);
            }
        }.mutate(s);
    }

    /** Gives the buffers a copy allocates new identities, so copies do not share storage. */
    private static Stmt freshBuffers(Stmt s) {
        Map<BufferRef, BufferRef> rename = new IdentityHashMap<>();
        return new StmtMutator() {
            @Override public Expr mutate(Expr e) {
                Expr m = mutateChildren(e);
                if (m instanceof Load l && rename.containsKey(l.buffer())) return new Load(rename.get(l.buffer()), l.index(), l.predicate());
                return m;
            }

            @Override public Stmt mutate(Stmt x) {
                if (x instanceof Allocate a) {
                    BufferRef nb = new BufferRef(a.buffer().name(), a.buffer().elementType());
                    rename.put(a.buffer(), nb);
                    Stmt body = mutate(a.body());
                    return new Allocate(nb, mutate(a.size()), body);
                }
                Stmt m = mutateChildren(x);
                if (m instanceof Prefetch p && rename.containsKey(p.buffer())) return new Prefetch(rename.get(p.buffer()), p.index());
                if (m instanceof Store st && rename.containsKey(st.buffer()))
                    return new Store(rename.get(st.buffer()), st.index(), st.value(), st.predicate());
                return m;
            }
        }.mutate(s);
    }
}
