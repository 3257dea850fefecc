package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.Binary;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.LoweredFunc.BufferParam;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import dev.tessera.target.Backend;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlvmBasicTest {
    /** C[i] = A[i] + B[i], 8 lanes a step, the tail masked by a predicate {@code ramp < n}. */
    static LoweredFunc vectorAdd() {
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F32, false, n), b = param("B", DType.F32, false, n), cOut = param("C", DType.F32, true, n);
        Var io = Var.index("io");
        Expr idx = ramp(bin(Binary.Op.MUL, io, c(8)), 8);
        Expr pred = bin(Binary.Op.LT, idx, bcast(n, 8));
        Expr sum = bin(Binary.Op.ADD, new Load(a.buffer(), idx, pred), new Load(b.buffer(), idx, pred));
        var body = loop(io, c(0), bin(Binary.Op.DIV, bin(Binary.Op.ADD, n, c(7)), c(8)), LoopKind.SERIAL,
                new Store(cOut.buffer(), idx, sum, pred));
        return new LoweredFunc("vadd", List.of(a, b, cOut), List.of(n), body);
    }

    @Test
    void vectorAddWithMaskedTail() {
        LlvmKernel k = compile(vectorAdd());
        for (int n : new int[] {0, 1, 8, 37, 1000}) {
            float[] x = new float[n], y = new float[n];
            for (int i = 0; i < n; i++) { x[i] = i * 0.5f; y[i] = 3 - i; }
            try (HostBuffer a = HostBuffer.ofFloats(x, n); HostBuffer b = HostBuffer.ofFloats(y, n); HostBuffer out = HostBuffer.allocate(DType.F32, n)) {
                k.call(a, b, out);
                float[] r = out.toFloats();
                for (int i = 0; i < n; i++) assertEquals(x[i] + y[i], r[i], "n=" + n + " i=" + i);
            }
        }
    }

    @Test
    void scalarReductionLoop() {
        // out[0] = 0; for i < n: out[0] = out[0] + in[i] * in[i]
        Var n = Var.index("n");
        BufferParam in = param("X", DType.F64, false, n), out = param("S", DType.F64, true, c(1));
        Var i = Var.index("i");
        Expr acc = new Load(out.buffer(), c(0));
        Expr x = new Load(in.buffer(), i);
        var body = Block.of(
                new Store(out.buffer(), c(0), new FloatImm(0, DType.F64)),
                loop(i, c(0), n, LoopKind.SERIAL, new Store(out.buffer(), c(0), bin(Binary.Op.ADD, acc, bin(Binary.Op.MUL, x, x)))));
        LlvmKernel k = compile(new LoweredFunc("sumsq", List.of(in, out), List.of(n), body));
        int len = 1001;
        double[] xs = new double[len];
        double want = 0;
        for (int j = 0; j < len; j++) { xs[j] = Math.sin(j); want += xs[j] * xs[j]; }
        try (HostBuffer a = HostBuffer.of(DType.F64, xs, len); HostBuffer s = HostBuffer.allocate(DType.F64, 1)) {
            k.call(a, s);
            assertEquals(want, s.get(0), 1e-9 * want);
        }
    }

    @Test
    void letBindingAndSymbolicShapeFromSecondDimension() {
        // out[i, j] = in[i, j] * 2 + i with shape [4, m]; m bound from dimension 1 of "in".
        Var m = Var.index("m");
        BufferParam in = param("In", DType.I32, false, c(4), m), out = param("Out", DType.I32, true, c(4), m);
        Var i = Var.index("i"), j = Var.index("j"), row = Var.index("row");
        Expr flat = bin(Binary.Op.ADD, row, j);
        Expr v = bin(Binary.Op.ADD, bin(Binary.Op.MUL, new Load(in.buffer(), flat), new dev.tessera.ir.IntImm(2, DType.I32)),
                new dev.tessera.ir.Cast(DType.I32, i));
        var body = loop(i, c(0), c(4), LoopKind.SERIAL,
                new LetStmt(row, bin(Binary.Op.MUL, i, m), loop(j, c(0), m, LoopKind.UNROLLED, new Store(out.buffer(), flat, v))));
        LlvmKernel k = compile(new LoweredFunc("let2d", List.of(in, out), List.of(m), body));
        double[] xs = new double[4 * 5];
        for (int q = 0; q < xs.length; q++) xs[q] = q - 7;
        try (HostBuffer a = HostBuffer.of(DType.I32, xs, 4, 5); HostBuffer o = HostBuffer.allocate(DType.I32, 4, 5)) {
            k.call(a, o);
            double[] r = o.toDoubles();
            for (int q = 0; q < xs.length; q++) assertEquals(xs[q] * 2 + q / 5, r[q]);
        }
    }

    @Test
    void sourceShowsCallingConventionAndVectorCode() {
        String raw = BACKEND.source(vectorAdd(), HOST, false);
        assertTrue(raw.contains("define void @vadd(ptr noalias align 64"), raw);
        assertTrue(raw.contains("define void @vadd_packed(ptr"), raw);
        assertTrue(raw.contains("@llvm.masked.load.v8f32.p0"), raw);
        assertTrue(raw.contains("@llvm.masked.store.v8f32.p0"), raw);
        String opt = BACKEND.source(vectorAdd(), HOST, true);
        assertTrue(opt.contains("define void @vadd("), opt);
        assertFalse(opt.contains("alloca"), opt);
    }

    @Test
    void backendIsFoundThroughServiceLoader() {
        Backend b = Backend.byName("llvm");
        assertInstanceOf(LlvmBackend.class, b);
        Target host = Target.host();
        assertEquals("llvm", host.kind());
        assertFalse(host.cpu().isEmpty());
        assertTrue(host.vectorBits() >= 128);
        System.out.println("host target: " + host.cpu() + ", " + host.vectorBits() + "-bit vectors, " + host.cores() + " cores");
    }
}
