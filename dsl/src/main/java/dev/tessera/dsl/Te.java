package dev.tessera.dsl;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Not;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Reducer;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The tensor-expression DSL: placeholders, computes, reductions and the expression vocabulary.
 *
 * <pre>{@code
 * Var n = Te.shapeVar("n");
 * Tensor A = Te.placeholder("A", DType.F32, n, Te.c(64));
 * Axis k = Te.reduceAxis("k", 64);
 * Tensor rowSum = Te.compute("row_sum", List.of(n), List.of("i"), i -> Te.sum(A.at(i.get(0), k.var()), k));
 * }</pre>
 *
 * Operands of different dtypes are promoted with {@link DType#promote}; a Java number meeting an
 * expression takes the expression's dtype.
 */
public final class Te {
    private Te() {}

    // ---- shapes, placeholders, computes ----

    /** A symbolic dimension, bound when the kernel is called (from the shape of an argument). */
    public static Var shapeVar(String name) { return Var.index(name); }

    /** An i64 constant (shapes, indices). */
    public static IntImm c(long v) { return IntImm.i64(v); }

    public static Tensor placeholder(String name, DType dtype, Expr... shape) {
        return placeholder(name, dtype, Arrays.asList(shape));
    }

    public static Tensor placeholder(String name, DType dtype, long... shape) {
        return placeholder(name, dtype, Arrays.stream(shape).mapToObj(s -> (Expr) c(s)).toList());
    }

    public static Tensor placeholder(String name, DType dtype, List<Expr> shape) {
        checkShape(name, shape);
        if (dtype.isVector()) throw new TesseraUserError("placeholder " + name + ": dtype must be scalar, got " + dtype);
        return new PlaceholderOp(name, dtype, shape).outputs().get(0);
    }

    /** Spatial axis names used when none are given: i0, i1, ... */
    public static List<String> defaultAxisNames(int rank) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < rank; i++) names.add("i" + i);
        return names;
    }

    public static Tensor compute(String name, List<Expr> shape, List<String> axisNames, Function<List<Var>, Expr> body) {
        return computeMulti(name, shape, axisNames, v -> List.of(body.apply(v))).get(0);
    }

    /** A compute with several outputs over one domain (e.g. the index and value of an argmax). */
    public static List<Tensor> computeMulti(String name, List<Expr> shape, List<String> axisNames, Function<List<Var>, List<Expr>> body) {
        checkShape(name, shape);
        if (axisNames.size() != shape.size())
            throw new TesseraUserError("compute " + name + ": " + shape.size() + " dimensions but " + axisNames.size() + " axis names");
        List<Axis> axes = new ArrayList<>();
        List<Var> vars = new ArrayList<>();
        for (int d = 0; d < shape.size(); d++) {
            Var v = Var.index(axisNames.get(d));
            vars.add(v);
            axes.add(new Axis(v, shape.get(d), Axis.Kind.SPATIAL));
        }
        List<Expr> bodies = body.apply(List.copyOf(vars));
        return new ComputeOp(name, axes, bodies).outputs();
    }

    public static Tensor compute(String name, List<Expr> shape, Function<List<Var>, Expr> body) {
        return compute(name, shape, defaultAxisNames(shape.size()), body);
    }

    public interface Body1 { Expr at(Var i); }
    public interface Body2 { Expr at(Var i, Var j); }
    public interface Body3 { Expr at(Var i, Var j, Var k); }
    public interface Body4 { Expr at(Var i, Var j, Var k, Var l); }

    public static Tensor compute(String name, Expr d0, Body1 body) {
        return compute(name, List.of(d0), v -> body.at(v.get(0)));
    }

    public static Tensor compute(String name, Expr d0, Expr d1, Body2 body) {
        return compute(name, List.of(d0, d1), List.of("i", "j"), v -> body.at(v.get(0), v.get(1)));
    }

    public static Tensor compute(String name, Expr d0, Expr d1, Expr d2, Body3 body) {
        return compute(name, List.of(d0, d1, d2), v -> body.at(v.get(0), v.get(1), v.get(2)));
    }

    public static Tensor compute(String name, Expr d0, Expr d1, Expr d2, Expr d3, Body4 body) {
        return compute(name, List.of(d0, d1, d2, d3), v -> body.at(v.get(0), v.get(1), v.get(2), v.get(3)));
    }

    private static void checkShape(String name, List<Expr> shape) {
        for (Expr d : shape) {
            if (!d.type().equals(DType.I64))
                throw new TesseraUserError(name + ": shape dimensions must be i64 expressions (constants or shape variables), got " + d.type());
            if (d instanceof IntImm i && i.value() <= 0)
                throw new TesseraUserError(name + ": shape dimensions must be positive, got " + i.value());
        }
    }

    // ---- reductions ----

    public static Axis reduceAxis(String name, long extent) { return reduceAxis(name, c(extent)); }

    public static Axis reduceAxis(String name, Expr extent) {
        if (extent instanceof IntImm i && i.value() <= 0) throw new TesseraUserError("reduction axis " + name + " must have a positive extent");
        return new Axis(Var.index(name), extent, Axis.Kind.REDUCE);
    }

    public static Expr sum(Expr e, Axis... axes) { return reduce(sumReducer(e.type()), e, axes); }
    public static Expr product(Expr e, Axis... axes) { return reduce(productReducer(e.type()), e, axes); }
    public static Expr max(Expr e, Axis... axes) { return reduce(maxReducer(e.type()), e, axes); }
    public static Expr min(Expr e, Axis... axes) { return reduce(minReducer(e.type()), e, axes); }

    public static Expr reduce(Reducer r, Expr e, Axis... axes) {
        return reduce(r, List.of(e), List.of(axes), IntImm.bool(true)).get(0);
    }

    /** A (tuple) reduction; returns one expression per value, for the bodies of a {@link #computeMulti}. */
    public static List<Expr> reduce(Reducer r, List<Expr> sources, List<Axis> axes, Expr condition) {
        if (axes.isEmpty()) throw new TesseraUserError("reduction " + r.name() + " needs at least one reduction axis");
        for (Axis a : axes)
            if (a.kind() != Axis.Kind.REDUCE)
                throw new TesseraUserError("reduction " + r.name() + ": axis " + a.name() + " is a spatial axis; make it with Te.reduceAxis");
        if (sources.size() != r.arity())
            throw new TesseraUserError("reducer " + r.name() + " combines " + r.arity() + " values, got " + sources.size());
        List<Expr> srcs = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            DType want = r.lhs().get(i).type();
            Expr s = sources.get(i);
            if (!s.type().equals(want)) {
                if (s instanceof IntImm || s instanceof FloatImm) s = cast(want, s);
                else throw new TesseraUserError("reducer " + r.name() + " value " + i + " has type " + want + ", got " + s.type() + "; cast it first");
            }
            srcs.add(s);
        }
        List<Expr> out = new ArrayList<>();
        for (int i = 0; i < r.arity(); i++) out.add(new Reduce(r, srcs, axes, condition, i));
        return out;
    }

    public static Reducer sumReducer(DType t) {
        return Reducer.of("sum", List.of(t), (a, b) -> List.of(add(a.get(0), b.get(0))), List.of(constant(t, 0)));
    }

    public static Reducer productReducer(DType t) {
        return Reducer.of("product", List.of(t), (a, b) -> List.of(mul(a.get(0), b.get(0))), List.of(constant(t, 1)));
    }

    public static Reducer maxReducer(DType t) {
        return Reducer.of("max", List.of(t), (a, b) -> List.of(max(a.get(0), b.get(0))), List.of(lowest(t)));
    }

    public static Reducer minReducer(DType t) {
        return Reducer.of("min", List.of(t), (a, b) -> List.of(min(a.get(0), b.get(0))), List.of(highest(t)));
    }

    /** The smallest value of a dtype (-inf for floats). */
    public static Expr lowest(DType t) {
        if (t.isFloat()) return new FloatImm(Double.NEGATIVE_INFINITY, t);
        if (t.isBool() || t.isUInt()) return new IntImm(0, t);
        return new IntImm(t.bits() == 64 ? Long.MIN_VALUE : -(1L << (t.bits() - 1)), t);
    }

    /** The largest value of a dtype (+inf for floats). */
    public static Expr highest(DType t) {
        if (t.isFloat()) return new FloatImm(Double.POSITIVE_INFINITY, t);
        if (t.isBool()) return new IntImm(1, t);
        if (t.isUInt()) return new IntImm((1L << t.bits()) - 1, t);
        return new IntImm(t.bits() == 64 ? Long.MAX_VALUE : (1L << (t.bits() - 1)) - 1, t);
    }

    // ---- constants ----

    public static Expr constant(DType t, double v) {
        if (t.isVector()) throw new TesseraUserError("constants are scalar");
        return t.isFloat() ? new FloatImm(v, t) : new IntImm((long) v, t);
    }

    public static Expr f32(double v) { return new FloatImm(v, DType.F32); }
    public static Expr f64(double v) { return new FloatImm(v, DType.F64); }

    /** A Java number as a constant of the other operand's type (a fraction meeting an integer becomes f32). */
    public static Expr constLike(double v, Expr other) {
        DType t = other.type().scalar();
        if (!t.isFloat() && v != Math.rint(v)) t = DType.F32;
        if (t.isBool()) t = DType.I64;
        return constant(t, v);
    }

    // ---- arithmetic with promotion ----

    private static Expr bin(Binary.Op op, Expr a, Expr b) {
        DType t = DType.promote(a.type(), b.type());
        return new Binary(op, cast(t, a), cast(t, b));
    }

    private static Expr arith(Binary.Op op, Expr a, Expr b) {
        if (a.type().isBool() && b.type().isBool())
            throw new TesseraUserError("'" + op.symbol + "' is not defined on bool; cast to an integer type first");
        return bin(op, a, b);
    }

    public static Expr add(Expr a, Expr b) { return arith(Binary.Op.ADD, a, b); }
    public static Expr sub(Expr a, Expr b) { return arith(Binary.Op.SUB, a, b); }
    public static Expr mul(Expr a, Expr b) { return arith(Binary.Op.MUL, a, b); }
    /** Floor division on integers (x / 0 == 0), true division on floats. */
    public static Expr div(Expr a, Expr b) { return arith(Binary.Op.DIV, a, b); }
    /** Floor modulo on integers (sign of the divisor, x % 0 == 0), {@code a - b*floor(a/b)} on floats. */
    public static Expr mod(Expr a, Expr b) { return arith(Binary.Op.MOD, a, b); }
    public static Expr min(Expr a, Expr b) { return arith(Binary.Op.MIN, a, b); }
    public static Expr max(Expr a, Expr b) { return arith(Binary.Op.MAX, a, b); }
    public static Expr neg(Expr a) { return sub(constant(a.type().scalar().isBool() ? DType.I64 : a.type().scalar(), 0), a); }

    public static Expr lt(Expr a, Expr b) { return bin(Binary.Op.LT, a, b); }
    public static Expr le(Expr a, Expr b) { return bin(Binary.Op.LE, a, b); }
    public static Expr gt(Expr a, Expr b) { return bin(Binary.Op.GT, a, b); }
    public static Expr ge(Expr a, Expr b) { return bin(Binary.Op.GE, a, b); }
    public static Expr eq(Expr a, Expr b) { return bin(Binary.Op.EQ, a, b); }
    public static Expr ne(Expr a, Expr b) { return bin(Binary.Op.NE, a, b); }

    public static Expr and(Expr a, Expr b) { return new Binary(Binary.Op.AND, toBool(a), toBool(b)); }
    public static Expr or(Expr a, Expr b) { return new Binary(Binary.Op.OR, toBool(a), toBool(b)); }
    public static Expr not(Expr a) { return new Not(toBool(a)); }

    private static Expr toBool(Expr a) {
        if (!a.type().isBool()) throw new TesseraUserError("logical operators need bool operands (comparisons), got " + a.type());
        return a;
    }

    /** {@code cond ? t : f}; only the chosen side is evaluated. */
    public static Expr select(Expr cond, Expr t, Expr f) {
        DType ty = DType.promote(t.type(), f.type());
        return new Select(toBool(cond), cast(ty, t), cast(ty, f));
    }

    public static Expr select(Expr cond, Expr t, double f) { return select(cond, t, constLike(f, t)); }

    public static Expr cast(DType t, Expr e) {
        return e.type().equals(t) ? e : new Cast(t, e);
    }

    // ---- math ----

    private static Expr math(Call.Fn fn, Expr... args) {
        for (Expr a : args)
            if (!a.type().isFloat() && !(fn == Call.Fn.ABS && a.type().isIntegral()))
                throw new TesseraUserError(fn.lowerName() + " needs a floating-point argument, got " + a.type() + "; cast it first, e.g. Te.cast(DType.F32, x)");
        if (args.length == 2) {
            DType t = DType.promote(args[0].type(), args[1].type());
            return new Call(fn, List.of(cast(t, args[0]), cast(t, args[1])));
        }
        return new Call(fn, List.of(args));
    }

    public static Expr exp(Expr a) { return math(Call.Fn.EXP, a); }
    public static Expr log(Expr a) { return math(Call.Fn.LOG, a); }
    public static Expr sqrt(Expr a) { return math(Call.Fn.SQRT, a); }
    public static Expr rsqrt(Expr a) { return math(Call.Fn.RSQRT, a); }
    public static Expr tanh(Expr a) { return math(Call.Fn.TANH, a); }
    public static Expr sigmoid(Expr a) { return math(Call.Fn.SIGMOID, a); }
    public static Expr pow(Expr a, Expr b) { return math(Call.Fn.POW, a, b); }
    public static Expr abs(Expr a) { return math(Call.Fn.ABS, a); }
    public static Expr floor(Expr a) { return math(Call.Fn.FLOOR, a); }
    public static Expr ceil(Expr a) { return math(Call.Fn.CEIL, a); }
    public static Expr erf(Expr a) { return math(Call.Fn.ERF, a); }
}
