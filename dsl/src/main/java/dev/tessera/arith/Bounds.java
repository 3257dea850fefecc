package dev.tessera.arith;

import dev.tessera.ir.*;
import dev.tessera.dsl.Te;
import java.util.Map;

/** TEMPORARY stub until the arith branch lands. */
public final class Bounds {
    public static Interval of(Expr e, Map<Var, Interval> scope) {
        return switch (e) {
            case IntImm i -> Interval.point(e);
            case Var v -> scope.getOrDefault(v, Interval.point(v));
            case Binary(var op, var a, var b) when op == Binary.Op.ADD -> {
                Interval x = of(a, scope), y = of(b, scope);
                yield new Interval(x.min() == null || y.min() == null ? null : Te.add(x.min(), y.min()), x.max() == null || y.max() == null ? null : Te.add(x.max(), y.max()));
            }
            case Binary(var op, var a, var b) when op == Binary.Op.SUB -> {
                Interval x = of(a, scope), y = of(b, scope);
                yield new Interval(x.min() == null || y.max() == null ? null : Te.sub(x.min(), y.max()), x.max() == null || y.min() == null ? null : Te.sub(x.max(), y.min()));
            }
            case Binary(var op, var a, var b) when op == Binary.Op.MUL && b instanceof IntImm c && c.value() >= 0 -> {
                Interval x = of(a, scope);
                yield new Interval(x.min() == null ? null : Te.mul(x.min(), b), x.max() == null ? null : Te.mul(x.max(), b));
            }
            case Binary(var op, var a, var b) when op == Binary.Op.MIN || op == Binary.Op.MAX -> {
                Interval x = of(a, scope), y = of(b, scope);
                boolean mn = op == Binary.Op.MIN;
                Expr lo = x.min() == null || y.min() == null ? (mn ? null : (x.min() == null ? y.min() : x.min())) : (mn ? Te.min(x.min(), y.min()) : Te.max(x.min(), y.min()));
                Expr hi = x.max() == null || y.max() == null ? (mn ? (x.max() == null ? y.max() : x.max()) : null) : (mn ? Te.min(x.max(), y.max()) : Te.max(x.max(), y.max()));
                yield new Interval(lo, hi);
            }
            default -> Exprs.vars(e).stream().anyMatch(scope::containsKey) ? Interval.everything() : Interval.point(e);
        };
    }
}
