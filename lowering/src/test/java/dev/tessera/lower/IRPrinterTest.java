package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.dsl.Tensor;
import dev.tessera.dsl.Te;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Binary.Op;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class IRPrinterTest {
    private static IntImm c(long v) { return IntImm.i64(v); }
    private static Expr bin(Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    @Test
    void constantsAndOperators() {
        Var x = Var.index("x"), y = Var.index("y");
        assertEquals("1.5f", IRPrinter.print(new FloatImm(1.5, DType.F32)));
        assertEquals("0f", IRPrinter.print(new FloatImm(0, DType.F32)));
        assertEquals("0.1f", IRPrinter.print(new FloatImm(0.1, DType.F32)));
        assertEquals("2.5:f64", IRPrinter.print(new FloatImm(2.5, DType.F64)));
        assertEquals("-3", IRPrinter.print(c(-3)));
        assertEquals("7:i32", IRPrinter.print(new IntImm(7, DType.I32)));
        assertEquals("true", IRPrinter.print(IntImm.bool(true)));
        assertEquals("(x*32) + y", IRPrinter.print(bin(Op.ADD, bin(Op.MUL, x, c(32)), y)));
        assertEquals("(x % 8) - min(x, y/2)", IRPrinter.print(bin(Op.SUB, bin(Op.MOD, x, c(8)), bin(Op.MIN, x, bin(Op.DIV, y, c(2))))));
        assertEquals("!(x < y) && (y != 0)", IRPrinter.print(bin(Op.AND, new Not(bin(Op.LT, x, y)), bin(Op.NE, y, c(0)))));
        assertEquals("select(x <= y, x, y)", IRPrinter.print(new Select(bin(Op.LE, x, y), x, y)));
        assertEquals("exp(f32(x))", IRPrinter.print(new Call(Call.Fn.EXP, List.of(new Cast(DType.F32, x)))));
        assertEquals("x4(1)", IRPrinter.print(new Broadcast(c(1), 4)));
        assertEquals("ramp(x, 2, 4) + x4(y)", IRPrinter.print(bin(Op.ADD, new Ramp(x, c(2), 4), new Broadcast(y, 4))));
    }

    @Test
    void tensorReadsAndReductions() {
        Var n = Te.shapeVar("n");
        Tensor a = Te.placeholder("A", DType.F32, c(64), n);
        Tensor b = Te.placeholder("B", DType.F32, n, c(32));
        var k = Te.reduceAxis("k", n);
        Var i = Var.index("i"), j = Var.index("j");
        Expr sum = Te.sum(bin(Op.MUL, a.at(i, k.var()), b.at(k.var(), j)), k);
        assertEquals("sum(A(i, k) * B(k, j), axes=[k])", IRPrinter.print(sum));
    }

    @Test
    void sameNamedVariablesAreToldApart() {
        Var x1 = Var.index("x"), x2 = Var.index("x");
        assertEquals("(x + x.1) + x", IRPrinter.print(bin(Op.ADD, bin(Op.ADD, x1, x2), x1)));
        assertEquals("(x + x.1) + x", IRPrinter.print(bin(Op.ADD, bin(Op.ADD, x2, x1), x2)));
    }

    @Test
    void statements() {
        BufferRef buf = new BufferRef("T", DType.F32), in = new BufferRef("A", DType.F32);
        Var i = Var.index("i"), j = Var.index("j"), t = Var.index("t");
        var body = Block.of(
                new LetStmt(t, bin(Op.MUL, i, c(4)),
                        new IfThenElse(bin(Op.LT, t, c(10)),
                                new Store(buf, t, new Load(in, t)),
                                new Store(buf, t, new FloatImm(0, DType.F32)))),
                new For(j, c(0), c(4), LoopKind.VECTORIZED,
                        new Store(buf, new Ramp(j, c(1), 4), new Broadcast(new FloatImm(1, DType.F32), 4),
                                bin(Op.LT, new Ramp(j, c(1), 4), new Broadcast(c(3), 4)))));
        var s = new Allocate(buf, c(64), new For(i, c(0), c(16), LoopKind.UNROLLED, body));
        assertEquals("""
                allocate T[f32 * 64] {
                  unrolled for (i, 0, 16) {
                    let t = i*4
                    if (t < 10) {
                      T[t] = A[t]
                    } else {
                      T[t] = 0f
                    }
                    vectorized for (j, 0, 4) {
                      T[ramp(j, 1, 4)] = x4(1f) if ramp(j, 1, 4) < x4(3)
                    }
                  }
                }
                """, IRPrinter.print(s));
    }

    @Test
    void loweredFunction() {
        Var n = Te.shapeVar("n");
        Tensor a = Te.placeholder("A", DType.F32, c(64), n);
        Tensor b = Te.placeholder("B", DType.F32, n, c(32));
        Tensor cT = Te.placeholder("C", DType.F32, c(64), c(32));
        BufferRef ab = new BufferRef("A", DType.F32), bb = new BufferRef("B", DType.F32), cb = new BufferRef("C", DType.F32);
        Var io = Var.index("i.outer"), j = Var.index("j");
        var body = new For(io, c(0), c(8), LoopKind.PARALLEL, new For(j, c(0), c(32), LoopKind.SERIAL,
                new Store(cb, bin(Op.ADD, bin(Op.MUL, io, c(32)), j), new FloatImm(0, DType.F32))));
        var f = new LoweredFunc("matmul", List.of(
                new LoweredFunc.BufferParam(ab, a, a.shape(), false),
                new LoweredFunc.BufferParam(bb, b, b.shape(), false),
                new LoweredFunc.BufferParam(cb, cT, cT.shape(), true)), List.of(n), body);
        assertEquals("""
                func matmul(A: f32[64, n], B: f32[n, 32], C: f32[64, 32], n: i64) {
                  parallel for (i.outer, 0, 8) {
                    for (j, 0, 32) {
                      C[(i.outer*32) + j] = 0f
                    }
                  }
                }
                """, IRPrinter.print(f));
    }
}
