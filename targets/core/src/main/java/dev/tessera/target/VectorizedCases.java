package dev.tessera.target;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * GPU kernels whose threads each compute a vector of neighbouring elements, one per kind of vector
 * code: elementwise arithmetic of every dtype at 2, 4, 8 and 16 lanes (dense loads and stores),
 * and the accesses that cannot be one aligned vector: a tail of predicated lanes, a load at an
 * offset, a transposed read (a gather), loads in the branches of a vector select, a scalar
 * broadcast to every lane, a reduction updating a vector of outputs. The GPU backends' tests print,
 * compile and run them against the reference interpreter ({@link ReferenceCheck}); a symbolic
 * dimension {@code n} takes the leading size.
 */
public final class VectorizedCases {
    private VectorizedCases() {}

    /** One kernel: its name, inputs, outputs and GPU schedule. */
    public record Case(String name, List<Tensor> inputs, List<Tensor> outputs, Schedule schedule) {
        @Override public String toString() { return name; }
    }

    /** Every case. */
    public static List<Case> all() {
        List<Case> out = new ArrayList<>();
        for (int lanes : new int[] {2, 4, 8, 16}) out.add(elementwise(DType.F32, lanes));
        for (DType t : new DType[] {DType.F64, DType.F16, DType.BF16, DType.I8, DType.U8, DType.I32, DType.I64, DType.BOOL})
            for (int lanes : new int[] {4, 16}) out.add(elementwise(t, lanes));
        out.add(tail());
        out.add(offset());
        out.add(transposed());
        out.add(selectOfLoads());
        out.add(broadcastRow());
        out.add(columnSums());
        return out;
    }

    /** One thread per {@code lanes} neighbours along the last dimension, vectorized; 16 threads per block. */
    private static Schedule vectorPerThread(Tensor out, int lanes) {
        Schedule s = Schedule.create(out);
        Stage st = s.stage(out);
        String last = st.leafAxes().get(out.rank() - 1).name();
        Stage.Parts p = st.split(last, lanes);
        if (out.rank() == 1) {
            st.gpuTile(p.outer().name(), 16);
        } else {
            st.gpuTile(st.leafAxes().get(0).name(), p.outer().name(), 2, 8);
        }
        st.vectorize(p.inner());
        return s;
    }

    /** {@code out = f(x, y)} on 256 elements of {@code t}: arithmetic with Tessera's semantics in every lane. */
    public static Case elementwise(DType t, int lanes) {
        Tensor x = Te.placeholder("x", t, 256), y = Te.placeholder("y", t, 256);
        BiFunction<Expr, Expr, Expr> f;
        if (t.isFloat()) f = (a, b) -> Te.select(a.gt(b), a.mul(2).sub(b), Te.max(a, b).add(b.div(3)).add(a.mod(b.add(2))));
        else if (t.isBool()) f = (a, b) -> Te.or(Te.and(a, Te.not(b)), Te.eq(Te.cast(DType.I8, a), Te.cast(DType.I8, b)));
        else f = (a, b) -> a.mul(3).add(b).div(Te.constant(t, 2)).sub(a.mod(Te.constant(t, 3))).add(Te.max(a, b));
        Tensor out = Te.compute("ew", List.of(Te.c(256)), List.of("i"), v -> f.apply(x.at(v.get(0)), y.at(v.get(0))));
        return new Case("elementwise_" + t + "x" + lanes, List.of(x, y), List.of(out), vectorPerThread(out, lanes));
    }

    /** A symbolic length: the last vector's lanes past the end are predicated off. */
    public static Case tail() {
        Var n = Te.shapeVar("n");
        Tensor x = Te.placeholder("x", DType.F32, n);
        Tensor out = Te.compute("tail", List.of(n), List.of("i"), v -> x.at(v.get(0)).mul(x.at(v.get(0))).sub(1));
        return new Case("tail", List.of(x), List.of(out), vectorPerThread(out, 4));
    }

    /** {@code out[i] = x[i + 1] - x[i]}: one load is aligned to the vector, the other one element off. */
    public static Case offset() {
        Tensor x = Te.placeholder("x", DType.F32, 257);
        Tensor out = Te.compute("offset", List.of(Te.c(256)), List.of("i"), v -> x.at(v.get(0).add(1)).sub(x.at(v.get(0))));
        return new Case("offset", List.of(x), List.of(out), vectorPerThread(out, 4));
    }

    /** {@code out[i, j] = x[j, i]}: the vector reads a column (a gather) and writes a row. */
    public static Case transposed() {
        Tensor x = Te.placeholder("x", DType.F32, 32, 24);
        Tensor out = Te.compute("transposed", List.of(Te.c(24), Te.c(32)), List.of("i", "j"), v -> x.at(v.get(1), v.get(0)));
        return new Case("transposed", List.of(x), List.of(out), vectorPerThread(out, 4));
    }

    /** {@code out[i] = i % 3 == 0 ? a[i] : b[i]}: each side is read only in the lanes that choose it. */
    public static Case selectOfLoads() {
        Tensor a = Te.placeholder("a", DType.F32, 128), b = Te.placeholder("b", DType.F32, 128);
        Tensor out = Te.compute("chosen", List.of(Te.c(128)), List.of("i"),
                v -> Te.select(Te.eq(v.get(0).mod(3), Te.c(0)), a.at(v.get(0)), b.at(v.get(0)).neg()));
        return new Case("select_of_loads", List.of(a, b), List.of(out), vectorPerThread(out, 8));
    }

    /** {@code out[i, j] = x[i, j] * s[i]}: the scale is one load, broadcast to every lane. */
    public static Case broadcastRow() {
        Var n = Te.shapeVar("n");
        Tensor x = Te.placeholder("x", DType.F32, n, Te.c(64)), s = Te.placeholder("s", DType.F32, n);
        Tensor out = Te.compute("scaled", List.of(n, Te.c(64)), List.of("i", "j"), v -> x.at(v.get(0), v.get(1)).mul(s.at(v.get(0))));
        return new Case("broadcast_row", List.of(x, s), List.of(out), vectorPerThread(out, 4));
    }

    /** {@code out[j] = sum_k x[k, j]} with the vector inside the reduction loop: every step updates four sums. */
    public static Case columnSums() {
        Tensor x = Te.placeholder("x", DType.F32, 20, 64);
        Axis k = Te.reduceAxis("k", 20);
        Tensor out = Te.compute("colsum", List.of(Te.c(64)), List.of("j"), v -> Te.sum(x.at(k.var(), v.get(0)), k));
        Schedule s = Schedule.create(out);
        Stage st = s.stage(out);
        Stage.Parts p = st.split("j", 4);
        st.gpuTile(p.outer().name(), 16);
        st.reorder(st.leafAxes().stream().filter(a -> a.isReduce()).findFirst().orElseThrow(), p.inner());
        st.vectorize(p.inner());
        return new Case("column_sums", List.of(x), List.of(out), s);
    }

    /**
     * A kernel written as device IR, for what lowering rarely leaves (it substitutes vector lets
     * whose values are ramps and broadcasts): vector lets of f32 and bool, a strided store (a
     * scatter) and a vector cast to f16. One block of two threads; thread {@code t} computes
     * {@code v = 2 A[4t .. 4t+3]}, stores {@code C[t + 2k] = v[k] > 3 ? -1 : v[k]} and
     * {@code D[4t + k] = f16(v[k])}. Buffers: A (8 f32), C (8 f32), D (8 f16).
     */
    public static DeviceProgram vectorLets() {
        BufferRef a = new BufferRef("A", DType.F32), c = new BufferRef("C", DType.F32), d = new BufferRef("D", DType.F16);
        Var t = Var.index("t");
        Var v = new Var("v", DType.F32.withLanes(4)), m = new Var("m", DType.BOOL.withLanes(4));
        Expr dense = new Ramp(new Binary(Binary.Op.MUL, t, Te.c(4)), Te.c(1), 4);
        Stmt body = new LetStmt(v, new Binary(Binary.Op.MUL, new Load(a, dense), new Broadcast(Te.f32(2), 4)),
                new LetStmt(m, new Binary(Binary.Op.GT, v, new Broadcast(Te.f32(3), 4)), Block.of(
                        new Store(c, new Ramp(t, Te.c(2), 4), new Select(new Not(m), v, new Broadcast(Te.f32(-1), 4))),
                        new Store(d, dense, new Cast(DType.F16.withLanes(4), v)))));
        List<Expr> one = List.of(Te.c(1), Te.c(1), Te.c(1));
        GpuKernel k = new GpuKernel("vector_lets", List.of(a, c, d), List.of(), one, List.of(2L, 1L, 1L), List.of(),
                new For(t, Te.c(0), Te.c(2), LoopKind.THREAD_X, body));
        return new DeviceProgram(new LoweredFunc("vector_lets", List.of(), List.of(), body), new HostStep.Launch(k), List.of(k));
    }
}
