package dev.tessera.lower.passes;

import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inserts the hints of {@code prefetch} steps: at the top of each iteration of the named loop, one
 * {@link Prefetch} per distinct access to the tensor in the loop's body, at the address that access
 * has {@code distance} iterations later and at the start of any loops inside (lets inside are
 * substituted). Requires flattened IR (loads of buffers named after their tensors); runs before
 * unrolling and vectorization, which copy and widen the hints like any statement.
 */
public final class InjectPrefetches {
    private InjectPrefetches() {}

    public static Stmt apply(Stmt body, Schedule schedule) {
        Map<Var, List<Step.Prefetch>> byVar = new HashMap<>();
        for (Stage st : schedule.stages())
            for (Step.Prefetch p : st.prefetches()) byVar.computeIfAbsent(st.axis(p.axis()).var(), k -> new ArrayList<>()).add(p);
        if (byVar.isEmpty()) return body;
        return new StmtMutator() {
            @Override public Stmt mutate(Stmt s) {
                Stmt m = mutateChildren(s);
                if (!(m instanceof For f) || !byVar.containsKey(f.var())) return m;
                List<Stmt> hints = new ArrayList<>();
                for (Step.Prefetch p : byVar.get(f.var())) {
                    for (Load l : accesses(f.body(), p.tensor())) {
                        Expr ahead = Exprs.substitute(l.index(), Map.of(f.var(), Te.add(f.var(), Te.c(p.distance()))));
                        if (ahead.type().isVector()) continue;
                        hints.add(new Prefetch(l.buffer(), ahead));
                    }
                }
                if (hints.isEmpty()) return m;
                hints.add(f.body());
                return new For(f.var(), f.min(), f.extent(), f.kind(), Block.of(hints));
            }
        }.mutate(body);
    }

    /** Loads of the tensor's buffer in s, with inner loop variables at their loops' starts and inner lets substituted. */
    private static List<Load> accesses(Stmt s, String tensor) {
        Set<Load> out = new LinkedHashSet<>();
        Map<Var, Expr> inner = new HashMap<>();
        new StmtVisitor() {
            @Override public void visit(Stmt x) {
                switch (x) {
                    case For f -> {
                        inner.put(f.var(), Exprs.substitute(f.min(), inner));
                        visit(f.body());
                        inner.remove(f.var());
                    }
                    case LetStmt l -> {
                        inner.put(l.var(), Exprs.substitute(l.value(), inner));
                        visit(l.body());
                        inner.remove(l.var());
                    }
                    default -> visitChildren(x);
                }
            }

            @Override public void visit(Expr e) {
                if (e instanceof Load l && l.buffer().name().equals(tensor))
                    out.add(new Load(l.buffer(), dev.tessera.arith.Simplifier.simplify(Exprs.substitute(l.index(), inner)), null));
                visitChildren(e);
            }
        }.visit(s);
        return List.copyOf(out);
    }
}
