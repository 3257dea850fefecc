package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.Binary;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.LoweredFunc.BufferParam;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import dev.tessera.target.HostBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlvmMemoryTest {
    private static final long FAR = 1L << 40; // an index this far out of range would fault if it were read

    /** out[i] = i >= 1 ? A[i - 1] : 7, where the untaken read for i == 0 is at A[-1 - 2^40]. */
    @Test
    void scalarSelectReadsOnlyTheChosenSide() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F32, false, n), o = param("O", DType.F32, true, n);
        Var i = Var.index("i");
        Expr far = bin(Binary.Op.SUB, bin(Binary.Op.SUB, i, c(1)), new Select(bin(Binary.Op.LT, i, c(1)), c(FAR), c(0)));
        Expr v = new Select(bin(Binary.Op.GE, i, c(1)), new Load(a.buffer(), far), new FloatImm(7, DType.F32));
        LlvmKernel k = compile(new LoweredFunc("pad1", List.of(a, o), List.of(n), loop(i, c(0), n, LoopKind.SERIAL, new Store(o.buffer(), i, v))));
        float[] x = {1, 2, 3, 4, 5};
        try (HostBuffer in = HostBuffer.ofFloats(x, 5); HostBuffer out = HostBuffer.allocate(DType.F32, 5)) {
            k.call(in, out);
            assertArrayEquals(new float[] {7, 1, 2, 3, 4}, out.toFloats());
        }
    }

    /** The same with 8-lane vectors: the true side becomes a masked gather, a dense side a masked load. */
    @Test
    void vectorSelectMasksLoadsOnEachSide() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F32, false, n), o = param("O", DType.F32, true, n);
        Var io = Var.index("io");
        Expr idx = ramp(bin(Binary.Op.MUL, io, c(8)), 8);
        Expr cond = bin(Binary.Op.GE, idx, bcast(c(1), 8));
        Expr shifted = bin(Binary.Op.SUB, idx, bcast(c(1), 8));
        Expr farIdx = bin(Binary.Op.SUB, shifted, new Select(bin(Binary.Op.LT, idx, bcast(c(1), 8)), bcast(c(FAR), 8), bcast(c(0), 8)));
        // true side: gather A[i - 1 - far*(i<1)]; false side: dense A[8*io - 1 + lane] only for lane 0 of io 0 -> here reads a
        // constant instead, plus a dense masked load of A at the same ramp shifted by -1 (lane 0 at A[-1] never read).
        Expr dense = new Load(a.buffer(), new dev.tessera.ir.Ramp(bin(Binary.Op.SUB, bin(Binary.Op.MUL, io, c(8)), c(1)), c(1), 8));
        Expr trueSide = bin(Binary.Op.ADD, new Load(a.buffer(), farIdx), dense);
        Expr v = new Select(cond, trueSide, bcast(new FloatImm(-1, DType.F32), 8));
        var body = loop(io, c(0), bin(Binary.Op.DIV, n, c(8)), LoopKind.SERIAL, new Store(o.buffer(), idx, v));
        LlvmKernel k = compile(new LoweredFunc("pad8", List.of(a, o), List.of(n), body));
        int len = 24;
        float[] x = new float[len];
        for (int q = 0; q < len; q++) x[q] = q * 10;
        try (HostBuffer in = HostBuffer.ofFloats(x, len); HostBuffer out = HostBuffer.allocate(DType.F32, len)) {
            k.call(in, out);
            float[] r = out.toFloats();
            assertEquals(-1, r[0]);
            for (int q = 1; q < len; q++) assertEquals(2 * x[q - 1], r[q], "lane " + q);
        }
        String ir = BACKEND.source(new LoweredFunc("pad8", List.of(a, o), List.of(n), body), HOST, false);
        assertTrue(ir.contains("@llvm.masked.gather.v8f32.v8p0"), ir);
        assertTrue(ir.contains("@llvm.masked.load.v8f32.p0"), ir);
    }

    /** out[Q[i]] = A[P[i]], 8 lanes: a gather and a scatter. */
    @Test
    void gatherAndScatter() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F64, false, n), p = param("P", DType.I64, false, n), q = param("Q", DType.I64, false, n),
                o = param("O", DType.F64, true, n);
        Var io = Var.index("io");
        Expr idx = ramp(bin(Binary.Op.MUL, io, c(8)), 8);
        var body = loop(io, c(0), bin(Binary.Op.DIV, n, c(8)), LoopKind.SERIAL,
                new Store(o.buffer(), new Load(q.buffer(), idx), new Load(a.buffer(), new Load(p.buffer(), idx))));
        LlvmKernel k = compile(new LoweredFunc("gs", List.of(a, p, q, o), List.of(n), body));
        int len = 32;
        double[] x = new double[len];
        long[] pp = new long[len], qq = new long[len];
        for (int i = 0; i < len; i++) { x[i] = i * 1.5; pp[i] = (i * 7) % len; qq[i] = (i * 13 + 5) % len; }
        try (HostBuffer ab = HostBuffer.of(DType.F64, x, len); HostBuffer pb = HostBuffer.ofLongs(DType.I64, pp, len);
             HostBuffer qb = HostBuffer.ofLongs(DType.I64, qq, len); HostBuffer ob = HostBuffer.allocate(DType.F64, len)) {
            k.call(ab, pb, qb, ob);
            for (int i = 0; i < len; i++) assertEquals(x[(int) pp[i]], ob.get(qq[i]), "i=" + i);
        }
    }

    /** A stack scratch of 16 floats per row (reversed copy) and a heap scratch of a symbolic size. */
    @Test
    void stackAndHeapAllocations() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F32, false, n, c(16)), o = param("O", DType.F32, true, n, c(16)), s = param("S", DType.F32, true, c(1));
        BufferRef small = new BufferRef("small", DType.F32), big = new BufferRef("big", DType.F32);
        Var i = Var.index("i"), j = Var.index("j"), j2 = Var.index("j2"), t = Var.index("t");
        Expr row = bin(Binary.Op.MUL, i, c(16));
        var perRow = new Allocate(small, c(16), Block.of(
                loop(j, c(0), c(16), LoopKind.SERIAL, new Store(small, j, new Load(a.buffer(), bin(Binary.Op.ADD, row, j)))),
                loop(j2, c(0), c(16), LoopKind.SERIAL, new Store(o.buffer(), bin(Binary.Op.ADD, row, j2),
                        new Load(small, bin(Binary.Op.SUB, c(15), j2))))));
        // big[t] = O[t] * 2 for t < 16n, then S[0] = sum of big (heap: size is symbolic)
        Expr total = bin(Binary.Op.MUL, n, c(16));
        var heap = new Allocate(big, total, Block.of(
                loop(t, c(0), total, LoopKind.SERIAL, new Store(big, t, bin(Binary.Op.MUL, new Load(o.buffer(), t), new FloatImm(2, DType.F32)))),
                new Store(s.buffer(), c(0), new FloatImm(0, DType.F32)),
                loop(j, c(0), total, LoopKind.SERIAL, new Store(s.buffer(), c(0), bin(Binary.Op.ADD, new Load(s.buffer(), c(0)), new Load(big, j))))));
        // and a constant-size allocation above 64 KiB, also on the heap
        BufferRef huge = new BufferRef("huge", DType.F64);
        var hugeAlloc = new Allocate(huge, c(20000), Block.of(
                new Store(huge, c(19999), new dev.tessera.ir.Cast(DType.F64, new Load(s.buffer(), c(0)))),
                new Store(s.buffer(), c(0), new dev.tessera.ir.Cast(DType.F32, bin(Binary.Op.ADD, new Load(huge, c(19999)), new FloatImm(1, DType.F64))))));
        LoweredFunc f = new LoweredFunc("alloc", List.of(a, o, s), List.of(n),
                Block.of(loop(i, c(0), n, LoopKind.SERIAL, perRow), heap, hugeAlloc));
        String ir = BACKEND.source(f, HOST, false);
        assertTrue(ir.contains("alloca [16 x float], align 64"), ir);
        assertTrue(ir.contains("call ptr @aligned_alloc(i64 64"), ir);
        assertTrue(ir.contains("call void @free("), ir);
        LlvmKernel k = compile(f);
        int rows = 3;
        float[] x = new float[rows * 16];
        for (int q = 0; q < x.length; q++) x[q] = q;
        try (HostBuffer ab = HostBuffer.ofFloats(x, rows, 16); HostBuffer ob = HostBuffer.allocate(DType.F32, rows, 16); HostBuffer sb = HostBuffer.allocate(DType.F32, 1)) {
            k.call(ab, ob, sb);
            float[] r = ob.toFloats();
            double sum = 0;
            for (int q = 0; q < x.length; q++) {
                assertEquals(x[(q / 16) * 16 + 15 - q % 16], r[q]);
                sum += 2 * r[q];
            }
            assertEquals(sum + 1, sb.get(0), 1e-3);
        }
    }

    /**
     * O[16io .. 16io+7] = gather(A, 3*(8io+lane)); O[16io+8 ..] = 2 * the same gather, in a
     * parallel loop. The store between the two gathers is to another buffer, which each access's
     * alias scope says: the optimized kernel gathers once per iteration, not twice. (The parallel
     * body's noalias parameters alone do not say it once the body is inlined: LLVM turns them into
     * scopes on loads and stores, not on gathers.)
     */
    @Test
    void aGatherIsReusedAcrossAStoreToAnotherBuffer() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F32, false, n, c(24)), o = param("O", DType.F32, true, n, c(16));
        Var io = Var.index("io");
        Expr strided = new dev.tessera.ir.Ramp(bin(Binary.Op.MUL, io, c(24)), c(3), 8);
        Expr out = bin(Binary.Op.MUL, io, c(16));
        var body = loop(io, c(0), n, LoopKind.PARALLEL, Block.of(
                new Store(o.buffer(), ramp(out, 8), new Load(a.buffer(), strided)),
                new Store(o.buffer(), ramp(bin(Binary.Op.ADD, out, c(8)), 8),
                        bin(Binary.Op.MUL, new Load(a.buffer(), strided), bcast(new FloatImm(2, DType.F32), 8)))));
        LoweredFunc f = new LoweredFunc("gather_twice", List.of(a, o), List.of(n), body);
        String unoptimized = BACKEND.source(f, HOST, false), optimized = BACKEND.source(f, HOST, true);
        assertEquals(2, count(unoptimized, "call <8 x float> @llvm.masked.gather"), unoptimized);
        // LLVM unrolls the loop: one gather for every two stores.
        int gathers = count(optimized, "call <8 x float> @llvm.masked.gather"), stores = count(optimized, "store <8 x float>");
        assertTrue(gathers > 0, optimized);
        assertEquals(stores, 2 * gathers, optimized);
        assertTrue(unoptimized.contains("!alias.scope") && unoptimized.contains("!noalias"), unoptimized);
        int rows = 3;
        float[] x = new float[rows * 24];
        for (int q = 0; q < x.length; q++) x[q] = q;
        try (HostBuffer ab = HostBuffer.ofFloats(x, rows, 24); HostBuffer ob = HostBuffer.allocate(DType.F32, rows, 16)) {
            compile(f).call(ab, ob);
            float[] r = ob.toFloats();
            for (int row = 0; row < rows; row++)
                for (int lane = 0; lane < 8; lane++) {
                    assertEquals(x[row * 24 + 3 * lane], r[row * 16 + lane]);
                    assertEquals(2 * x[row * 24 + 3 * lane], r[row * 16 + 8 + lane]);
                }
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) n++;
        return n;
    }
}
