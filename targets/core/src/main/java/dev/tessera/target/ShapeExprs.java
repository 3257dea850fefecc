package dev.tessera.target;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Cast;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Numerics;
import dev.tessera.ir.Var;
import java.util.Map;

/**
 * Evaluates the integer expressions a host needs (shapes of a kernel signature, GPU grid sizes,
 * the conditions of specialized paths) over bound shape variables; booleans are 1 and 0.
 */
public final class ShapeExprs {
    private ShapeExprs() {}

    /** The value of {@code e}; every variable it names must be in {@code env}. */
    public static long eval(Expr e, Map<Var, Long> env) {
        return switch (e) {
            case IntImm i -> i.value();
            case Var v -> {
                Long x = env.get(v);
                if (x == null) throw new IllegalStateException("shape variable " + v + " is not bound by any argument dimension");
                yield x;
            }
            case Cast c when c.type().isIntegral() && c.value().type().isIntegral() -> IntImm.wrap(eval(c.value(), env), c.type());
            case Binary b -> {
                long x = eval(b.a(), env), y = eval(b.b(), env);
                yield switch (b.op()) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> Numerics.floorDiv(x, y);
                    case MOD -> Numerics.floorMod(x, y);
                    case MIN -> Math.min(x, y);
                    case MAX -> Math.max(x, y);
                    case EQ -> x == y ? 1 : 0;
                    case NE -> x != y ? 1 : 0;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case AND -> x != 0 && y != 0 ? 1 : 0;
                    case OR -> x != 0 || y != 0 ? 1 : 0;
                    default -> throw new IllegalStateException("unsupported operator " + b.op().symbol + " in shape expression " + e);
                };
            }
            case dev.tessera.ir.Not n -> eval(n.a(), env) == 0 ? 1 : 0;
            case dev.tessera.ir.Select s -> eval(s.cond(), env) != 0 ? eval(s.t(), env) : eval(s.f(), env);
            default -> throw new IllegalStateException("unsupported shape expression " + e);
        };
    }

    /** The printed form of a shape expression, e.g. {@code n}, {@code 64}, {@code (n + 1)}. */
    static String print(Expr e) {
        return switch (e) {
            case IntImm i -> Long.toString(i.value());
            case Var v -> v.name();
            case Cast c -> print(c.value());
            case Binary b -> b.op() == Binary.Op.MIN || b.op() == Binary.Op.MAX
                    ? b.op().symbol + "(" + print(b.a()) + ", " + print(b.b()) + ")"
                    : "(" + print(b.a()) + " " + b.op().symbol + " " + print(b.b()) + ")";
            default -> e.toString();
        };
    }
}
