package dev.tessera.target;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Binary;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.LoweredFunc.BufferParam;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArgumentCheckTest {
    /** A kernel that records what it was called with instead of running native code. */
    static final class RecordingKernel extends CompiledKernel {
        long[] shapes;
        RecordingKernel(LoweredFunc f) { super(f); }
        @Override protected void invoke(MemorySegment[] buffers, long[] shapeValues) { shapes = shapeValues; }
    }

    static BufferParam param(String name, DType t, boolean out, Expr... shape) {
        Tensor tensor = Te.placeholder(name, t, shape);
        return new BufferParam(new BufferRef(name, t), tensor, tensor.shape(), out);
    }

    /** A(64, n) f32, B(64, n) f32 -> C(n + 1) i32. */
    static RecordingKernel kernel() {
        Var n = Var.index("n");
        return new RecordingKernel(new LoweredFunc("k",
                List.of(param("A", DType.F32, false, IntImm.i64(64), n), param("B", DType.F32, false, IntImm.i64(64), n),
                        param("C", DType.I32, true, new Binary(Binary.Op.ADD, n, IntImm.i64(1)))),
                List.of(n), Block.of(List.of())));
    }

    private static String error(Runnable r) {
        return assertThrows(TesseraUserError.class, r::run).getMessage();
    }

    @Test
    void goodArgumentsBindShapeParameters() {
        RecordingKernel k = kernel();
        try (var a = HostBuffer.allocate(DType.F32, 64, 32); var b = HostBuffer.allocate(DType.F32, 64, 32); var c = HostBuffer.allocate(DType.I32, 33)) {
            k.call(a, b, c);
            assertArrayEquals(new long[] {32}, k.shapes);
        }
    }

    @Test
    void wrongCount() {
        try (var a = HostBuffer.allocate(DType.F32, 64, 32)) {
            assertEquals("kernel k takes 3 arguments [A, B, C], got 1", error(() -> kernel().call(a)));
        }
    }

    @Test
    void wrongDtypeAndRank() {
        try (var a = HostBuffer.allocate(DType.F64, 64, 32); var a2 = HostBuffer.allocate(DType.F32, 64);
             var b = HostBuffer.allocate(DType.F32, 64, 32); var c = HostBuffer.allocate(DType.I32, 33)) {
            assertEquals("argument A: expected dtype f32, got f64", error(() -> kernel().call(a, b, c)));
            assertEquals("argument A: expected rank 2 (shape [64, n]), got rank 1 (shape [64])", error(() -> kernel().call(a2, b, c)));
        }
    }

    @Test
    void wrongShapeWithSymbolicDimension() {
        try (var a = HostBuffer.allocate(DType.F32, 64, 32); var b = HostBuffer.allocate(DType.F32, 64, 31); var c = HostBuffer.allocate(DType.I32, 33);
             var b2 = HostBuffer.allocate(DType.F32, 64, 32); var c2 = HostBuffer.allocate(DType.I32, 32)) {
            assertEquals("argument B: expected shape [64, n=32] (n bound by A dimension 1), got [64, 31]", error(() -> kernel().call(a, b, c)));
            assertEquals("argument C: expected shape [(n + 1)=33] (n bound by A dimension 1), got [32]", error(() -> kernel().call(a, b2, c2)));
        }
    }

    @Test
    void sameBufferTwiceAndClosedBuffer() {
        try (var a = HostBuffer.allocate(DType.F32, 64, 32); var c = HostBuffer.allocate(DType.I32, 33)) {
            assertEquals("arguments A and B are the same buffer; every argument needs its own memory", error(() -> kernel().call(a, a, c)));
            var b = HostBuffer.allocate(DType.F32, 64, 32);
            b.close();
            assertEquals("argument B: buffer f32[64, 32] is closed", error(() -> kernel().call(a, b, c)));
            assertTrue(error(() -> b.toFloats()).contains("is closed"));
        }
    }

    @Test
    void hostBufferConvertsToItsDtype() {
        try (var h = HostBuffer.of(DType.F16, new double[] {1.0 / 3, 70000, -2.5}, 3);
             var bf = HostBuffer.of(DType.BF16, new double[] {1.00390625, 3}, 2);
             var i8 = HostBuffer.of(DType.I8, new double[] {300, -300, 3.9, Double.NaN}, 4);
             var bool = HostBuffer.of(DType.BOOL, new double[] {0, 2, -1}, 3)) {
            assertArrayEquals(new double[] {0.333251953125, Double.POSITIVE_INFINITY, -2.5}, h.toDoubles());
            assertArrayEquals(new double[] {1.0, 3}, bf.toDoubles());
            assertArrayEquals(new double[] {127, -128, 3, 0}, i8.toDoubles());
            assertArrayEquals(new double[] {0, 1, 1}, bool.toDoubles());
            assertEquals(0, h.segment().address() % 64);
        }
        assertEquals("shape [2, 2] holds 4 elements, got 3 values", error(() -> HostBuffer.of(DType.F32, new double[3], 2, 2)));
    }
}
