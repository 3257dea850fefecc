package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import dev.tessera.lower.passes.Simplify;
import dev.tessera.schedule.LoopKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimplifyTest {
    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    private final BufferRef out = new BufferRef("C", DType.F32);
    private final FloatImm zero = new FloatImm(0, DType.F32);

    /** for io in [0, outer): for ii in [0, 8): if (io*8 + ii < n) C[io*8 + ii] = 0 */
    private Stmt splitLoop(Expr outerExtent, Expr n) {
        Var io = Var.index("i.outer"), ii = Var.index("i.inner");
        Expr idx = bin(Op.ADD, bin(Op.MUL, io, c(8)), ii);
        Stmt guarded = new IfThenElse(bin(Op.LT, idx, n), new Store(out, idx, zero), null);
        return new For(io, c(0), outerExtent, LoopKind.SERIAL, new For(ii, c(0), c(8), LoopKind.SERIAL, guarded));
    }

    @Test
    void removesGuardOfDivisibleSplit() {
        assertEquals("""
                for (i.outer, 0, 8) {
                  for (i.inner, 0, 8) {
                    C[(i.outer*8) + i.inner] = 0f
                  }
                }
                """, IRPrinter.print(Simplify.apply(splitLoop(c(8), c(64)))));
        Var n = Var.index("n");
        String symbolic = IRPrinter.print(Simplify.apply(splitLoop(bin(Op.DIV, n, c(8)), n)));
        assertEquals("""
                for (i.outer, 0, n/8) {
                  for (i.inner, 0, 8) {
                    C[(i.outer*8) + i.inner] = 0f
                  }
                }
                """, symbolic);
    }

    @Test
    void keepsGuardOfNonDivisibleSplit() {
        assertEquals("""
                for (i.outer, 0, 8) {
                  for (i.inner, 0, 8) {
                    if (((i.outer*8) + i.inner) < 60) {
                      C[(i.outer*8) + i.inner] = 0f
                    }
                  }
                }
                """, IRPrinter.print(Simplify.apply(splitLoop(c(8), c(60)))));
        Var n = Var.index("n");
        String kept = IRPrinter.print(Simplify.apply(splitLoop(bin(Op.DIV, bin(Op.ADD, n, c(7)), c(8)), n)));
        assertEquals("""
                for (i.outer, 0, (n + 7)/8) {
                  for (i.inner, 0, 8) {
                    if (((i.outer*8) + i.inner) < n) {
                      C[(i.outer*8) + i.inner] = 0f
                    }
                  }
                }
                """, kept);
    }

    @Test
    void extentOneLoopBecomesItsMinAndEmptyLoopsVanish() {
        Var i = Var.index("i"), j = Var.index("j");
        Stmt s = Block.of(
                new For(i, c(3), c(1), LoopKind.SERIAL, new Store(out, bin(Op.MUL, i, c(2)), zero)),
                new For(j, c(0), c(0), LoopKind.SERIAL, new Store(out, j, zero)));
        assertEquals("C[6] = 0f\n", IRPrinter.print(Simplify.apply(s)));
    }

    @Test
    void letsOfConstantsAreSubstitutedAndOthersCarryBounds() {
        Var k = Var.index("k"), i = Var.index("i"), t = Var.index("t");
        Stmt s = new LetStmt(k, bin(Op.ADD, c(2), c(2)),
                new For(i, c(0), c(4), LoopKind.SERIAL,
                        new LetStmt(t, bin(Op.MUL, i, k),
                                new IfThenElse(bin(Op.LE, t, c(12)), new Store(out, t, zero), new Store(out, c(0), zero)))));
        assertEquals("""
                for (i, 0, 4) {
                  let t = i*4
                  C[t] = 0f
                }
                """, IRPrinter.print(Simplify.apply(s)));
    }

    @Test
    void divisionOfATileStartThatIsASumOfScaledTermsFolds() {
        // let p = (i % 14) * 14 + x * 7 in C[(p + 3) / 14 + (p + 3) % 14]: a tile of half a row of 14 pixels.
        Var i = Var.index("i"), x = Var.index("x"), p = Var.index("p");
        Expr start = bin(Op.ADD, bin(Op.MUL, bin(Op.MOD, i, c(14)), c(14)), bin(Op.MUL, x, c(7)));
        Expr pixel = bin(Op.ADD, p, c(3));
        Stmt body = new Store(out, bin(Op.ADD, bin(Op.MUL, bin(Op.DIV, pixel, c(14)), c(16)), bin(Op.MOD, pixel, c(14))), zero);
        Stmt loops = new For(i, c(0), c(56), LoopKind.SERIAL, new For(x, c(0), c(2), LoopKind.SERIAL, new LetStmt(p, start, body)));
        String printed = IRPrinter.print(Simplify.apply(loops));
        assertEquals(true, printed.contains("C[(((i % 14)*16) + (x*7)) + 3] = 0f"), printed);
    }

    @Test
    void dropsAlwaysTruePredicate() {
        Var i = Var.index("i");
        Expr idx = new Ramp(bin(Op.MUL, i, c(4)), c(1), 4);
        Expr pred = bin(Op.LT, idx, new Broadcast(c(16), 4));
        Stmt s = new For(i, c(0), c(4), LoopKind.PARALLEL, new Store(out, idx, new Broadcast(zero, 4), pred));
        assertEquals("""
                parallel for (i, 0, 4) {
                  C[ramp(i*4, 1, 4)] = x4(0f)
                }
                """, IRPrinter.print(Simplify.apply(s)));
        Stmt kept = new For(i, c(0), c(5), LoopKind.PARALLEL, new Store(out, idx, new Broadcast(zero, 4), pred));
        assertEquals("""
                parallel for (i, 0, 5) {
                  C[ramp(i*4, 1, 4)] = x4(0f) if ramp(i*4, 1, 4) < x4(16)
                }
                """, IRPrinter.print(Simplify.apply(kept)));
    }

    @Test
    void emptyResultIsAnEmptyBlock() {
        Var i = Var.index("i");
        Stmt s = new IfThenElse(bin(Op.LT, c(1), c(0)), new Store(out, i, zero), null);
        assertEquals(new Block(List.of()), Simplify.apply(s));
    }
}
