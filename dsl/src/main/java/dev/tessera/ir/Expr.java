package dev.tessera.ir;

import dev.tessera.dsl.Te;

/**
 * An expression of the tensor IR. The same family serves the DSL (tensor reads, reductions) and the
 * lowered IR (flat loads, vector ramps and broadcasts). Nodes are immutable records built through
 * validating constructors; the fluent methods below build new nodes with dtype promotion
 * (see {@link DType#promote}).
 */
public sealed interface Expr
        permits IntImm, FloatImm, Var, Binary, Not, Select, Cast, Call, TensorRead, Reduce, Load, Ramp, Broadcast {

    DType type();

    default Expr add(Expr o) { return Te.add(this, o); }
    default Expr add(double o) { return Te.add(this, Te.constLike(o, this)); }
    default Expr sub(Expr o) { return Te.sub(this, o); }
    default Expr sub(double o) { return Te.sub(this, Te.constLike(o, this)); }
    default Expr mul(Expr o) { return Te.mul(this, o); }
    default Expr mul(double o) { return Te.mul(this, Te.constLike(o, this)); }
    default Expr div(Expr o) { return Te.div(this, o); }
    default Expr div(double o) { return Te.div(this, Te.constLike(o, this)); }
    default Expr mod(Expr o) { return Te.mod(this, o); }
    default Expr mod(long o) { return Te.mod(this, Te.constLike(o, this)); }
    default Expr neg() { return Te.neg(this); }
    default Expr lt(Expr o) { return Te.lt(this, o); }
    default Expr lt(double o) { return Te.lt(this, Te.constLike(o, this)); }
    default Expr le(Expr o) { return Te.le(this, o); }
    default Expr le(double o) { return Te.le(this, Te.constLike(o, this)); }
    default Expr gt(Expr o) { return Te.gt(this, o); }
    default Expr gt(double o) { return Te.gt(this, Te.constLike(o, this)); }
    default Expr ge(Expr o) { return Te.ge(this, o); }
    default Expr ge(double o) { return Te.ge(this, Te.constLike(o, this)); }
    default Expr eq(Expr o) { return Te.eq(this, o); }
    default Expr eq(double o) { return Te.eq(this, Te.constLike(o, this)); }
    default Expr ne(Expr o) { return Te.ne(this, o); }
    default Expr and(Expr o) { return Te.and(this, o); }
    default Expr or(Expr o) { return Te.or(this, o); }
    default Expr not() { return Te.not(this); }
    default Expr cast(DType t) { return Te.cast(t, this); }
}
