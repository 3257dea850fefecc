package dev.tessera.arith;

import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Numerics;

/**
 * Evaluates operations on scalar constants with Tessera's semantics: integers wrap to their width,
 * division and modulo floor (x/0 == 0), floats round to their dtype after every operation, float to
 * integer casts truncate toward zero and saturate (NaN gives 0). Returns null where a result would
 * depend on something the IR leaves open (float min/max of NaN or of two zeros).
 */
final class ConstantFolding {
    private ConstantFolding() {}

    static boolean isConst(Expr e) { return e instanceof IntImm || e instanceof FloatImm; }

    static Expr binary(Op op, Expr a, Expr b) {
        if (a instanceof IntImm x && b instanceof IntImm y) return integer(op, x.value(), y.value(), x.type());
        if (a instanceof FloatImm x && b instanceof FloatImm y) return floating(op, x.value(), y.value(), x.type());
        return null;
    }

    private static boolean isU64(DType t) { return t.isUInt() && t.bits() == 64; }

    private static Expr integer(Op op, long x, long y, DType t) {
        boolean u64 = isU64(t);
        int cmp = u64 ? Long.compareUnsigned(x, y) : Long.compare(x, y);
        return switch (op) {
            case ADD -> new IntImm(x + y, t);
            case SUB -> new IntImm(x - y, t);
            case MUL -> new IntImm(x * y, t);
            case DIV -> new IntImm(y == 0 ? 0 : u64 ? Long.divideUnsigned(x, y) : Numerics.floorDiv(x, y), t);
            case MOD -> new IntImm(y == 0 ? 0 : u64 ? Long.remainderUnsigned(x, y) : Numerics.floorMod(x, y), t);
            case MIN -> new IntImm(cmp <= 0 ? x : y, t);
            case MAX -> new IntImm(cmp >= 0 ? x : y, t);
            case EQ -> IntImm.bool(cmp == 0);
            case NE -> IntImm.bool(cmp != 0);
            case LT -> IntImm.bool(cmp < 0);
            case LE -> IntImm.bool(cmp <= 0);
            case GT -> IntImm.bool(cmp > 0);
            case GE -> IntImm.bool(cmp >= 0);
            case AND -> IntImm.bool(x != 0 && y != 0);
            case OR -> IntImm.bool(x != 0 || y != 0);
        };
    }

    private static Expr floating(Op op, double x, double y, DType t) {
        return switch (op) {
            case ADD -> new FloatImm(x + y, t);
            case SUB -> new FloatImm(x - y, t);
            case MUL -> new FloatImm(x * y, t);
            case DIV -> new FloatImm(x / y, t);
            // Each step rounded to the dtype, as the targets compute it.
            case MOD -> new FloatImm(x - Numerics.roundTo(y * Numerics.roundTo(Math.floor(Numerics.roundTo(x / y, t)), t), t), t);
            case MIN, MAX -> {
                if (Double.isNaN(x) || Double.isNaN(y) || (x == 0 && y == 0)) yield null;
                yield new FloatImm(op == Op.MIN ? Math.min(x, y) : Math.max(x, y), t);
            }
            case EQ -> IntImm.bool(x == y);
            case NE -> IntImm.bool(x != y);
            case LT -> IntImm.bool(x < y);
            case LE -> IntImm.bool(x <= y);
            case GT -> IntImm.bool(x > y);
            case GE -> IntImm.bool(x >= y);
            case AND, OR -> null;
        };
    }

    /** A cast of a scalar constant, or null when not folded. */
    static Expr cast(DType to, Expr v) {
        DType from = v.type();
        if (to.isBool()) {
            if (v instanceof IntImm i) return IntImm.bool(i.value() != 0);
            if (v instanceof FloatImm f) return IntImm.bool(f.value() != 0); // NaN != 0
            return null;
        }
        if (v instanceof IntImm i) {
            long x = i.value();
            if (to.isIntegral()) return new IntImm(x, to);
            if (isU64(from)) return null;
            // Through float for the narrow float types: f16/bf16 arithmetic is carried out in f32.
            double d = to.bits() == 64 && to.code() == DType.Code.FLOAT ? (double) x : (double) (float) x;
            return new FloatImm(d, to);
        }
        if (v instanceof FloatImm f) {
            double x = f.value();
            if (to.isFloat()) return new FloatImm(x, to);
            if (isU64(to)) return null;
            if (Double.isNaN(x)) return new IntImm(0, to);
            ConstantRange r = ConstantRange.ofType(to);
            if (to.bits() == 64) return new IntImm((long) x, to); // Java's conversion saturates too
            double tr = x < 0 ? Math.ceil(x) : Math.floor(x);
            long l = tr <= r.lo() ? r.lo() : tr >= r.hi() ? r.hi() : (long) tr;
            return new IntImm(l, to);
        }
        return null;
    }
}
