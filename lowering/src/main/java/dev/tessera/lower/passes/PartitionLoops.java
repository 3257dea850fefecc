package dev.tessera.lower.passes;

import dev.tessera.arith.Bounds;
import dev.tessera.arith.Interval;
import dev.tessera.arith.Simplifier;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits a loop whose body is guarded by conditions that hold on a prefix (or a suffix, or a middle
 * range) of its iterations into a steady state, where the guards are proved and removed, and a
 * prologue and an epilogue that keep them, as Halide's PartitionLoops does. A split tail
 * ({@code if (x.outer * 16 + x.inner < n)}), the extent of a tile clipped at the edge of the output
 * ({@code min(j.outer * 48 + 47, 1023) - j.outer * 48 + 1}, and the guards and unrolled loop extents
 * derived from it) or a padding select then cost nothing in the iterations where they are known to
 * hold, and unrolled and vectorized code in the steady state has constant extents and no masks.
 *
 * <p>Candidate bounds come from the comparisons and min/max of the body that are affine in the loop
 * variable (bounded over the inner loops and lets, and symbolic in everything outside the loop);
 * each candidate range is checked by simplifying the body with the loop variable restricted to it,
 * and the one that proves the most guards true is taken (the wider one of equals, when that is
 * provable) if it proves more than the whole range does. Guards are the comparisons in
 * if-conditions, store and load predicates and select conditions, and unrolled or vectorized loops
 * whose extent is not a constant; one proved false marks a boundary piece and counts for nothing. The pieces cover the range exactly in order, whatever the
 * runtime values: prologue {@code [min, s)}, steady state {@code [s, p)}, epilogue {@code [p, end)}
 * with {@code min <= s <= p <= end}; each keeps the loop's kind, except that a PARALLEL loop stays
 * one loop whose body branches to the piece (so the thread pool still sees every iteration). Outer
 * loops go first; the steady state's inner loops are then partitioned in turn, the prologue's and
 * epilogue's are only simplified.
 *
 * <p>Requires flattened IR (after storage flattening), and runs before unrolling and vectorization,
 * which then see the steady state's constant extents. Only SERIAL and PARALLEL loops are split.
 */
public final class PartitionLoops {
    private PartitionLoops() {}

    /** Most candidate starts and ends tried per loop (each costs a simplification of the body). */
    private static final int MAX_CANDIDATES = 6;

    public static Stmt apply(Stmt s) {
        return new Partitioner().mutate(s);
    }

    private static final Stmt EMPTY = new Block(List.of());

    private static Expr simplify(Expr e, Map<Var, Interval> scope) {
        return Simplifier.simplify(e, scope);
    }

    private static Expr add(Expr a, Expr b) { return new Binary(Op.ADD, a, b); }
    private static Expr sub(Expr a, Expr b) { return new Binary(Op.SUB, a, b); }
    private static Expr c(long v) { return IntImm.i64(v); }

    /** The loop nest walk: enclosing loops and lets in scope, loops partitioned outermost first. */
    private static final class Partitioner extends StmtMutator {
        private final Map<Var, Interval> scope = new HashMap<>();

        @Override public Stmt mutate(Stmt s) {
            return switch (s) {
                case For f -> loop(f);
                case LetStmt l -> {
                    bindLet(scope, l.var(), simplify(l.value(), scope));
                    try {
                        yield mutateChildren(l);
                    } finally {
                        scope.remove(l.var());
                    }
                }
                default -> mutateChildren(s);
            };
        }

        private Stmt loop(For f) {
            Expr lo = simplify(f.min(), scope), end = simplify(add(f.min(), f.extent()), scope);
            if (f.kind() == LoopKind.SERIAL || f.kind() == LoopKind.PARALLEL) {
                Stmt split = partition(f, lo, end);
                if (split != null) return split;
            }
            return within(f.var(), lo, end, () -> {
                Stmt body = mutate(f.body());
                return body == f.body() ? f : new For(f.var(), f.min(), f.extent(), f.kind(), body);
            });
        }

        private Stmt within(Var v, Expr lo, Expr end, java.util.function.Supplier<Stmt> work) {
            scope.put(v, Interval.of(lo, simplify(sub(end, c(1)), scope)));
            try {
                return work.get();
            } finally {
                scope.remove(v);
            }
        }

        /** The loop split into pieces, or null when no candidate range removes a guard. */
        private Stmt partition(For f, Expr lo, Expr end) {
            Var v = f.var();
            if (!hasGuards(f.body())) return null;
            Candidates cands = new Candidates(v, scope);
            cands.collect(f.body());
            if (cands.starts.isEmpty() && cands.ends.isEmpty()) return null;
            Eliminated whole = eliminate(f.body(), v, Interval.of(lo, simplify(sub(end, c(1)), scope)));
            // A candidate at or beyond the loop's own bound adds an empty piece: it is the bound.
            List<Expr> starts = new ArrayList<>(List.of(lo)), ends = new ArrayList<>(List.of(end));
            for (Expr s : cands.starts) if (!Simplifier.canProve(new Binary(Op.LE, s, lo), scope)) starts.add(s);
            for (Expr p : cands.ends) if (!Simplifier.canProve(new Binary(Op.GE, p, end), scope)) ends.add(p);
            Expr bestStart = null, bestEnd = null;
            Eliminated best = whole;
            for (Expr s : starts) {
                for (Expr p : ends) {
                    if (s == lo && p == end) continue;
                    if (Simplifier.canProve(new Binary(Op.LE, p, s), scope)) continue; // an empty steady state
                    Eliminated steady = eliminate(f.body(), v, proofRange(s, p, lo, end));
                    boolean better = steady.proved > best.proved
                            || steady.proved == best.proved && bestStart != null && wider(s, p, bestStart, bestEnd);
                    if (better) {
                        best = steady;
                        bestStart = s;
                        bestEnd = p;
                    }
                }
            }
            if (bestStart == null) return null;
            return emit(f, lo, end, bestStart, bestEnd, best.body);
        }

        /** Whether [s, p) provably holds more iterations than [s2, p2). */
        private boolean wider(Expr s, Expr p, Expr s2, Expr p2) {
            return Simplifier.canProve(new Binary(Op.GT, sub(p, s), sub(p2, s2)), scope);
        }

        /**
         * The range of the loop variable the steady state [max(s, lo), min(p, end)) runs over, for
         * proofs: each bound clipped when the simplifier makes the clip disappear, else the candidate
         * itself (also a valid bound whenever the steady state runs).
         */
        private Interval proofRange(Expr s, Expr p, Expr lo, Expr end) {
            Expr min = simplify(new Binary(Op.MAX, s, lo), scope);
            if (min instanceof Binary(Op op, Expr a, Expr b) && op == Op.MAX) min = s;
            Expr max = simplify(new Binary(Op.MIN, p, end), scope);
            if (max instanceof Binary(Op op, Expr a, Expr b) && op == Op.MIN) max = p;
            return Interval.of(min, simplify(sub(max, c(1)), scope));
        }

        private Eliminated eliminate(Stmt body, Var v, Interval range) {
            Map<Var, Interval> inner = new HashMap<>(scope);
            inner.put(v, range);
            GuardEliminator g = new GuardEliminator(inner);
            Stmt out = g.mutate(body);
            return new Eliminated(out, g.proved);
        }

        private Stmt emit(For f, Expr lo, Expr end, Expr s, Expr p, Stmt steadyBody) {
            Var v = f.var();
            boolean prologue = s != lo, epilogue = p != end;
            // Clipped so that lo <= start <= stop <= end for every runtime value.
            Expr start = prologue ? simplify(new Binary(Op.MIN, new Binary(Op.MAX, s, lo), end), scope) : lo;
            Expr stop = epilogue ? simplify(new Binary(Op.MIN, new Binary(Op.MAX, p, start), end), scope) : end;
            Interval steadyRange = proofRange(s, p, lo, end);
            // Each piece simplified for its own range; only the steady state's inner loops are
            // partitioned in turn (the boundary pieces are a tile or so: more copies of them would
            // cost compile time and code size for little).
            Stmt first = prologue ? eliminate(f.body(), v, Interval.of(lo, simplify(sub(start, c(1)), scope))).body : null;
            Stmt middle = within(v, steadyRange.min(), add(steadyRange.max(), c(1)), () -> mutate(steadyBody));
            Stmt last = epilogue ? eliminate(f.body(), v, Interval.of(stop, simplify(sub(end, c(1)), scope))).body : null;
            if (f.kind() == LoopKind.PARALLEL) {
                // One parallel loop whose iterations branch to their piece.
                Stmt body = middle;
                if (last != null) body = new IfThenElse(new Binary(Op.LT, v, stop), body, last);
                if (first != null) body = new IfThenElse(new Binary(Op.LT, v, start), first, body);
                return new For(v, f.min(), f.extent(), f.kind(), body);
            }
            List<Stmt> loops = new ArrayList<>();
            if (first != null) loops.add(renamed(new For(v, lo, simplify(sub(start, lo), scope), f.kind(), first)));
            loops.add(new For(v, start, simplify(sub(stop, start), scope), f.kind(), middle));
            if (last != null) loops.add(renamed(new For(v, stop, simplify(sub(end, stop), scope), f.kind(), last)));
            return Block.of(loops);
        }

        /** A copy of a loop with its own loop variable. */
        private static Stmt renamed(For f) {
            return Substitute.vars(f, Map.of(f.var(), f.var().copy(f.var().type())));
        }
    }

    /** Whether a statement has anything a partition could prove: a condition, a select, a loop of variable extent that must be unrolled or vectorized. */
    private static boolean hasGuards(Stmt s) {
        boolean[] found = {false};
        new StmtVisitor() {
            @Override public void visit(Stmt x) {
                if (found[0]) return;
                if (x instanceof IfThenElse || x instanceof Store st && st.predicate() != null
                        || x instanceof For f && (f.kind() == LoopKind.UNROLLED || f.kind() == LoopKind.VECTORIZED) && Exprs.constInt(f.extent()) == null)
                    found[0] = true;
                else visitChildren(x);
            }

            @Override public void visit(Expr e) {
                if (found[0]) return;
                if (e instanceof Select || e instanceof Load l && l.predicate() != null) found[0] = true;
                else visitChildren(e);
            }
        }.visit(s);
        return found[0];
    }

    /** A body simplified for a range of the loop variable, and how many guards that proved true. */
    private record Eliminated(Stmt body, int proved) {}

    /** Binds a let variable in a scope: its value's bounds (an integer scalar), or nothing. */
    private static void bindLet(Map<Var, Interval> scope, Var var, Expr value) {
        if (var.type().isIntegral() && !var.type().isVector()) scope.put(var, Bounds.of(value, scope));
    }

    /**
     * Simplifies a statement with the given variable ranges, and removes what that proves: guards
     * that hold, branches that cannot run. Constant lets are substituted (so that unrolled loops see
     * constant extents). Counts the guards proved true: the comparisons that disappear from
     * if-conditions, predicates and select conditions that are not proved false (a guard proved
     * false marks a boundary piece, not a steady state), and unrolled or vectorized loops whose
     * extent becomes a constant.
     */
    private static final class GuardEliminator extends StmtMutator {
        private final Map<Var, Interval> scope;
        private final Map<Var, Expr> constants = new HashMap<>();
        int proved;

        GuardEliminator(Map<Var, Interval> scope) { this.scope = new HashMap<>(scope); }

        @Override public Expr mutate(Expr e) {
            Expr in = Exprs.substitute(e, constants);
            countSelects(in);
            return simplify(in, scope);
        }

        /** The condition simplified, its proved comparisons counted. */
        private Expr condition(Expr c) {
            Expr in = Exprs.substitute(c, constants);
            Expr out = simplify(in, scope);
            if (!isFalse(out)) proved += Math.max(0, comparisons(in) - comparisons(out));
            return out;
        }

        private void countSelects(Expr e) {
            new ExprVisitor() {
                @Override public void visit(Expr x) {
                    if (x instanceof Select sel) condition(sel.cond());
                    if (x instanceof Load l && l.predicate() != null) condition(l.predicate());
                    visitChildren(x);
                }
            }.visit(e);
        }

        @Override public Stmt mutate(Stmt s) {
            return switch (s) {
                case For f -> {
                    Expr min = mutate(f.min()), ext = mutate(f.extent());
                    if (Simplifier.canProve(new Binary(Op.LE, ext, c(0)), scope)) yield EMPTY;
                    boolean fixed = f.kind() == LoopKind.UNROLLED || f.kind() == LoopKind.VECTORIZED;
                    if (fixed && Exprs.constInt(ext) != null && Exprs.constInt(f.extent()) == null) proved++;
                    scope.put(f.var(), Interval.of(min, simplify(sub(add(min, ext), c(1)), scope)));
                    try {
                        Stmt body = mutate(f.body());
                        yield min == f.min() && ext == f.extent() && body == f.body() ? s : new For(f.var(), min, ext, f.kind(), body);
                    } finally {
                        scope.remove(f.var());
                    }
                }
                case LetStmt l -> {
                    Expr value = mutate(l.value());
                    if (value instanceof IntImm) {
                        constants.put(l.var(), value);
                        try {
                            yield mutate(l.body());
                        } finally {
                            constants.remove(l.var());
                        }
                    }
                    bindLet(scope, l.var(), value);
                    try {
                        Stmt body = mutate(l.body());
                        yield value == l.value() && body == l.body() ? s : new LetStmt(l.var(), value, body);
                    } finally {
                        scope.remove(l.var());
                    }
                }
                case IfThenElse i -> {
                    Expr cond = condition(i.cond());
                    if (isTrue(cond)) yield mutate(i.then());
                    if (isFalse(cond)) yield i.otherwise() == null ? EMPTY : mutate(i.otherwise());
                    Stmt t = mutate(i.then());
                    Stmt o = i.otherwise() == null ? null : mutate(i.otherwise());
                    yield cond == i.cond() && t == i.then() && o == i.otherwise() ? s : new IfThenElse(cond, t, o);
                }
                case Store st -> {
                    Expr pred = st.predicate() == null ? null : condition(st.predicate());
                    if (pred != null && isFalse(pred)) yield EMPTY;
                    if (pred != null && isTrue(pred)) pred = null;
                    Expr idx = mutate(st.index()), value = mutate(st.value());
                    yield idx == st.index() && value == st.value() && pred == st.predicate() ? s : new Store(st.buffer(), idx, value, pred);
                }
                case Block b -> mutateChildren(b);
                case Allocate a -> mutateChildren(a);
                case Prefetch p -> mutateChildren(p);
                case Barrier b -> b;
                case CrossThreadReduce r -> mutateChildren(r);
                case Provide p -> throw new IllegalStateException("partition loops runs after storage flattening");
                case Realize r -> throw new IllegalStateException("partition loops runs after storage flattening");
            };
        }

        private static boolean isTrue(Expr e) {
            return e instanceof IntImm b && b.value() != 0 || e instanceof Broadcast(Expr v, int n) && isTrue(v);
        }

        private static boolean isFalse(Expr e) {
            return e instanceof IntImm b && b.value() == 0 || e instanceof Broadcast(Expr v, int n) && isFalse(v);
        }

        private static int comparisons(Expr cond) {
            int[] n = {0};
            new ExprVisitor() {
                @Override public void visit(Expr x) {
                    if (x instanceof Binary b && b.op().isComparison()) n[0]++;
                    visitChildren(x);
                }
            }.visit(cond);
            return n[0];
        }
    }

    /**
     * Where the body's comparisons and min/max switch, as bounds on the loop variable v: for each
     * {@code a op b} with {@code a - b = k v + r} (k a nonzero constant, r bounded over the loop's
     * inner variables and free of them), the first v from which {@code a - b} keeps a sign (a start)
     * and the first v from which it stops keeping one (an end).
     */
    private static final class Candidates {
        final Var v;
        final Map<Var, Interval> scope;
        final Set<Var> inner = new HashSet<>();
        /** The values of the lets inside the loop, themselves with inner lets substituted: guards often name a let ({@code x = x.outer * 16 + x.inner}). */
        final Map<Var, Expr> lets = new HashMap<>();
        final List<Expr> starts = new ArrayList<>(), ends = new ArrayList<>();

        Candidates(Var v, Map<Var, Interval> outer) {
            this.v = v;
            this.scope = new HashMap<>(outer);
        }

        void collect(Stmt s) {
            switch (s) {
                case For f -> {
                    exprs(f.min());
                    exprs(f.extent());
                    inner.add(f.var());
                    scope.put(f.var(), Interval.of(f.min(), sub(add(f.min(), f.extent()), c(1))));
                    collect(f.body());
                }
                case LetStmt l -> {
                    exprs(l.value());
                    inner.add(l.var());
                    bindLet(scope, l.var(), l.value());
                    // Affine values only: substituting the others composes them, exponentially through a stage graph.
                    if (isIndex(l.var().type()) && Exprs.isAffine(l.value())) lets.put(l.var(), Exprs.substitute(l.value(), lets));
                    collect(l.body());
                }
                case IfThenElse i -> {
                    exprs(i.cond());
                    collect(i.then());
                    if (i.otherwise() != null) collect(i.otherwise());
                }
                case Block b -> b.stmts().forEach(this::collect);
                case Store st -> {
                    exprs(st.index());
                    exprs(st.value());
                    if (st.predicate() != null) exprs(st.predicate());
                }
                case Allocate a -> collect(a.body());
                case Prefetch p -> exprs(p.index());
                case Barrier b -> {}
                case CrossThreadReduce r -> collect(r.update());
                case Provide p -> throw new IllegalStateException("partition loops runs after storage flattening");
                case Realize r -> throw new IllegalStateException("partition loops runs after storage flattening");
            }
        }

        private void exprs(Expr e) {
            new ExprVisitor() {
                @Override public void visit(Expr x) {
                    if (x instanceof Binary(Op op, Expr a, Expr b) && isSwitch(op) && isIndex(a.type())) compare(a, b);
                    if (x instanceof Not(Expr a)) visit(a);
                    else visitChildren(x);
                }
            }.visit(e);
        }

        private static boolean isSwitch(Op op) {
            return op == Op.LT || op == Op.LE || op == Op.GT || op == Op.GE || op == Op.MIN || op == Op.MAX;
        }

        /** Loop variables are i64 scalars; comparisons of other types cannot be solved for one. */
        private static boolean isIndex(DType t) {
            return t.equals(DType.I64);
        }

        private void compare(Expr a, Expr b) {
            if (starts.size() >= MAX_CANDIDATES && ends.size() >= MAX_CANDIDATES) return;
            Expr d = Simplifier.simplify(Exprs.substitute(sub(a, b), lets));
            if (!Exprs.uses(d, v)) return;
            DType t = d.type();
            Expr r = Simplifier.simplify(Exprs.substitute(d, Map.of(v, new IntImm(0, t))));
            Long k = Exprs.constInt(Simplifier.simplify(sub(Exprs.substitute(d, Map.of(v, new IntImm(1, t))), r)));
            if (k == null || k == 0 || Exprs.uses(r, v)) return;
            Expr affine = add(new Binary(Op.MUL, new IntImm(k, t), v), r);
            if (!Exprs.isConst(Simplifier.simplify(sub(d, affine)), 0)) return;
            Interval ri = Bounds.of(r, scope);
            Expr rMax = invariant(ri.max()), rMin = invariant(ri.min());
            Expr kk = new IntImm(Math.abs(k), t), one = new IntImm(1, t);
            // With floor division: for k > 0, d <= 0 while v <= -rMax / k and d < 0 while v <= (-rMax - 1) / k,
            // d >= 0 from v >= ceil(-rMin / k) and d > 0 from v >= -rMin / k + 1 (mirrored for k < 0).
            if (k > 0) {
                if (rMax != null) {
                    Expr neg = sub(new IntImm(0, t), rMax);
                    end(add(new Binary(Op.DIV, neg, kk), one));
                    end(add(new Binary(Op.DIV, sub(neg, one), kk), one));
                }
                if (rMin != null) {
                    Expr neg = sub(new IntImm(0, t), rMin);
                    start(new Binary(Op.DIV, add(neg, sub(kk, one)), kk));
                    start(add(new Binary(Op.DIV, neg, kk), one));
                }
            } else {
                if (rMax != null) {
                    start(new Binary(Op.DIV, add(rMax, sub(kk, one)), kk));
                    start(add(new Binary(Op.DIV, rMax, kk), one));
                }
                if (rMin != null) {
                    end(add(new Binary(Op.DIV, rMin, kk), one));
                    end(add(new Binary(Op.DIV, sub(rMin, one), kk), one));
                }
            }
        }

        /** A bound that depends on nothing bound inside the loop, or null. */
        private Expr invariant(Expr bound) {
            if (bound == null) return null;
            for (Var x : Exprs.vars(bound)) if (x == v || inner.contains(x)) return null;
            return bound;
        }

        private void start(Expr e) { remember(starts, e); }
        private void end(Expr e) { remember(ends, e); }

        private static void remember(List<Expr> list, Expr e) {
            Expr s = Simplifier.simplify(e);
            if (list.size() < MAX_CANDIDATES && !list.contains(s)) list.add(s);
        }
    }
}
