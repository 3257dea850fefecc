package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import dev.tessera.lower.passes.PartitionLoops;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionLoopsTest {
    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    private final BufferRef out = new BufferRef("C", DType.F32);
    private final BufferRef in = new BufferRef("A", DType.F32);
    private final FloatImm one = new FloatImm(1, DType.F32);

    /** for io in [0, outer): kind for ii in [0, 8): if (io*8 + ii < n) C[io*8 + ii] = 1 */
    private Stmt splitLoop(LoopKind outerKind, Expr outerExtent, Expr n) {
        Var io = Var.index("i.outer"), ii = Var.index("i.inner");
        Expr idx = bin(Op.ADD, bin(Op.MUL, io, c(8)), ii);
        Stmt guarded = new IfThenElse(bin(Op.LT, idx, n), new Store(out, idx, one), null);
        return new For(io, c(0), outerExtent, outerKind, new For(ii, c(0), c(8), LoopKind.VECTORIZED, guarded));
    }

    @Test
    void splitTailGetsAGuardFreeSteadyStateAndAGuardedEpilogue() {
        assertEquals("""
                for (i.outer, 0, 7) {
                  vectorized for (i.inner, 0, 8) {
                    C[(i.outer*8) + i.inner] = 1f
                  }
                }
                for (i.outer.1, 7, 1) {
                  vectorized for (i.inner, 0, 8) {
                    if (((i.outer.1*8) + i.inner) < 60) {
                      C[(i.outer.1*8) + i.inner] = 1f
                    }
                  }
                }
                """, IRPrinter.print(PartitionLoops.apply(splitLoop(LoopKind.SERIAL, c(8), c(60)))));
    }

    @Test
    void symbolicExtentSplitsAtTheLastFullTileForEveryValue() {
        Var n = Var.index("n");
        Stmt s = PartitionLoops.apply(splitLoop(LoopKind.SERIAL, bin(Op.DIV, bin(Op.ADD, n, c(7)), c(8)), n));
        assertEquals("""
                for (i.outer, 0, min(max(n/8, 0), (n + 7)/8)) {
                  vectorized for (i.inner, 0, 8) {
                    C[(i.outer*8) + i.inner] = 1f
                  }
                }
                for (i.outer.1, min(max(n/8, 0), (n + 7)/8), max(((n + 7)/8) - max(n/8, 0), 0)) {
                  vectorized for (i.inner, 0, 8) {
                    if (((i.outer.1*8) + i.inner) < n) {
                      C[(i.outer.1*8) + i.inner] = 1f
                    }
                  }
                }
                """, IRPrinter.print(s));
        // The loop interpreter checks every store against the buffer: exactly C[0, n) is written.
        for (long size : new long[] {0, 1, 7, 8, 9, 37, 64}) {
            double[] c = new double[(int) size];
            LoopInterpreter.run(func(s, n), List.of(c), new long[] {size});
            double[] want = new double[(int) size];
            java.util.Arrays.fill(want, 1);
            assertArrayEquals(want, c, "n = " + size);
        }
    }

    private LoweredFunc func(Stmt body, Var n) {
        Tensor t = Te.placeholder("C", DType.F32, n);
        return new LoweredFunc("f", List.of(new LoweredFunc.BufferParam(out, t, t.shape(), true)), List.of(n), body);
    }

    @Test
    void paddingSelectGetsPrologueSteadyStateAndEpilogue() {
        // C[y] = select(1 <= y && y < 9, A[y - 1], 0): the inside of a one-element border.
        Var y = Var.index("y");
        Expr inside = bin(Op.AND, bin(Op.LE, c(1), y), bin(Op.LT, y, c(9)));
        Expr value = new Select(inside, new Load(in, bin(Op.SUB, y, c(1))), new FloatImm(0, DType.F32));
        Stmt s = new For(y, c(0), c(10), LoopKind.SERIAL, new Store(out, y, value));
        assertEquals("""
                for (y, 0, 1) {
                  C[y] = 0f
                }
                for (y.1, 1, 8) {
                  C[y.1] = A[y.1 - 1]
                }
                for (y.2, 9, 1) {
                  C[y.2] = 0f
                }
                """, IRPrinter.print(PartitionLoops.apply(s)));
    }

    @Test
    void clippedTileExtentBecomesConstantInTheSteadyState() {
        // A 16-wide tile of a 40-wide output: the tile's extent is clipped at the edge, and the
        // unrolled loop over its 8-wide vectors and their guards derive from that extent.
        Var jo = Var.index("j.outer"), ext = Var.index("extent"), jj = Var.index("jj"), ji = Var.index("ji");
        Expr clipped = bin(Op.ADD, bin(Op.SUB, bin(Op.MIN, bin(Op.ADD, bin(Op.MUL, jo, c(16)), c(15)), c(39)), bin(Op.MUL, jo, c(16))), c(1));
        Expr lane = bin(Op.ADD, bin(Op.MUL, jj, c(8)), ji);
        Stmt store = new IfThenElse(bin(Op.LT, lane, ext), new Store(out, bin(Op.ADD, bin(Op.MUL, jo, c(16)), lane), one), null);
        Stmt tile = new For(jj, c(0), bin(Op.DIV, bin(Op.ADD, ext, c(7)), c(8)), LoopKind.UNROLLED,
                new For(ji, c(0), c(8), LoopKind.VECTORIZED, store));
        Stmt s = new For(jo, c(0), c(3), LoopKind.SERIAL, new LetStmt(ext, clipped, tile));
        assertEquals("""
                for (j.outer, 0, 2) {
                  unrolled for (jj, 0, 2) {
                    vectorized for (ji, 0, 8) {
                      C[((j.outer*16) + (jj*8)) + ji] = 1f
                    }
                  }
                }
                for (j.outer.1, 2, 1) {
                  let extent = 40 - (j.outer.1*16)
                  unrolled for (jj, 0, 1) {
                    vectorized for (ji, 0, 8) {
                      C[((j.outer.1*16) + (jj*8)) + ji] = 1f
                    }
                  }
                }
                """, IRPrinter.print(PartitionLoops.apply(s)));
    }

    @Test
    void parallelLoopStaysOneLoopThatBranchesToItsPiece() {
        assertEquals("""
                parallel for (i.outer, 0, 8) {
                  if (i.outer < 7) {
                    vectorized for (i.inner, 0, 8) {
                      C[(i.outer*8) + i.inner] = 1f
                    }
                  } else {
                    vectorized for (i.inner, 0, 8) {
                      if (((i.outer*8) + i.inner) < 60) {
                        C[(i.outer*8) + i.inner] = 1f
                      }
                    }
                  }
                }
                """, IRPrinter.print(PartitionLoops.apply(splitLoop(LoopKind.PARALLEL, c(8), c(60)))));
    }

    @Test
    void loopsWithoutGuardsOrWithGuardsThatHoldNowhereAreLeftAlone() {
        Stmt divisible = splitLoop(LoopKind.SERIAL, c(8), c(64));
        Stmt simplified = dev.tessera.lower.passes.Simplify.apply(divisible);
        assertSame(simplified, PartitionLoops.apply(simplified));
        // i.inner < i.outer (a triangle) holds for all of i.inner in no iteration of i.outer but the
        // out-of-range i.outer >= 8: no range of i.outer proves it.
        Var io = Var.index("i.outer"), ii = Var.index("i.inner");
        Stmt triangle = new For(io, c(0), c(8), LoopKind.SERIAL, new For(ii, c(0), c(8), LoopKind.SERIAL,
                new IfThenElse(bin(Op.LT, ii, io), new Store(out, bin(Op.ADD, bin(Op.MUL, io, c(8)), ii), one), null)));
        assertSame(triangle, PartitionLoops.apply(triangle));
    }

    @Test
    void loweringRemovesTheTailMaskFromTheSteadyStateOfAVectorizedSplit() {
        Tensor a = Te.placeholder("A", DType.F32, 100);
        Tensor b = Te.compute("B", List.of(Te.c(100)), List.of("i"), v -> a.at(v.get(0)).mul(Te.f32(2)));
        Schedule sch = Schedule.create(b);
        Stage st = sch.stage(b);
        st.vectorize(st.split("i", 16).inner());
        assertEquals("""
                for (i.outer, 0, 6) {
                  B[ramp(i.outer*16, 1, 16)] = A[ramp(i.outer*16, 1, 16)] * x16(2f)
                }
                B[ramp(96, 1, 16)] = A[ramp(96, 1, 16) if ramp(96, 1, 16) < x16(100)] * x16(2f) if ramp(96, 1, 16) < x16(100)
                """, IRPrinter.print(Lower.lower(sch, "double").body()));
    }
}
