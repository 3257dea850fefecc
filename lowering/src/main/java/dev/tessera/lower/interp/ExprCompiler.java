package dev.tessera.lower.interp;

import dev.tessera.ir.ScalarMath;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Numerics;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * Compiles a scalar expression of a compute definition once into a tree of Java lambdas (closure
 * compilation), so evaluating it at a point does no dispatch on node kinds. Integral and bool
 * expressions compile to {@link LNode}s (exact long arithmetic, wrapped to the width), floating
 * ones to {@link DNode}s (double arithmetic rounded to the dtype after every operation).
 */
final class ExprCompiler {
    /** The variable storage of one stage: axis indices and reducer values, by slot. */
    static final class Env {
        final long[] l;
        final double[] d;

        Env(int longSlots, int doubleSlots) {
            l = new long[longSlots];
            d = new double[doubleSlots];
        }
    }

    @FunctionalInterface interface LNode { long eval(Env e); }

    @FunctionalInterface interface DNode { double eval(Env e); }

    /** Where a variable lives in an {@link Env}: in {@code d} when {@code isFloat}, else in {@code l}. */
    record Slot(boolean isFloat, int index) {}

    /** Element access to a tensor read by the compiled expression. */
    interface Source {
        String name();
        long[] shape();
        /** The stored value of the element at a row-major position known to be in bounds. */
        double read(long flat);
    }

    /** Resolves the tensors an expression reads. */
    interface Sources {
        Source of(Tensor t);
    }

    private final String stage;
    private final Map<Var, Slot> slots;
    private final Map<Var, Long> shapeBindings;
    private final Sources sources;

    ExprCompiler(String stage, Map<Var, Slot> slots, Map<Var, Long> shapeBindings, Sources sources) {
        this.stage = stage;
        this.slots = slots;
        this.shapeBindings = shapeBindings;
        this.sources = sources;
    }

    /** Any scalar expression, its value converted to a double (how tensors store elements). */
    DNode compileToDouble(Expr e) {
        if (e.type().isFloat()) return compileD(e);
        LNode n = compileL(e);
        DType t = e.type();
        if (t.isUInt() && t.bits() == 64) return env -> ScalarMath.intToDouble(n.eval(env), t);
        return env -> (double) n.eval(env);
    }

    // ---- integral and bool expressions ----

    LNode compileL(Expr e) {
        DType t = e.type();
        checkScalar(e);
        if (t.isFloat()) throw new IllegalStateException("compileL of a float expression " + e);
        return switch (e) {
            case IntImm i -> {
                long v = i.value();
                yield env -> v;
            }
            case FloatImm f -> throw new IllegalStateException("float immediate of integral type " + f);
            case Var v -> longVar(v);
            case Binary b -> binaryL(b);
            case Not(var a) -> {
                LNode x = compileL(a);
                yield env -> x.eval(env) == 0 ? 1 : 0;
            }
            case Select(var c, var a, var b) -> {
                LNode cond = compileL(c), x = compileL(a), y = compileL(b);
                yield env -> cond.eval(env) != 0 ? x.eval(env) : y.eval(env);
            }
            case Cast(var to, var v) -> castToL(to, v);
            case Call(var fn, var args) -> {
                if (fn != Call.Fn.ABS) throw new IllegalStateException(fn + " on an integer");
                LNode x = compileL(args.get(0));
                if (t.isUInt() || t.isBool()) yield x;
                yield env -> IntImm.wrap(Math.abs(x.eval(env)), t);
            }
            case TensorRead r -> {
                LNode flat = flatIndex(r);
                Source src = sources.of(r.tensor());
                yield env -> (long) src.read(flat.eval(env));
            }
            case Reduce r -> throw nestedReduce();
            case Load _, Ramp _, Broadcast _ -> throw loweredNode(e);
        };
    }

    private LNode binaryL(Binary b) {
        Binary.Op op = b.op();
        DType ot = b.a().type();
        if (op.isComparison()) {
            if (ot.isFloat()) {
                DNode x = compileD(b.a()), y = compileD(b.b());
                return switch (op) {
                    case EQ -> env -> x.eval(env) == y.eval(env) ? 1 : 0;
                    case NE -> env -> x.eval(env) != y.eval(env) ? 1 : 0;
                    case LT -> env -> x.eval(env) < y.eval(env) ? 1 : 0;
                    case LE -> env -> x.eval(env) <= y.eval(env) ? 1 : 0;
                    case GT -> env -> x.eval(env) > y.eval(env) ? 1 : 0;
                    case GE -> env -> x.eval(env) >= y.eval(env) ? 1 : 0;
                    default -> throw new IllegalStateException(op.toString());
                };
            }
            LNode x = compileL(b.a()), y = compileL(b.b());
            if (ot.isUInt() && ot.bits() == 64) {
                return switch (op) {
                    case EQ -> env -> x.eval(env) == y.eval(env) ? 1 : 0;
                    case NE -> env -> x.eval(env) != y.eval(env) ? 1 : 0;
                    case LT -> env -> Long.compareUnsigned(x.eval(env), y.eval(env)) < 0 ? 1 : 0;
                    case LE -> env -> Long.compareUnsigned(x.eval(env), y.eval(env)) <= 0 ? 1 : 0;
                    case GT -> env -> Long.compareUnsigned(x.eval(env), y.eval(env)) > 0 ? 1 : 0;
                    case GE -> env -> Long.compareUnsigned(x.eval(env), y.eval(env)) >= 0 ? 1 : 0;
                    default -> throw new IllegalStateException(op.toString());
                };
            }
            return switch (op) {
                case EQ -> env -> x.eval(env) == y.eval(env) ? 1 : 0;
                case NE -> env -> x.eval(env) != y.eval(env) ? 1 : 0;
                case LT -> env -> x.eval(env) < y.eval(env) ? 1 : 0;
                case LE -> env -> x.eval(env) <= y.eval(env) ? 1 : 0;
                case GT -> env -> x.eval(env) > y.eval(env) ? 1 : 0;
                case GE -> env -> x.eval(env) >= y.eval(env) ? 1 : 0;
                default -> throw new IllegalStateException(op.toString());
            };
        }
        LNode x = compileL(b.a()), y = compileL(b.b());
        if (op.isLogical()) {
            // Both sides are evaluated (no short circuit): a compiled kernel may evaluate both too,
            // so an out-of-bounds read on either side must be reported here as well.
            return op == Binary.Op.AND
                    ? env -> (x.eval(env) != 0) & (y.eval(env) != 0) ? 1 : 0
                    : env -> (x.eval(env) != 0) | (y.eval(env) != 0) ? 1 : 0;
        }
        DType t = b.type();
        if (t.equals(DType.I64)) {
            // The hot path (index arithmetic): no wrapping needed at 64 bits.
            return switch (op) {
                case ADD -> env -> x.eval(env) + y.eval(env);
                case SUB -> env -> x.eval(env) - y.eval(env);
                case MUL -> env -> x.eval(env) * y.eval(env);
                case DIV -> env -> Numerics.floorDiv(x.eval(env), y.eval(env));
                case MOD -> env -> Numerics.floorMod(x.eval(env), y.eval(env));
                case MIN -> env -> Math.min(x.eval(env), y.eval(env));
                case MAX -> env -> Math.max(x.eval(env), y.eval(env));
                default -> throw new IllegalStateException(op.toString());
            };
        }
        boolean u64 = t.isUInt() && t.bits() == 64;
        LongBinaryOperator f = switch (op) {
            case ADD -> Long::sum;
            case SUB -> (p, q) -> p - q;
            case MUL -> (p, q) -> p * q;
            case DIV -> u64 ? (p, q) -> q == 0 ? 0 : Long.divideUnsigned(p, q) : Numerics::floorDiv;
            case MOD -> u64 ? (p, q) -> q == 0 ? 0 : Long.remainderUnsigned(p, q) : Numerics::floorMod;
            case MIN -> u64 ? (p, q) -> Long.compareUnsigned(p, q) <= 0 ? p : q : Math::min;
            case MAX -> u64 ? (p, q) -> Long.compareUnsigned(p, q) >= 0 ? p : q : Math::max;
            default -> throw new IllegalStateException(op.toString());
        };
        if (t.bits() == 64) return env -> f.applyAsLong(x.eval(env), y.eval(env));
        return env -> IntImm.wrap(f.applyAsLong(x.eval(env), y.eval(env)), t);
    }

    private LNode castToL(DType to, Expr v) {
        DType from = v.type();
        if (from.isFloat()) {
            DNode x = compileD(v);
            if (to.isBool()) return env -> x.eval(env) != 0 ? 1 : 0;
            return env -> ScalarMath.floatToInt(x.eval(env), to);
        }
        LNode x = compileL(v);
        if (to.isBool()) return env -> x.eval(env) != 0 ? 1 : 0;
        if (to.bits() == 64 || (from.isBool()) || (to.bits() > from.bits() && (from.isUInt() || to.isInt())))
            return x; // the value is representable as is
        return env -> IntImm.wrap(x.eval(env), to);
    }

    private LNode longVar(Var v) {
        Slot s = slots.get(v);
        if (s != null) {
            if (s.isFloat()) throw new IllegalStateException("integral variable " + v + " in a float slot");
            int i = s.index();
            return env -> env.l[i];
        }
        Long bound = shapeBindings.get(v);
        if (bound != null) {
            long c = bound;
            return env -> c;
        }
        throw unboundVar(v);
    }

    // ---- floating-point expressions ----

    DNode compileD(Expr e) {
        DType t = e.type();
        checkScalar(e);
        if (!t.isFloat()) throw new IllegalStateException("compileD of a non-float expression " + e);
        return switch (e) {
            case FloatImm f -> {
                double v = f.value();
                yield env -> v;
            }
            case IntImm i -> throw new IllegalStateException("integer immediate of float type " + i);
            case Var v -> {
                Slot s = slots.get(v);
                if (s == null) throw unboundVar(v);
                if (!s.isFloat()) throw new IllegalStateException("float variable " + v + " in an integer slot");
                int i = s.index();
                yield env -> env.d[i];
            }
            case Binary b -> binaryD(b);
            case Not n -> throw new IllegalStateException("! of a float");
            case Select(var c, var a, var b) -> {
                LNode cond = compileL(c);
                DNode x = compileD(a), y = compileD(b);
                yield env -> cond.eval(env) != 0 ? x.eval(env) : y.eval(env);
            }
            case Cast(var to, var v) -> castToD(to, v);
            case Call c -> call(c);
            case TensorRead r -> {
                LNode flat = flatIndex(r);
                Source src = sources.of(r.tensor());
                yield env -> src.read(flat.eval(env));
            }
            case Reduce r -> throw nestedReduce();
            case Load _, Ramp _, Broadcast _ -> throw loweredNode(e);
        };
    }

    private DNode binaryD(Binary b) {
        DType t = b.type();
        DNode x = compileD(b.a()), y = compileD(b.b());
        boolean f32 = t.code() == DType.Code.FLOAT && t.bits() == 32;
        boolean f64 = t.code() == DType.Code.FLOAT && t.bits() == 64;
        if (f32) {
            switch (b.op()) {
                case ADD: return env -> (float) (x.eval(env) + y.eval(env));
                case SUB: return env -> (float) (x.eval(env) - y.eval(env));
                case MUL: return env -> (float) (x.eval(env) * y.eval(env));
                case DIV: return env -> (float) (x.eval(env) / y.eval(env));
                default: break;
            }
        }
        DoubleBinaryOperator f = switch (b.op()) {
            case ADD -> Double::sum;
            case SUB -> (p, q) -> p - q;
            case MUL -> (p, q) -> p * q;
            case DIV -> (p, q) -> p / q;
            // a - b * floor(a / b), each step rounded to the dtype like the instructions a kernel runs
            case MOD -> (p, q) -> {
                double quotient = Math.floor(ScalarMath.round(p / q, t));
                return p - ScalarMath.round(q * quotient, t);
            };
            case MIN -> Math::min;
            case MAX -> Math::max;
            default -> throw new IllegalStateException(b.op().toString());
        };
        if (f64) return env -> f.applyAsDouble(x.eval(env), y.eval(env));
        return env -> ScalarMath.round(f.applyAsDouble(x.eval(env), y.eval(env)), t);
    }

    private DNode castToD(DType to, Expr v) {
        DType from = v.type();
        if (from.isFloat()) {
            DNode x = compileD(v);
            if (to.bits() >= from.bits() && to.code() == DType.Code.FLOAT && (to.bits() > from.bits() || from.code() == DType.Code.FLOAT))
                return x; // widening is exact
            return env -> ScalarMath.round(x.eval(env), to);
        }
        LNode x = compileL(v);
        if (from.isUInt() && from.bits() == 64) return env -> ScalarMath.round(ScalarMath.intToDouble(x.eval(env), from), to);
        if (to.bits() == 64) return env -> (double) x.eval(env);
        // Convert straight to float: going through double first could round twice above 2^53.
        if (to.code() == DType.Code.FLOAT && to.bits() == 32) return env -> (double) (float) x.eval(env);
        return env -> ScalarMath.round((double) (float) x.eval(env), to);
    }

    private DNode call(Call c) {
        DType t = c.type();
        if (c.fn() == Call.Fn.POW) {
            DNode x = compileD(c.args().get(0)), y = compileD(c.args().get(1));
            return env -> ScalarMath.round(Math.pow(x.eval(env), y.eval(env)), t);
        }
        DNode x = compileD(c.args().get(0));
        DoubleUnaryOperator f = switch (c.fn()) {
            case EXP -> Math::exp;
            case LOG -> Math::log;
            case SQRT -> Math::sqrt;
            case RSQRT -> v -> 1.0 / Math.sqrt(v);
            case TANH -> Math::tanh;
            case SIGMOID -> v -> 1.0 / (1.0 + Math.exp(-v));
            case ABS -> Math::abs;
            case FLOOR -> Math::floor;
            case CEIL -> Math::ceil;
            case ERF -> ScalarMath::erf;
            case POW -> throw new IllegalStateException("pow");
        };
        if (t.bits() == 64) return env -> f.applyAsDouble(x.eval(env));
        return env -> ScalarMath.round(f.applyAsDouble(x.eval(env)), t);
    }

    // ---- tensor reads ----

    /** The row-major position of a read, checked against the tensor's shape. */
    private LNode flatIndex(TensorRead r) {
        Source src = sources.of(r.tensor());
        long[] shape = src.shape();
        List<LNode> idx = new ArrayList<>();
        for (Expr i : r.indices()) idx.add(compileL(i));
        LNode[] ix = idx.toArray(LNode[]::new);
        if (ix.length == 1) {
            LNode i0 = ix[0];
            long e0 = shape[0];
            return env -> {
                long a = i0.eval(env);
                if (a < 0 || a >= e0) throw outOfBounds(src, new long[] {a});
                return a;
            };
        }
        if (ix.length == 2) {
            LNode i0 = ix[0], i1 = ix[1];
            long e0 = shape[0], e1 = shape[1];
            return env -> {
                long a = i0.eval(env), b = i1.eval(env);
                if (a < 0 || a >= e0 || b < 0 || b >= e1) throw outOfBounds(src, new long[] {a, b});
                return a * e1 + b;
            };
        }
        return env -> {
            long flat = 0;
            long[] seen = null;
            for (int d = 0; d < ix.length; d++) {
                long a = ix[d].eval(env);
                if (a < 0 || a >= shape[d]) {
                    seen = new long[ix.length];
                    // Evaluate every index for the message (they are pure).
                    for (int k = 0; k < ix.length; k++) seen[k] = ix[k].eval(env);
                    break;
                }
                flat = flat * shape[d] + a;
            }
            if (seen != null) throw outOfBounds(src, seen);
            return flat;
        };
    }

    private TesseraUserError outOfBounds(Source src, long[] index) {
        return new TesseraUserError("out-of-bounds read in stage '" + stage + "': tensor " + src.name() + " is read at index "
                + Arrays.toString(index) + " but has shape " + Arrays.toString(src.shape())
                + " (each index must lie in [0, extent)); the operator definition reads outside its input");
    }

    // ---- errors ----

    private static void checkScalar(Expr e) {
        if (e.type().isVector())
            throw new TesseraUserError("the reference interpreter evaluates scalar compute definitions; got the vector expression " + e);
    }

    private TesseraUserError unboundVar(Var v) {
        return new TesseraUserError("stage '" + stage + "' uses variable " + v.name() + ", which is neither one of its axes nor a shape "
                + "variable bound by an input's shape (bound shape variables: "
                + shapeBindings.keySet().stream().map(Var::name).toList() + ")");
    }

    private IllegalStateException nestedReduce() {
        return new IllegalStateException("stage '" + stage + "': a reduction nested inside an expression (ComputeOp forbids this)");
    }

    private IllegalStateException loweredNode(Expr e) {
        return new IllegalStateException("stage '" + stage + "': " + e.getClass().getSimpleName()
                + " is a lowered-IR node; the reference interpreter runs compute definitions");
    }
}
