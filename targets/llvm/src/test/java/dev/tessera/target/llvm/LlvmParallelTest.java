package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.ir.Binary;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.LoweredFunc.BufferParam;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import dev.tessera.target.HostBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LlvmParallelTest {
    @BeforeAll static void fourThreads() { ParallelRuntime.setThreads(4); }
    @AfterAll static void defaultThreads() { ParallelRuntime.setThreads(ParallelRuntime.defaultThreads()); }

    /** O[i, j] = A[i, j] * scale + i, rows in parallel (the let-bound scale and row base cross into the closure). */
    static LoweredFunc rows(LoopKind outer, LoopKind inner) {
        Var n = Var.index("n"), m = Var.index("m");
        BufferParam a = param("A", DType.F32, false, n, m), o = param("O", DType.F32, true, n, m);
        Var i = Var.index("i"), j = Var.index("j"), scale = new Var("scale", DType.F32), base = Var.index("base");
        Expr at = bin(Binary.Op.ADD, base, j);
        Expr v = bin(Binary.Op.ADD, bin(Binary.Op.MUL, new Load(a.buffer(), at), scale), new Cast(DType.F32, i));
        var body = new LetStmt(scale, new FloatImm(3, DType.F32),
                loop(i, c(0), n, outer, new LetStmt(base, bin(Binary.Op.MUL, i, m),
                        loop(j, c(0), m, inner, new Store(o.buffer(), at, v)))));
        return new LoweredFunc("rows", List.of(a, o), List.of(n, m), body);
    }

    private static void checkRows(LlvmKernel k, int n, int m) {
        float[] x = new float[n * m];
        for (int q = 0; q < x.length; q++) x[q] = q % 97 - 40;
        try (HostBuffer a = HostBuffer.ofFloats(x, n, m); HostBuffer o = HostBuffer.allocate(DType.F32, n, m)) {
            k.call(a, o);
            float[] r = o.toFloats();
            for (int q = 0; q < x.length; q++) assertEquals(x[q] * 3 + q / m, r[q], "element " + q);
        }
    }

    @Test
    void parallelOuterLoop() {
        LlvmKernel k = compile(rows(LoopKind.PARALLEL, LoopKind.SERIAL));
        checkRows(k, 37, 19);
        checkRows(k, 1, 5);
        checkRows(k, 0, 5);
        checkRows(k, 1000, 64);
        String ir = BACKEND.source(rows(LoopKind.PARALLEL, LoopKind.SERIAL), HOST, false);
        assertTrue(ir.contains("define internal void @rows_par0(i64 %0, i64 %1, ptr %2)"), ir);
        assertTrue(ir.contains("call void @tessera_parallel_for(ptr @rows_par0"), ir);
    }

    @Test
    void nestedParallelLoops() {
        LlvmKernel k = compile(rows(LoopKind.PARALLEL, LoopKind.PARALLEL));
        checkRows(k, 13, 50);
        checkRows(k, 64, 3);
    }

    @Test
    void parallelBodyWithPerThreadStackScratchAndConcurrentCallers() throws Exception {
        // O[i] = sum_k (A[i] + k) for k < 8, staged through an 8-element scratch inside the parallel body.
        Var n = Var.index("n");
        BufferParam a = param("A", DType.F64, false, n), o = param("O", DType.F64, true, n);
        BufferRef tmp = new BufferRef("tmp", DType.F64);
        Var i = Var.index("i"), kk = Var.index("k"), k2 = Var.index("k2");
        var body = loop(i, c(0), n, LoopKind.PARALLEL, new Allocate(tmp, c(8), Block.of(
                loop(kk, c(0), c(8), LoopKind.SERIAL, new Store(tmp, kk, bin(Binary.Op.ADD, new Load(a.buffer(), i), new Cast(DType.F64, kk)))),
                new Store(o.buffer(), i, new FloatImm(0, DType.F64)),
                loop(k2, c(0), c(8), LoopKind.SERIAL, new Store(o.buffer(), i, bin(Binary.Op.ADD, new Load(o.buffer(), i), new Load(tmp, k2)))))));
        LlvmKernel k = compile(new LoweredFunc("scratch", List.of(a, o), List.of(n), body));
        Runnable check = () -> {
            int len = 5000;
            double[] x = new double[len];
            for (int q = 0; q < len; q++) x[q] = q * 0.25;
            try (HostBuffer ab = HostBuffer.of(DType.F64, x, len); HostBuffer ob = HostBuffer.allocate(DType.F64, len)) {
                for (int rep = 0; rep < 20; rep++) {
                    k.call(ab, ob);
                    for (int q = 0; q < len; q++) assertEquals(8 * x[q] + 28, ob.get(q));
                }
            }
        };
        Thread[] ts = new Thread[3];
        Throwable[] err = new Throwable[1];
        for (int t = 0; t < ts.length; t++) {
            ts[t] = new Thread(() -> { try { check.run(); } catch (Throwable e) { err[0] = e; } });
            ts[t].start();
        }
        check.run();
        for (Thread t : ts) t.join();
        if (err[0] != null) throw new AssertionError(err[0]);
    }

    @Test
    void threadCountIsConfigurable() {
        ParallelRuntime.setThreads(3);
        assertEquals(3, ParallelRuntime.threads());
        checkRows(compile(rows(LoopKind.PARALLEL, LoopKind.SERIAL)), 10, 10);
        ParallelRuntime.setThreads(1);
        checkRows(compile(rows(LoopKind.PARALLEL, LoopKind.SERIAL)), 10, 10);
        ParallelRuntime.setThreads(4);
    }
}
