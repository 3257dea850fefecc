package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Not;
import dev.tessera.ir.Numerics;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random small i64 expressions and a reference evaluator with Tessera's integer semantics. */
final class RandomExprs {
    private RandomExprs() {}

    private static final Op[] ARITH = {Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.MOD, Op.MIN, Op.MAX};
    private static final Op[] CMP = {Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE};

    static Expr intExpr(Random rnd, List<Var> vars, int depth) {
        if (depth == 0 || rnd.nextInt(4) == 0) {
            return rnd.nextBoolean() ? vars.get(rnd.nextInt(vars.size())) : IntImm.i64(rnd.nextInt(19) - 9);
        }
        int k = rnd.nextInt(10);
        if (k == 0) return new Select(boolExpr(rnd, vars, depth - 1), intExpr(rnd, vars, depth - 1), intExpr(rnd, vars, depth - 1));
        Op op = ARITH[rnd.nextInt(ARITH.length)];
        Expr a = intExpr(rnd, vars, depth - 1);
        // Mostly constant divisors and factors, as in index arithmetic.
        Expr b = (op == Op.DIV || op == Op.MOD || op == Op.MUL) && rnd.nextInt(3) > 0
                ? IntImm.i64(rnd.nextInt(17) - 8) : intExpr(rnd, vars, depth - 1);
        return new Binary(op, a, b);
    }

    static Expr boolExpr(Random rnd, List<Var> vars, int depth) {
        int k = rnd.nextInt(6);
        if (depth > 0 && k == 0) return new Not(boolExpr(rnd, vars, depth - 1));
        if (depth > 0 && k == 1) return new Binary(rnd.nextBoolean() ? Op.AND : Op.OR, boolExpr(rnd, vars, depth - 1), boolExpr(rnd, vars, depth - 1));
        return new Binary(CMP[rnd.nextInt(CMP.length)], intExpr(rnd, vars, Math.max(0, depth - 1)), intExpr(rnd, vars, Math.max(0, depth - 1)));
    }

    static long eval(Expr e, Map<Var, Long> env) {
        return switch (e) {
            case IntImm i -> i.value();
            case Var v -> {
                Long x = env.get(v);
                if (x == null) throw new IllegalStateException("unbound " + v);
                yield x;
            }
            case Not(Expr a) -> eval(a, env) == 0 ? 1 : 0;
            case Select(Expr c, Expr t, Expr f) -> eval(c, env) != 0 ? eval(t, env) : eval(f, env);
            case Binary(Op op, Expr a, Expr b) -> {
                long x = eval(a, env), y = eval(b, env);
                DType t = a.type();
                yield switch (op) {
                    case ADD -> IntImm.wrap(x + y, t);
                    case SUB -> IntImm.wrap(x - y, t);
                    case MUL -> IntImm.wrap(x * y, t);
                    case DIV -> IntImm.wrap(Numerics.floorDiv(x, y), t);
                    case MOD -> IntImm.wrap(Numerics.floorMod(x, y), t);
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
                };
            }
            default -> throw new IllegalArgumentException("cannot evaluate " + e);
        };
    }
}
