package dev.tessera.arith;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A scalar integer expression as {@code sum(coefficient * term) + constant}, the canonical form of
 * additions, subtractions and multiplications by constants. Arithmetic is modulo 2^bits, so the form
 * is exact under wrapping for every integer dtype. Terms keep the order of their first appearance,
 * which makes the rebuilt expression deterministic.
 */
final class LinearForm {
    final DType type;
    final Map<Expr, Long> terms = new LinkedHashMap<>();
    long constant;

    private LinearForm(DType type) { this.type = type; }

    static LinearForm of(Expr e) {
        LinearForm f = new LinearForm(e.type());
        f.accumulate(e, 1);
        return f;
    }

    static LinearForm constant(DType t, long c) {
        LinearForm f = new LinearForm(t);
        f.constant = f.wrap(c);
        return f;
    }

    long wrap(long v) {
        int bits = type.bits();
        return bits >= 64 ? v : (v << (64 - bits)) >> (64 - bits);
    }

    private void accumulate(Expr e, long k) {
        switch (e) {
            case IntImm i -> constant = wrap(constant + k * i.value());
            case Binary(Op op, Expr a, Expr b) when op == Op.ADD -> { accumulate(a, k); accumulate(b, k); }
            case Binary(Op op, Expr a, Expr b) when op == Op.SUB -> { accumulate(a, k); accumulate(b, wrap(-k)); }
            case Binary(Op op, Expr a, IntImm b) when op == Op.MUL -> accumulate(a, wrap(k * b.value()));
            case Binary(Op op, IntImm a, Expr b) when op == Op.MUL -> accumulate(b, wrap(k * a.value()));
            default -> addTerm(e, k);
        }
    }

    void addTerm(Expr t, long k) {
        long c = wrap(terms.getOrDefault(t, 0L) + k);
        if (c == 0) terms.remove(t);
        else terms.put(t, c);
    }

    LinearForm copy() {
        LinearForm f = new LinearForm(type);
        f.terms.putAll(terms);
        f.constant = constant;
        return f;
    }

    /** this + k * o. */
    LinearForm plus(LinearForm o, long k) {
        LinearForm f = copy();
        for (var en : o.terms.entrySet()) f.addTerm(en.getKey(), wrap(k * en.getValue()));
        f.constant = wrap(f.constant + k * o.constant);
        return f;
    }

    boolean isConstant() { return terms.isEmpty(); }

    /**
     * Folds {@code k*c*(x/c) - k*x} into {@code -k*(x % c)} and {@code k*c*(x/c) + k*(x % c)} into
     * {@code k*x} (x = c*(x/c) + x%c for floor division),
     * which is what lets bounds of a split loop cancel against the original extent.
     */
    LinearForm foldDivMod() {
        LinearForm f = this;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (var en : f.terms.entrySet()) {
                if (!(en.getKey() instanceof Binary(Op op, Expr x, IntImm c)) || op != Op.DIV || c.value() <= 0) continue;
                long a = en.getValue();
                if (a % c.value() != 0) continue;
                long m = a / c.value();
                Expr remainder = new Binary(Op.MOD, x, c);
                if (f.terms.getOrDefault(remainder, 0L) == m) {
                    // m*c*(x/c) + m*(x%c) -> m*x
                    LinearForm g = f.copy();
                    g.addTerm(en.getKey(), wrap(-a));
                    g.addTerm(remainder, wrap(-m));
                    f = g.plus(LinearForm.of(x), m);
                    changed = true;
                    break;
                }
                LinearForm lx = LinearForm.of(x);
                if (lx.isConstant()) continue;
                boolean all = true;
                for (var t : lx.terms.entrySet()) {
                    if (!f.terms.getOrDefault(t.getKey(), 0L).equals(wrap(-m * t.getValue()))) { all = false; break; }
                }
                if (!all) continue;
                LinearForm g = f.copy();
                g.addTerm(en.getKey(), wrap(-a));
                g = g.plus(lx, m);
                g.addTerm(new Binary(Op.MOD, x, c), wrap(-m));
                f = g;
                changed = true;
                break;
            }
        }
        return f;
    }

    /** The expression: positive terms in order, then negative ones, then the constant. */
    Expr toExpr() {
        List<Map.Entry<Expr, Long>> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (var en : terms.entrySet()) (en.getValue() > 0 ? pos : neg).add(en);
        Expr acc = null;
        for (var en : pos) {
            Expr t = scaled(en.getKey(), en.getValue());
            acc = acc == null ? t : new Binary(Op.ADD, acc, t);
        }
        if (acc == null && !neg.isEmpty()) {
            if (constant != 0) {
                acc = new IntImm(constant, type);
            } else if (neg.size() == 1 && neg.get(0).getValue() != -1) {
                return new Binary(Op.MUL, neg.get(0).getKey(), new IntImm(neg.get(0).getValue(), type));
            } else {
                acc = new IntImm(0, type);
            }
            for (var en : neg) acc = new Binary(Op.SUB, acc, scaled(en.getKey(), wrap(-en.getValue())));
            return acc;
        }
        for (var en : neg) acc = new Binary(Op.SUB, acc, scaled(en.getKey(), wrap(-en.getValue())));
        if (acc == null) return new IntImm(constant, type);
        if (constant > 0) acc = new Binary(Op.ADD, acc, new IntImm(constant, type));
        else if (constant < 0) {
            long m = wrap(-constant);
            acc = m > 0 ? new Binary(Op.SUB, acc, new IntImm(m, type)) : new Binary(Op.ADD, acc, new IntImm(constant, type));
        }
        return acc;
    }

    private Expr scaled(Expr t, long k) {
        return k == 1 ? t : new Binary(Op.MUL, t, new IntImm(k, type));
    }
}
