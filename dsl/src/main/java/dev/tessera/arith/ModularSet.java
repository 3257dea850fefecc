package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import java.util.function.Function;

/**
 * What is known about an integer expression modulo a number: every value it takes is
 * {@code coeff * k + base} for some integer {@code k}. {@code coeff == 0} means the value is exactly
 * {@code base}; {@code coeff == 1} means nothing is known. Normalized: {@code coeff >= 0} and
 * {@code 0 <= base < coeff} when {@code coeff > 0}.
 *
 * <p>Meant for index arithmetic (the alignment of a vector access), which never wraps: the rules
 * assume no overflow, and give up (nothing known) where a coefficient itself would overflow.
 */
public record ModularSet(long coeff, long base) {
    private static final ModularSet EVERYTHING = new ModularSet(1, 0);

    public ModularSet {
        if (coeff < 0) throw new IllegalArgumentException("negative coefficient " + coeff);
        if (coeff > 0) base = Math.floorMod(base, coeff);
    }

    /** Nothing known. */
    public static ModularSet everything() { return EVERYTHING; }

    /** Exactly {@code v}. */
    public static ModularSet constant(long v) { return new ModularSet(0, v); }

    /** The modular set of {@code e}; variables are unknown. */
    public static ModularSet of(Expr e) { return of(e, v -> EVERYTHING); }

    /** The modular set of {@code e}, with what {@code vars} knows about its variables (let-bound values, say). */
    public static ModularSet of(Expr e, Function<Var, ModularSet> vars) {
        if (e.type().isVector() || !e.type().isIntegral()) return EVERYTHING;
        return switch (e) {
            case IntImm i -> constant(i.value());
            case Var v -> vars.apply(v);
            case Binary(Binary.Op op, Expr a, Expr b) -> binary(op, of(a, vars), of(b, vars));
            case Select s -> union(of(s.t(), vars), of(s.f(), vars));
            // Widening keeps every value; a narrowing cast may wrap.
            case Cast c -> c.value().type().isIntegral() && c.type().bits() >= c.value().type().bits()
                    && c.type().isInt() == c.value().type().isInt() ? of(c.value(), vars) : EVERYTHING;
            case FloatImm f -> EVERYTHING;
            case Not n -> EVERYTHING;
            case Call c -> EVERYTHING;
            case Load l -> EVERYTHING;
            case Ramp r -> EVERYTHING;
            case Broadcast b -> EVERYTHING;
            case TensorRead t -> EVERYTHING;
            case Reduce r -> EVERYTHING;
        };
    }

    /**
     * The largest power of two (at most 2^30) that provably divides every value; 1 when nothing is
     * known, 2^30 for the constant 0.
     */
    public long powerOfTwoFactor() {
        long g = gcd(coeff, base);
        if (g == 0) return 1L << 30;
        return Math.min(Long.lowestOneBit(g), 1L << 30);
    }

    private static ModularSet binary(Binary.Op op, ModularSet x, ModularSet y) {
        try {
            return switch (op) {
                case ADD -> new ModularSet(gcd(x.coeff, y.coeff), Math.addExact(x.base, y.base));
                case SUB -> new ModularSet(gcd(x.coeff, y.coeff), Math.subtractExact(x.base, y.base));
                // (c1 k1 + b1)(c2 k2 + b2) = c1 c2 k1 k2 + c1 b2 k1 + c2 b1 k2 + b1 b2
                case MUL -> new ModularSet(gcd(gcd(Math.multiplyExact(x.coeff, y.coeff), Math.multiplyExact(x.coeff, y.base)),
                        Math.multiplyExact(y.coeff, x.base)), Math.multiplyExact(x.base, y.base));
                case DIV -> {
                    // Floor division by a constant d that divides the coefficient: (c k + b) / d = (c/d) k + floor(b/d).
                    if (y.coeff != 0 || y.base <= 0) yield EVERYTHING;
                    if (x.coeff % y.base != 0) yield EVERYTHING;
                    yield new ModularSet(x.coeff / y.base, Math.floorDiv(x.base, y.base));
                }
                case MOD -> {
                    // a mod m = a - m * floor(a / m), and m * anything is 0 modulo gcd(c, m).
                    if (y.coeff != 0 || y.base <= 0) yield EVERYTHING;
                    if (x.coeff == 0) yield constant(Math.floorMod(x.base, y.base));
                    yield new ModularSet(gcd(x.coeff, y.base), x.base);
                }
                case MIN, MAX -> union(x, y);
                case EQ, NE, LT, LE, GT, GE, AND, OR -> EVERYTHING;
            };
        } catch (ArithmeticException overflow) {
            return EVERYTHING;
        }
    }

    /** What holds for a value that is either an {@code x} or a {@code y}. */
    private static ModularSet union(ModularSet x, ModularSet y) {
        try {
            long d = Math.abs(Math.subtractExact(x.base, y.base));
            return new ModularSet(gcd(gcd(x.coeff, y.coeff), d), x.base);
        } catch (ArithmeticException overflow) {
            return EVERYTHING;
        }
    }

    private static long gcd(long a, long b) {
        a = Math.abs(a);
        b = Math.abs(b);
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
