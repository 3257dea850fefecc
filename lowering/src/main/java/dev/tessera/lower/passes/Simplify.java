package dev.tessera.lower.passes;

import dev.tessera.arith.Bounds;
import dev.tessera.arith.Interval;
import dev.tessera.arith.Simplifier;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Not;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Simplifies every expression of a statement with the ranges of the enclosing loops and lets in
 * scope, and removes what that proves dead: branches whose condition is decided, loops that run
 * at most zero times, predicates that are always true, empty blocks. Loops of extent one become
 * lets; lets of constants, variables, ramps and broadcasts are substituted. The result may be an empty {@link Block}.
 */
public final class Simplify {
    private Simplify() {}

    public static Stmt apply(Stmt s) {
        return new Pass().mutate(s);
    }

    private static final Stmt EMPTY = new Block(List.of());

    private static boolean isEmpty(Stmt s) {
        return s == null || s instanceof Block b && b.stmts().isEmpty();
    }

    private static final class Pass extends StmtMutator {
        private final Map<Var, Interval> scope = new HashMap<>();
        private final Map<Var, Expr> substitutions = new HashMap<>();
        /** Lets of scaled variables ({@code j.outer * 64}, a tile's start; or a sum of them): substituted where a division or modulo reads them. */
        private final Map<Var, Expr> scaled = new HashMap<>();

        @Override
        public Expr mutate(Expr e) {
            Expr s = Simplifier.simplify(Exprs.substitute(e, substitutions), scope);
            // The alignment of a tile's start is what folds the division and modulo of a packed layout's index.
            if (!scaled.isEmpty() && dividesScaled(s)) s = Simplifier.simplify(Exprs.substitute(s, scaled), scope);
            return s;
        }

        private boolean dividesScaled(Expr e) {
            boolean[] found = {false};
            new dev.tessera.ir.ExprVisitor() {
                @Override public void visit(Expr x) {
                    if (found[0]) return;
                    if (x instanceof Binary(Binary.Op op, Expr a, Expr b) && (op == Binary.Op.DIV || op == Binary.Op.MOD)
                            && !java.util.Collections.disjoint(Exprs.vars(a), scaled.keySet())) found[0] = true;
                    else visitChildren(x);
                }
            }.visit(e);
            return found[0];
        }

        @Override
        public Stmt mutate(Stmt s) {
            return switch (s) {
                case For f -> loop(f);
                case LetStmt l -> let(l.var(), mutate(l.value()), l.body());
                case IfThenElse i -> branch(i);
                case Block b -> {
                    List<Stmt> out = new ArrayList<>();
                    boolean changed = false;
                    for (Stmt x : b.stmts()) {
                        Stmt n = mutate(x);
                        changed |= n != x;
                        if (!isEmpty(n)) out.add(n);
                    }
                    if (!changed && out.size() == b.stmts().size()) yield s;
                    yield out.isEmpty() ? EMPTY : Block.of(out);
                }
                case Store st -> {
                    Expr idx = mutate(st.index()), v = mutate(st.value());
                    Expr p = st.predicate() == null ? null : mutate(st.predicate());
                    if (p != null && isTrue(p)) p = null;
                    if (p != null && isFalse(p)) yield EMPTY;
                    yield idx == st.index() && v == st.value() && p == st.predicate() ? s : new Store(st.buffer(), idx, v, p);
                }
                case Allocate a -> {
                    Stmt n = mutateChildren(a);
                    yield isEmpty(((Allocate) n).body()) ? EMPTY : n;
                }
                default -> mutateChildren(s);
            };
        }

        private Stmt loop(For f) {
            Expr min = mutate(f.min()), extent = mutate(f.extent());
            if (Simplifier.canProve(new Binary(Binary.Op.LE, extent, IntImm.i64(0)), scope)) return EMPTY;
            if (extent instanceof IntImm one && one.value() == 1) return let(f.var(), min, f.body());
            Expr max = Simplifier.simplify(new Binary(Binary.Op.SUB, new Binary(Binary.Op.ADD, min, extent), IntImm.i64(1)), scope);
            scope.put(f.var(), Interval.of(min, max));
            Stmt body;
            try {
                body = mutate(f.body());
            } finally {
                scope.remove(f.var());
            }
            if (isEmpty(body)) return EMPTY;
            return min == f.min() && extent == f.extent() && body == f.body() ? f : new For(f.var(), min, extent, f.kind(), body);
        }

        /** {@code v + c} or {@code v - c}: as cheap to recompute as to keep, and clearer substituted. */
        private static boolean isOffset(Expr e) {
            return e instanceof dev.tessera.ir.Binary(var op, var a, var b)
                    && (op == dev.tessera.ir.Binary.Op.ADD || op == dev.tessera.ir.Binary.Op.SUB) && a instanceof Var && b instanceof IntImm;
        }

        /**
         * {@code v * c}, or a sum of such terms and constants ({@code y * 14 + x.outer * 7}, the start of
         * a tile of part of a row; v may be a quotient or remainder of a fused loop, {@code (i % 14) * 14}):
         * what a division or modulo by a multiple of the c's can fold.
         */
        private static boolean isScaledSum(Expr e) {
            return switch (e) {
                case Binary(Binary.Op op, Expr a, Expr b) when op == Binary.Op.MUL -> b instanceof IntImm && !Exprs.vars(a).isEmpty();
                case Binary(Binary.Op op, Expr a, Expr b) when op == Binary.Op.ADD ->
                        isScaledSum(a) && (isScaledSum(b) || b instanceof IntImm);
                default -> false;
            };
        }

        /** {@code let var = value in body}, with value already simplified. */
        private Stmt let(Var var, Expr value, Stmt body) {
            // Ramps and broadcasts are substituted too: a vector index must stay visibly a ramp to become a dense access.
            if (value instanceof IntImm || value instanceof FloatImm || value instanceof Var
                    || value instanceof dev.tessera.ir.Ramp || value instanceof dev.tessera.ir.Broadcast || isOffset(value)) {
                substitutions.put(var, value);
                try {
                    return mutate(body);
                } finally {
                    substitutions.remove(var);
                }
            }
            boolean integer = var.type().isIntegral() && !var.type().isVector();
            if (integer) scope.put(var, Bounds.of(value, scope));
            boolean isScaled = isScaledSum(value);
            if (isScaled) scaled.put(var, value);
            Stmt nb;
            try {
                nb = mutate(body);
            } finally {
                if (integer) scope.remove(var);
                if (isScaled) scaled.remove(var);
            }
            if (isEmpty(nb)) return EMPTY;
            if (!mentions(nb, var)) return nb;
            return new LetStmt(var, value, nb);
        }

        private Stmt branch(IfThenElse i) {
            Expr c = mutate(i.cond());
            if (isTrue(c)) return mutate(i.then());
            if (isFalse(c)) return i.otherwise() == null ? EMPTY : mutate(i.otherwise());
            Stmt t = mutate(i.then());
            Stmt o = i.otherwise() == null ? null : mutate(i.otherwise());
            if (isEmpty(o)) o = null;
            if (isEmpty(t)) {
                if (o == null) return EMPTY;
                return new IfThenElse(Simplifier.simplify(new Not(c), scope), o, null);
            }
            return c == i.cond() && t == i.then() && o == i.otherwise() ? i : new IfThenElse(c, t, o);
        }

        private static boolean isTrue(Expr e) {
            return e instanceof IntImm b && b.value() != 0 || e instanceof Broadcast(Expr v, int n) && isTrue(v);
        }

        private static boolean isFalse(Expr e) {
            return e instanceof IntImm b && b.value() == 0 || e instanceof Broadcast(Expr v, int n) && isFalse(v);
        }

        private static boolean mentions(Stmt s, Var v) {
            boolean[] found = {false};
            new StmtVisitor() {
                @Override public void visit(Expr e) {
                    if (e == v) found[0] = true;
                    else if (!found[0]) visitChildren(e);
                }
            }.visit(s);
            return found[0];
        }
    }
}
