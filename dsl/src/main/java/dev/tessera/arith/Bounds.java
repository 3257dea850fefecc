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
            default -> Exprs.vars(e).stream().anyMatch(scope::containsKey) ? Interval.everything() : Interval.point(e);
        };
    }
}
