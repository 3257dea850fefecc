package dev.tessera.arith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SimplifierTest {
    private final Var x = Var.index("x"), y = Var.index("y"), n = Var.index("n");

    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }
    private static Expr add(Expr a, Expr b) { return bin(Op.ADD, a, b); }
    private static Expr sub(Expr a, Expr b) { return bin(Op.SUB, a, b); }
    private static Expr mul(Expr a, Expr b) { return bin(Op.MUL, a, b); }
    private static Expr div(Expr a, Expr b) { return bin(Op.DIV, a, b); }
    private static Expr mod(Expr a, Expr b) { return bin(Op.MOD, a, b); }
    private static Expr s(Expr e) { return Simplifier.simplify(e); }

    // ---- constant folding ----

    @Test
    void foldsIntegersWithWrapAndFloorSemantics() {
        assertEquals(c(-4), s(div(c(-7), c(2))));
        assertEquals(c(1), s(mod(c(-7), c(2))));
        assertEquals(c(-1), s(mod(c(7), c(-2))));
        assertEquals(c(0), s(div(c(7), c(0))));
        assertEquals(c(0), s(mod(c(7), c(0))));
        assertEquals(new IntImm(-128, DType.I8), s(bin(Op.ADD, new IntImm(127, DType.I8), new IntImm(1, DType.I8))));
        assertEquals(new IntImm(255, DType.U8), s(bin(Op.SUB, new IntImm(0, DType.U8), new IntImm(1, DType.U8))));
        assertEquals(IntImm.bool(true), s(bin(Op.LT, new IntImm(1, DType.U8), new IntImm(200, DType.U8))));
    }

    @Test
    void foldsFloatsPerDtype() {
        assertEquals(new FloatImm(0.1f + 0.2f, DType.F32), s(bin(Op.ADD, new FloatImm(0.1, DType.F32), new FloatImm(0.2, DType.F32))));
        assertEquals(new FloatImm(0.1 + 0.2, DType.F64), s(bin(Op.ADD, new FloatImm(0.1, DType.F64), new FloatImm(0.2, DType.F64))));
        assertEquals(new FloatImm(2048, DType.F16), s(bin(Op.ADD, new FloatImm(2048, DType.F16), new FloatImm(1, DType.F16))));
        assertEquals(IntImm.bool(false), s(bin(Op.EQ, new FloatImm(Double.NaN, DType.F32), new FloatImm(Double.NaN, DType.F32))));
    }

    @Test
    void foldsCasts() {
        assertEquals(new IntImm(-2, DType.I32), s(new Cast(DType.I32, new FloatImm(-2.7, DType.F32))));
        assertEquals(new IntImm(127, DType.I8), s(new Cast(DType.I8, new FloatImm(1000, DType.F32))));
        assertEquals(new IntImm(0, DType.U8), s(new Cast(DType.U8, new FloatImm(-5, DType.F32))));
        assertEquals(new IntImm(0, DType.I32), s(new Cast(DType.I32, new FloatImm(Double.NaN, DType.F32))));
        assertEquals(new IntImm(44, DType.I8), s(new Cast(DType.I8, c(300))));
        assertEquals(new FloatImm(3, DType.F32), s(new Cast(DType.F32, c(3))));
        assertEquals(IntImm.bool(true), s(new Cast(DType.BOOL, new FloatImm(0.5, DType.F32))));
    }

    // ---- linear forms ----

    @Test
    void collectsLikeTerms() {
        assertEquals(add(mul(x, c(3)), c(2)), s(sub(add(add(add(x, c(3)), mul(x, c(2))), c(0)), c(1))));
        assertEquals(c(0), s(sub(x, x)));
        assertEquals(y, s(sub(add(mul(x, c(8)), y), mul(x, c(8)))));
        assertEquals(sub(x, y), s(add(sub(c(0), y), x)));
        assertEquals(add(mul(x, c(6)), c(3)), s(mul(add(mul(x, c(2)), c(1)), c(3))));
    }

    // ---- division and modulo ----

    @Test
    void divModByConstants() {
        assertEquals(x, s(div(mul(x, c(8)), c(8))));
        assertEquals(add(x, div(y, c(8))), s(div(add(mul(x, c(8)), y), c(8))));
        assertEquals(mod(y, c(8)), s(mod(add(mul(x, c(8)), y), c(8))));
        assertEquals(c(0), s(mod(mul(x, c(8)), c(4))));
        assertEquals(div(x, c(32)), s(div(div(x, c(8)), c(4))));
        assertEquals(mod(x, c(4)), s(mod(mod(x, c(16)), c(4))));
        Map<Var, Interval> small = Map.of(y, Interval.of(c(0), c(7)), x, Interval.of(c(0), c(100)));
        assertEquals(x, Simplifier.simplify(div(add(mul(x, c(8)), y), c(8)), small));
        assertEquals(y, Simplifier.simplify(mod(y, c(8)), small));
        assertEquals(c(0), Simplifier.simplify(div(y, c(8)), small));
        assertEquals(y, Simplifier.simplify(mod(add(mul(x, c(8)), y), c(8)), small));
    }

    @Test
    void splitLoopReconstructionCancels() {
        // (n/8)*8 + n%8 == n
        assertEquals(n, s(add(mul(div(n, c(8)), c(8)), mod(n, c(8)))));
    }

    // ---- min / max ----

    @Test
    void minMax() {
        assertEquals(x, s(bin(Op.MIN, x, x)));
        assertEquals(add(x, c(1)), s(bin(Op.MIN, add(x, c(1)), add(x, c(4)))));
        assertEquals(add(x, c(4)), s(bin(Op.MAX, add(x, c(1)), add(x, c(4)))));
        assertEquals(bin(Op.MIN, x, c(3)), s(bin(Op.MIN, bin(Op.MIN, x, c(3)), c(5))));
        assertEquals(bin(Op.MIN, x, c(3)), s(bin(Op.MIN, c(3), x)));
        assertEquals(c(2), s(bin(Op.MIN, bin(Op.MAX, x, c(5)), c(2))));
        Map<Var, Interval> scope = Map.of(x, Interval.of(c(0), c(7)));
        assertEquals(x, Simplifier.simplify(bin(Op.MIN, x, c(8)), scope));
        assertEquals(c(8), Simplifier.simplify(bin(Op.MAX, x, c(8)), scope));
        assertEquals(bin(Op.MIN, x, y), s(bin(Op.MIN, x, y)));
    }

    // ---- comparisons ----

    @Test
    void comparisonsFromBounds() {
        Var io = Var.index("io"), i = Var.index("i");
        Expr idx = add(mul(io, c(8)), i);
        Map<Var, Interval> divisible = Map.of(io, Interval.of(c(0), c(7)), i, Interval.of(c(0), c(7)));
        assertTrue(Simplifier.canProve(bin(Op.LT, idx, c(64)), divisible));
        assertFalse(Simplifier.canProve(bin(Op.LT, idx, c(60)), divisible));
        // symbolic extent: io in [0, n/8 - 1] proves the guard, io in [0, (n+7)/8 - 1] does not
        Map<Var, Interval> symbolic = Map.of(io, Interval.of(c(0), sub(div(n, c(8)), c(1))), i, Interval.of(c(0), c(7)));
        assertTrue(Simplifier.canProve(bin(Op.LT, idx, n), symbolic));
        Map<Var, Interval> rounded = Map.of(io, Interval.of(c(0), sub(div(add(n, c(7)), c(8)), c(1))), i, Interval.of(c(0), c(7)));
        assertFalse(Simplifier.canProve(bin(Op.LT, idx, n), rounded));
        assertTrue(Simplifier.canDisprove(bin(Op.GE, idx, c(64)), divisible));
    }

    @Test
    void comparisonCanonicalForms() {
        assertEquals(bin(Op.LT, x, c(4)), s(bin(Op.LT, add(x, c(1)), c(5))));
        assertEquals(bin(Op.LT, y, x), s(bin(Op.GT, x, y)));
        assertEquals(bin(Op.LT, x, add(y, c(4))), s(bin(Op.LT, add(x, c(1)), add(y, c(5)))));
        assertEquals(bin(Op.LT, x, y), s(bin(Op.LT, add(x, n), add(y, n))));
        assertEquals(IntImm.bool(true), s(bin(Op.LE, x, x)));
        assertEquals(IntImm.bool(false), s(bin(Op.LT, add(x, c(1)), x)));
        Expr fx = new Var("f", DType.F32);
        assertEquals(bin(Op.EQ, fx, fx), s(bin(Op.EQ, fx, fx))); // NaN != NaN
    }

    // ---- booleans and select ----

    @Test
    void booleans() {
        Expr p = bin(Op.LT, x, y);
        assertEquals(p, s(new Not(new Not(p))));
        assertEquals(bin(Op.LE, y, x), s(new Not(p)));
        assertEquals(p, s(bin(Op.AND, IntImm.bool(true), p)));
        assertEquals(IntImm.bool(false), s(bin(Op.AND, p, IntImm.bool(false))));
        assertEquals(IntImm.bool(true), s(bin(Op.OR, p, IntImm.bool(true))));
        assertEquals(p, s(bin(Op.OR, p, p)));
        assertEquals(x, s(new Select(p, x, x)));
        assertEquals(y, s(new Select(IntImm.bool(false), x, y)));
        assertEquals(c(1), Simplifier.simplify(new Select(bin(Op.LT, x, c(10)), c(1), c(2)), Map.of(x, Interval.of(c(0), c(9)))));
    }

    // ---- vectors ----

    @Test
    void vectors() {
        assertEquals(new Broadcast(c(5), 4), s(add(new Broadcast(c(2), 4), new Broadcast(c(3), 4))));
        assertEquals(new Ramp(add(x, y), c(1), 4), s(add(new Ramp(x, c(1), 4), new Broadcast(y, 4))));
        assertEquals(new Ramp(mul(x, c(8)), c(8), 4), s(mul(new Ramp(x, c(1), 4), new Broadcast(c(8), 4))));
        assertEquals(new Broadcast(x, 4), s(new Ramp(x, c(0), 4)));
        // A constant ramp within one block of the divisor: one quotient for every lane, a ramp of remainders.
        assertEquals(new Broadcast(c(0), 16), s(bin(Op.DIV, new Ramp(c(0), c(1), 16), new Broadcast(c(16), 16))));
        assertEquals(new Broadcast(c(2), 16), s(bin(Op.DIV, new Ramp(c(32), c(1), 16), new Broadcast(c(16), 16))));
        assertEquals(new Ramp(c(0), c(1), 16), s(bin(Op.MOD, new Ramp(c(32), c(1), 16), new Broadcast(c(16), 16))));
        Map<Var, Interval> scope = Map.of(x, Interval.of(c(0), c(3)));
        assertTrue(Simplifier.canProve(bin(Op.LT, new Ramp(mul(x, c(4)), c(1), 4), new Broadcast(c(16), 4)), scope));
    }

    // ---- floats: only exact rewrites ----

    @Test
    void floatsKeepSignedZeroAndOrder() {
        Var f = new Var("f", DType.F32);
        FloatImm zero = new FloatImm(0, DType.F32), one = new FloatImm(1, DType.F32);
        assertEquals(bin(Op.ADD, f, zero), s(bin(Op.ADD, f, zero)));
        assertEquals(f, s(bin(Op.MUL, f, one)));
        Expr reassoc = add(add(f, new FloatImm(1, DType.F32)), new FloatImm(2, DType.F32));
        assertEquals(reassoc, s(reassoc));
    }

    // ---- differential ----

    @Test
    void randomExpressionsKeepTheirValues() {
        for (long seed = 1; seed <= 4000; seed++) {
            Random rnd = new Random(seed);
            List<Var> vars = List.of(Var.index("a"), Var.index("b"), Var.index("n"));
            Expr e = rnd.nextInt(4) == 0 ? RandomExprs.boolExpr(rnd, vars, 3) : RandomExprs.intExpr(rnd, vars, 4);
            Map<Var, Interval> scope = new HashMap<>();
            long loA = rnd.nextInt(11) - 5, hiA = loA + rnd.nextInt(8);
            boolean scoped = rnd.nextBoolean();
            if (scoped) scope.put(vars.get(0), Interval.of(c(loA), c(hiA)));
            Expr simplified;
            try {
                simplified = Simplifier.simplify(e, scope);
                assertEquals(simplified, Simplifier.simplify(simplified, scope), "not idempotent");
            } catch (RuntimeException | AssertionError ex) {
                throw new AssertionError("seed " + seed + ": " + e, ex);
            }
            for (int k = 0; k < 40; k++) {
                Map<Var, Long> env = new HashMap<>();
                env.put(vars.get(0), scoped ? loA + rnd.nextInt((int) (hiA - loA + 1)) : (long) rnd.nextInt(41) - 20);
                env.put(vars.get(1), (long) rnd.nextInt(41) - 20);
                env.put(vars.get(2), (long) rnd.nextInt(41) - 20);
                long before = RandomExprs.eval(e, env), after = RandomExprs.eval(simplified, env);
                if (before != after)
                    fail("seed " + seed + ": " + e + " -> " + simplified + " differs at " + env + ": " + before + " vs " + after);
            }
        }
    }
}
