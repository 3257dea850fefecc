package dev.tessera.arith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BoundsTest {
    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    @Test
    void constantsAndLinearExpressions() {
        Var x = Var.index("x"), y = Var.index("y");
        Map<Var, Interval> scope = Map.of(x, Interval.of(c(0), c(7)), y, Interval.of(c(-2), c(3)));
        Interval i = Bounds.of(bin(Op.SUB, bin(Op.MUL, x, c(8)), y), scope);
        assertEquals(c(-3), i.min());
        assertEquals(c(58), i.max());
        Interval neg = Bounds.of(bin(Op.MUL, x, c(-2)), scope);
        assertEquals(c(-14), neg.min());
        assertEquals(c(0), neg.max());
    }

    @Test
    void freeVariablesAreSymbols() {
        Var i = Var.index("i"), n = Var.index("n");
        Interval r = Bounds.of(bin(Op.ADD, i, n), Map.of(i, Interval.of(c(0), c(3))));
        assertEquals(n, r.min());
        assertEquals(bin(Op.ADD, n, c(3)), r.max());
        assertTrue(Bounds.of(n, Map.of()).isPoint());
    }

    @Test
    void modDivAndRamp() {
        Var x = Var.index("x");
        Map<Var, Interval> scope = Map.of(x, Interval.of(c(0), c(100)));
        Interval m = Bounds.of(bin(Op.MOD, x, c(8)), scope);
        assertEquals(c(0), m.min());
        assertEquals(c(7), m.max());
        Interval d = Bounds.of(bin(Op.DIV, x, c(8)), scope);
        assertEquals(c(12), d.max());
        Interval small = Bounds.of(bin(Op.MOD, x, c(8)), Map.of(x, Interval.of(c(2), c(5))));
        assertEquals(c(2), small.min());
        assertEquals(c(5), small.max());
        Interval ramp = Bounds.of(new Ramp(bin(Op.MUL, x, c(4)), c(-1), 4), scope);
        assertEquals(c(-3), ramp.min());
        assertEquals(c(400), ramp.max());
        assertEquals(c(100), Bounds.of(new Broadcast(x, 4), scope).max());
    }

    @Test
    void nestedLoopRanges() {
        Var i = Var.index("i"), j = Var.index("j");
        // j in [0, i], i in [0, 9]
        Interval r = Bounds.of(bin(Op.ADD, i, j), Map.of(i, Interval.of(c(0), c(9)), j, Interval.of(c(0), i)));
        assertEquals(c(0), r.min());
        assertEquals(c(18), r.max());
    }

    @Test
    void bruteForceSoundness() {
        for (long seed = 1; seed <= 3000; seed++) {
            Random rnd = new Random(seed);
            List<Var> vars = List.of(Var.index("a"), Var.index("b"), Var.index("n"));
            Map<Var, Interval> scope = new HashMap<>();
            Map<Var, long[]> ranges = new HashMap<>();
            // a and b range over small intervals, n stays a free symbol.
            for (Var v : vars.subList(0, 2)) {
                long lo = rnd.nextInt(11) - 5, hi = lo + rnd.nextInt(6);
                scope.put(v, Interval.of(c(lo), c(hi)));
                ranges.put(v, new long[] {lo, hi});
            }
            Expr e = RandomExprs.intExpr(rnd, vars, 3);
            Interval iv;
            try {
                iv = Bounds.of(e, scope);
            } catch (RuntimeException ex) {
                throw new AssertionError("seed " + seed + ": " + e, ex);
            }
            for (long n = -4; n <= 4; n++) {
                Map<Var, Long> env = new HashMap<>();
                env.put(vars.get(2), n);
                Map<Var, Expr> fix = Map.of(vars.get(2), c(n));
                Long lo = iv.min() == null ? null : RandomExprs.eval(Exprs.substitute(iv.min(), fix), env);
                Long hi = iv.max() == null ? null : RandomExprs.eval(Exprs.substitute(iv.max(), fix), env);
                long[] ra = ranges.get(vars.get(0)), rb = ranges.get(vars.get(1));
                for (long a = ra[0]; a <= ra[1]; a++) {
                    for (long b = rb[0]; b <= rb[1]; b++) {
                        env.put(vars.get(0), a);
                        env.put(vars.get(1), b);
                        long v = RandomExprs.eval(e, env);
                        if ((lo != null && v < lo) || (hi != null && v > hi))
                            fail("seed " + seed + ": " + e + " = " + v + " at a=" + a + " b=" + b + " n=" + n
                                    + " outside [" + iv.min() + ", " + iv.max() + "] = [" + lo + ", " + hi + "]");
                    }
                }
            }
        }
    }
}
