package dev.tessera.arith;

import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.Map;

/**
 * Rewrites expressions into simpler, equivalent ones: constant folding with Tessera's semantics,
 * canonical linear integer forms, division and modulo by constants, min/max, comparisons and
 * selects decided from variable ranges, vector ramp/broadcast folding. Every rewrite preserves the
 * value exactly, assuming (like Halide) that signed 32/64-bit index arithmetic does not overflow;
 * narrower and unsigned integers get only rewrites that hold under wrapping.
 *
 * <p>The rules are grouped per operation in {@code ArithRules}, {@code DivModRules},
 * {@code MinMaxRules}, {@code CompareRules} and {@code LogicRules}.
 */
public final class Simplifier {
    private Simplifier() {}

    public static Expr simplify(Expr e) {
        return simplify(e, Map.of());
    }

    /** Simplifies {@code e} knowing that each variable of {@code scope} lies in its interval. */
    public static Expr simplify(Expr e, Map<Var, Interval> scope) {
        return new Rewriter(Map.copyOf(scope)).mutate(e);
    }

    /** Whether {@code cond} (a bool, or a bool vector: every lane) is provably true when the scope holds. */
    public static boolean canProve(Expr cond, Map<Var, Interval> scope) {
        return Rewriter.isTrue(simplify(cond, scope));
    }

    /** Whether {@code cond} is provably false in every lane when the scope holds. */
    public static boolean canDisprove(Expr cond, Map<Var, Interval> scope) {
        return Rewriter.isFalse(simplify(cond, scope));
    }
}
