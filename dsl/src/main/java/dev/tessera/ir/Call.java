package dev.tessera.ir;

import java.util.List;

/** A call of a pure math function on floats (abs also on integers). */
public record Call(Fn fn, List<Expr> args) implements Expr {
    /** The math functions, with their arity. */
    public enum Fn {
        EXP(1), LOG(1), SQRT(1), RSQRT(1), TANH(1), SIGMOID(1), POW(2), ABS(1), FLOOR(1), CEIL(1), ERF(1);

        public final int arity;
        Fn(int arity) { this.arity = arity; }
        public String lowerName() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public Call {
        args = List.copyOf(args);
        if (args.size() != fn.arity) throw new IllegalArgumentException(fn + " takes " + fn.arity + " arguments");
        for (Expr e : args) {
            if (!e.type().equals(args.get(0).type())) throw new IllegalArgumentException(fn + " arguments differ in type");
        }
        DType t = args.get(0).type();
        if (!(t.isFloat() || (fn == Fn.ABS && t.isIntegral())))
            throw new IllegalArgumentException(fn.lowerName() + " needs a floating-point argument, got " + t);
    }

    @Override public DType type() { return args.get(0).type(); }
}
