package dev.tessera.arith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModularSetTest {
    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    @Test
    void aVectorBaseOfAThreadTimesTheLaneCountIsAligned() {
        // The base of a 4-wide access by thread tx of block bx with 64 threads: (bx * 64 + tx) * 4 + 8.
        Var bx = Var.index("bx"), tx = Var.index("tx");
        Expr base = bin(Op.ADD, bin(Op.MUL, bin(Op.ADD, bin(Op.MUL, bx, c(64)), tx), c(4)), c(8));
        ModularSet m = ModularSet.of(base);
        assertEquals(new ModularSet(4, 0), m);
        assertEquals(4, m.powerOfTwoFactor());
    }

    @Test
    void aSymbolicRowStrideLosesTheAlignment() {
        Var i = Var.index("i"), n = Var.index("n"), j = Var.index("j");
        assertEquals(1, ModularSet.of(bin(Op.ADD, bin(Op.MUL, i, n), bin(Op.MUL, j, c(4)))).powerOfTwoFactor());
        // ...unless the caller knows the stride: n = 16 k.
        ModularSet known = ModularSet.of(bin(Op.ADD, bin(Op.MUL, i, n), bin(Op.MUL, j, c(4))), v -> v == n ? new ModularSet(16, 0) : ModularSet.everything());
        assertEquals(4, known.powerOfTwoFactor());
    }

    @Test
    void divisionModuloAndChoices() {
        Var x = Var.index("x");
        assertEquals(new ModularSet(2, 1), ModularSet.of(bin(Op.DIV, bin(Op.ADD, bin(Op.MUL, x, c(8)), c(4)), c(4))));
        assertEquals(new ModularSet(4, 2), ModularSet.of(bin(Op.MOD, bin(Op.ADD, bin(Op.MUL, x, c(12)), c(6)), c(8))));
        assertEquals(new ModularSet(2, 0), ModularSet.of(bin(Op.MIN, bin(Op.MUL, x, c(4)), c(6))));
        assertEquals(ModularSet.constant(3), ModularSet.of(bin(Op.MOD, c(11), c(8))));
        assertEquals(1L << 30, ModularSet.constant(0).powerOfTwoFactor());
        assertEquals(ModularSet.everything(), ModularSet.of(bin(Op.DIV, x, c(0))));
    }

    @Test
    void randomExpressionsStayInsideTheirSet() {
        Random rnd = new Random(42);
        Var x = Var.index("x"), y = Var.index("y"), z = Var.index("z");
        // x = 4k + 1, y = 8k, z unknown.
        Map<Var, ModularSet> known = Map.of(x, new ModularSet(4, 1), y, new ModularSet(8, 0), z, ModularSet.everything());
        for (int trial = 0; trial < 3000; trial++) {
            Expr e = RandomExprs.intExpr(rnd, List.of(x, y, z), 4);
            ModularSet m = ModularSet.of(e, known::get);
            for (int s = 0; s < 20; s++) {
                Map<Var, Long> env = new HashMap<>();
                env.put(x, 4L * (rnd.nextInt(41) - 20) + 1);
                env.put(y, 8L * (rnd.nextInt(41) - 20));
                env.put(z, (long) rnd.nextInt(81) - 40);
                long v = RandomExprs.eval(e, env);
                boolean inside = m.coeff() == 0 ? v == m.base() : Math.floorMod(v, m.coeff()) == m.base();
                assertTrue(inside, e + " = " + v + " at " + env + " is not in " + m);
            }
        }
    }
}
