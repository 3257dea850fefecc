package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.Kernels.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Call;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.Select;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import java.util.ArrayList;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LlvmCompileTest {
    /**
     * An 8-lane elementwise kernel whose body is a chain of 180 let-bound steps (each a few float
     * operations on the two previous steps): about 1k IR instructions. Let bindings keep the
     * expression a chain; written as one nested expression it would be an exponentially large tree.
     */
    static LoweredFunc big() {
        Var n = Var.index("n");
        var a = param("A", DType.F32, false, n);
        var b = param("B", DType.F32, false, n);
        var o = param("O", DType.F32, true, n);
        Var io = Var.index("io");
        Expr idx = ramp(bin(Binary.Op.MUL, io, c(8)), 8);
        DType v8 = DType.F32.withLanes(8);
        List<Var> steps = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr x = new Load(a.buffer(), idx), y = new Load(b.buffer(), idx);
        for (int k = 0; k < 180; k++) {
            Expr ck = bcast(new FloatImm(1 + k * 0.001, DType.F32), 8);
            Expr t = bin(Binary.Op.ADD, bin(Binary.Op.MUL, x, ck), y);
            t = switch (k % 4) {
                case 0 -> bin(Binary.Op.MAX, t, bin(Binary.Op.SUB, y, ck));
                case 1 -> new Select(bin(Binary.Op.LT, t, y), t, bin(Binary.Op.DIV, t, ck));
                case 2 -> new Call(Call.Fn.SQRT, List.of(new Call(Call.Fn.ABS, List.of(t))));
                default -> bin(Binary.Op.MIN, t, bin(Binary.Op.MUL, x, y));
            };
            Var step = new Var("t" + k, v8);
            steps.add(step);
            values.add(t);
            y = x;
            x = step;
        }
        Stmt body = new Store(o.buffer(), idx, x);
        for (int k = steps.size() - 1; k >= 0; k--) body = new LetStmt(steps.get(k), values.get(k), body);
        return new LoweredFunc("big", List.of(a, b, o), List.of(n),
                loop(io, c(0), bin(Binary.Op.DIV, n, c(8)), dev.tessera.schedule.LoopKind.SERIAL, body));
    }

    @Test
    void medianJitCompileTimeOfAThousandInstructionKernel() {
        String ir = BACKEND.source(big(), HOST, false);
        long instructions = ir.lines().filter(l -> l.startsWith("  ") && !l.startsWith("  ;")).count();
        compile(big()); // warm up the JIT and the LLVM classes
        double[] ms = new double[7];
        for (int r = 0; r < ms.length; r++) ms[r] = compile(big()).compileMillis();
        Arrays.sort(ms);
        System.out.printf("JIT compile (codegen + default<O3> + link) of a %d-instruction kernel: median %.1f ms (min %.1f, max %.1f) over %d runs%n",
                instructions, ms[ms.length / 2], ms[0], ms[ms.length - 1], ms.length);
        assertTrue(instructions > 700, "kernel has " + instructions + " instructions");
        LlvmKernel k = compile(big());
        try (var a = HostBuffer.ofFloats(new float[16], 16); var b = HostBuffer.ofFloats(new float[16], 16); var o = HostBuffer.allocate(DType.F32, 16)) {
            k.call(a, b, o);
        }
    }

    @Test
    void theSameComputeScheduleAndTargetCompileOncePerProcess() {
        var op = dev.tessera.ops.Operators.get("add");
        var first = dev.tessera.schedule.Schedule.create(op.build(new long[] {8, 40}).outputs());
        op.applyDefaultSchedule(first);
        // Built again from scratch: a different object graph, the same structure.
        var again = dev.tessera.schedule.Schedule.create(op.build(new long[] {8, 40}).outputs());
        op.applyDefaultSchedule(again);
        long misses = dev.tessera.target.Kernels.cacheMisses(), hits = dev.tessera.target.Kernels.cacheHits();
        CompiledKernel k1 = dev.tessera.target.Kernels.compile(first, "add", HOST);
        CompiledKernel k2 = dev.tessera.target.Kernels.compile(again, "add", HOST);
        assertSame(k1, k2);
        assertEquals(misses + 1, dev.tessera.target.Kernels.cacheMisses());
        assertEquals(hits + 1, dev.tessera.target.Kernels.cacheHits());
        // Another trace, or another shape, is another kernel.
        var other = dev.tessera.schedule.Schedule.create(op.build(new long[] {8, 40}).outputs());
        other.stage("add").parallel("i");
        assertNotSame(k1, dev.tessera.target.Kernels.compile(other, "add", HOST));
        var wider = dev.tessera.schedule.Schedule.create(op.build(new long[] {8, 48}).outputs());
        op.applyDefaultSchedule(wider);
        assertNotSame(k1, dev.tessera.target.Kernels.compile(wider, "add", HOST));
    }

    @Test
    void sameKernelNameCompilesTwiceUnderDistinctSymbols() {
        LlvmKernel a = compile(LlvmBasicTest.vectorAdd()), b = compile(LlvmBasicTest.vectorAdd());
        assertNotEquals(a.symbol(), b.symbol());
        assertNotEquals(a.entryAddress(), b.entryAddress());
    }

    @Test
    void argumentErrorsFromACompiledKernel() {
        LlvmKernel k = compile(LlvmBasicTest.vectorAdd());
        try (var a = HostBuffer.allocate(DType.F32, 10); var b = HostBuffer.allocate(DType.F32, 9); var c = HostBuffer.allocate(DType.F32, 10);
             var d = HostBuffer.allocate(DType.F64, 10)) {
            assertEquals("argument B: expected shape [n=10] (n bound by A), got [9]", assertThrows(TesseraUserError.class, () -> k.call(a, b, c)).getMessage());
            assertEquals("argument C: expected dtype f32, got f64", assertThrows(TesseraUserError.class, () -> k.call(a, c, d)).getMessage());
            assertEquals("kernel vadd takes 3 arguments [A, B, C], got 2", assertThrows(TesseraUserError.class, () -> k.call(a, c)).getMessage());
            assertEquals("arguments A and C are the same buffer; every argument needs its own memory",
                    assertThrows(TesseraUserError.class, () -> k.call(a, c, a)).getMessage());
            c.close();
            assertEquals("argument B: buffer f32[10] is closed", assertThrows(TesseraUserError.class, () -> k.call(a, c, a)).getMessage());
        }
    }

    @Test
    void loweringLeftoversAreInternalErrors() {
        var t = dev.tessera.dsl.Te.placeholder("T", DType.F32, c(4));
        var f = elementwise("bad", List.of(DType.F32), DType.F32, 1, in -> t.at(c(0)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> compile(f));
        assertTrue(e.getMessage().contains("TensorRead of T reached the LLVM backend"), e.getMessage());
    }
}
