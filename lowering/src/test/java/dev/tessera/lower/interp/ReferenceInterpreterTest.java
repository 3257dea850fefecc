package dev.tessera.lower.interp;

import dev.tessera.ir.ScalarMath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Reducer;
import dev.tessera.ir.Var;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferenceInterpreterTest {

    private static TensorValue run1(Tensor out, Map<Tensor, TensorValue> inputs) {
        return ReferenceInterpreter.run(List.of(out), inputs).get(out);
    }

    private static double[] vec(double... v) { return v; }

    @Test
    void integerDivisionAndModuloFloorAndDivisionByZeroIsZero() {
        Tensor a = Te.placeholder("A", DType.I32, 6);
        Tensor b = Te.placeholder("B", DType.I32, 6);
        Tensor q = Te.compute("q", Te.c(6), i -> a.at(i).div(b.at(i)));
        Tensor r = Te.compute("r", Te.c(6), i -> a.at(i).mod(b.at(i)));
        Map<Tensor, TensorValue> in = Map.of(
                a, TensorValue.of(DType.I32, vec(-7, 7, -7, 7, 5, -2147483648.0), 6),
                b, TensorValue.of(DType.I32, vec(2, -2, -2, 2, 0, -1), 6));
        var out = ReferenceInterpreter.run(List.of(q, r), in);
        assertArrayEquals(vec(-4, -4, 3, 3, 0, -2147483648.0), out.get(q).data()); // MIN / -1 wraps
        assertArrayEquals(vec(1, -1, -1, 1, 0, 0), out.get(r).data());
    }

    @Test
    void integerArithmeticWrapsToItsWidth() {
        Tensor a = Te.placeholder("A", DType.I8, 2);
        Tensor u = Te.placeholder("U", DType.U8, 2);
        Tensor s = Te.compute("s", Te.c(2), i -> a.at(i).add(Te.constant(DType.I8, 1)));
        Tensor d = Te.compute("d", Te.c(2), i -> u.at(i).sub(Te.constant(DType.U8, 1)));
        var out = ReferenceInterpreter.run(List.of(s, d), Map.of(
                a, TensorValue.of(DType.I8, vec(127, -128), 2), u, TensorValue.of(DType.U8, vec(0, 200), 2)));
        assertArrayEquals(vec(-128, -127), out.get(s).data());
        assertArrayEquals(vec(255, 199), out.get(d).data());
    }

    @Test
    void castsTruncateSaturateAndMapNanToZero() {
        Tensor x = Te.placeholder("X", DType.F32, 6);
        double[] vals = vec(300.7, -3.9, Double.NaN, -1e10, 0.5, 0.0);
        Tensor toI8 = Te.compute("to_i8", Te.c(6), i -> x.at(i).cast(DType.I8));
        Tensor toU8 = Te.compute("to_u8", Te.c(6), i -> x.at(i).cast(DType.U8));
        Tensor toI64 = Te.compute("to_i64", Te.c(6), i -> x.at(i).mul(1e30).cast(DType.I64));
        Tensor toBool = Te.compute("to_bool", Te.c(6), i -> x.at(i).cast(DType.BOOL));
        var out = ReferenceInterpreter.run(List.of(toI8, toU8, toI64, toBool), Map.of(x, TensorValue.of(DType.F32, vals, 6)));
        assertArrayEquals(vec(127, -3, 0, -128, 0, 0), out.get(toI8).data());
        assertArrayEquals(vec(255, 0, 0, 0, 0, 0), out.get(toU8).data());
        assertEquals((double) Long.MAX_VALUE, out.get(toI64).data()[0]);
        assertEquals((double) Long.MIN_VALUE, out.get(toI64).data()[1]);
        assertArrayEquals(vec(1, 1, 1, 1, 1, 0), out.get(toBool).data());

        Tensor n = Te.placeholder("N", DType.I32, 2);
        Tensor wrap = Te.compute("wrap", Te.c(2), i -> n.at(i).cast(DType.I8));
        Tensor f = Te.compute("as_f32", Te.c(2), i -> n.at(i).cast(DType.F32));
        var o2 = ReferenceInterpreter.run(List.of(wrap, f), Map.of(n, TensorValue.of(DType.I32, vec(200, 16777217), 2)));
        assertArrayEquals(vec(-56, 1), o2.get(wrap).data());
        assertArrayEquals(vec(200, 16777216), o2.get(f).data()); // 2^24 + 1 is not an f32
    }

    @Test
    void halfPrecisionRoundsAfterEveryOperation() {
        Tensor h = Te.placeholder("H", DType.F16, 2);
        Tensor hs = Te.compute("hs", Te.c(2), i -> h.at(i).add(Te.constant(DType.F16, 1)));
        Tensor b = Te.placeholder("B", DType.BF16, 2);
        Tensor bs = Te.compute("bs", Te.c(2), i -> b.at(i).add(Te.constant(DType.BF16, 1)));
        var out = ReferenceInterpreter.run(List.of(hs, bs), Map.of(
                h, TensorValue.of(DType.F16, vec(2048, 0x1p-11), 2), b, TensorValue.of(DType.BF16, vec(256, 0x1p-8), 2)));
        assertArrayEquals(vec(2048, 1.0), out.get(hs).data()); // 2049 and 1 + 2^-11 are ties, rounded to even
        assertArrayEquals(vec(256, 1.0), out.get(bs).data());

        // A running f16 sum of ones stops at 2048: each addition is rounded back to f16.
        Tensor ones = Te.placeholder("ones", DType.F16, 4096);
        Axis k = Te.reduceAxis("k", 4096);
        Tensor sum = Te.compute("sum", List.of(Te.c(1)), List.of("i"), v -> Te.sum(ones.at(k.var()), k));
        double[] data = new double[4096];
        java.util.Arrays.fill(data, 1);
        assertEquals(2048.0, run1(sum, Map.of(ones, TensorValue.of(DType.F16, data, 4096))).data()[0]);
    }

    @Test
    void selectEvaluatesOnlyTheChosenSide() {
        Tensor a = Te.placeholder("A", DType.F32, 4);
        Tensor out = Te.compute("guarded", Te.c(6), i -> Te.select(i.lt(4), a.at(i), -1.0));
        TensorValue r = run1(out, Map.of(a, TensorValue.of(DType.F32, vec(1, 2, 3, 4), 4)));
        assertArrayEquals(vec(1, 2, 3, 4, -1, -1), r.data());
    }

    @Test
    void outOfBoundsReadNamesTheTensorIndexAndShape() {
        Tensor a = Te.placeholder("A", DType.F32, 4, 3);
        Tensor out = Te.compute("shifted", Te.c(4), Te.c(3), (i, j) -> a.at(i, j.add(1)));
        TesseraUserError e = assertThrows(TesseraUserError.class,
                () -> run1(out, Map.of(a, TensorValue.random(DType.F32, 1, 4, 3))));
        assertTrue(e.getMessage().contains("stage 'shifted'"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor A is read at index [0, 3] but has shape [4, 3]"), e.getMessage());
    }

    @Test
    void argmaxThroughATupleReducer() {
        Reducer argmax = Reducer.of("argmax", List.of(DType.I64, DType.F32),
                (x, y) -> List.of(Te.select(y.get(1).gt(x.get(1)), y.get(0), x.get(0)), Te.max(x.get(1), y.get(1))),
                List.of(IntImm.i64(-1), Te.lowest(DType.F32)));
        Tensor a = Te.placeholder("A", DType.F32, 5, 7);
        Axis k = Te.reduceAxis("k", 7);
        List<Tensor> outs = Te.computeMulti("argmax", List.of(Te.c(5)), List.of("i"),
                v -> Te.reduce(argmax, List.of(k.var(), a.at(v.get(0), k.var())), List.of(k), IntImm.bool(true)));
        TensorValue in = TensorValue.random(DType.F32, 7, 5, 7);
        var out = ReferenceInterpreter.run(outs, Map.of(a, in));
        for (int i = 0; i < 5; i++) {
            int best = 0;
            for (int j = 1; j < 7; j++) if (in.get(i, j) > in.get(i, best)) best = j;
            assertEquals(best, out.get(outs.get(0)).get(i), "row " + i);
            assertEquals(in.get(i, best), out.get(outs.get(1)).get(i), "row " + i);
        }
        assertEquals(DType.I64, out.get(outs.get(0)).dtype());
    }

    @Test
    void reductionConditionSelectsTheElementsThatTakePart() {
        Tensor a = Te.placeholder("A", DType.I32, 10);
        Axis k = Te.reduceAxis("k", 10);
        Tensor even = Te.compute("even_sum", List.of(Te.c(1)), List.of("i"),
                v -> Te.reduce(Te.sumReducer(DType.I32), List.of(a.at(k.var())), List.of(k), k.var().mod(2).eq(0)).get(0));
        double[] d = new double[10];
        for (int i = 0; i < 10; i++) d[i] = i;
        assertEquals(0 + 2 + 4 + 6 + 8, run1(even, Map.of(a, TensorValue.of(DType.I32, d, 10))).get(0));
    }

    @Test
    void multiAxisReductionVisitsEveryPoint() {
        Tensor a = Te.placeholder("A", DType.F64, 2, 3, 4);
        Axis r1 = Te.reduceAxis("r1", 3), r2 = Te.reduceAxis("r2", 4);
        Tensor s = Te.compute("s", List.of(Te.c(2)), List.of("i"), v -> Te.sum(a.at(v.get(0), r1.var(), r2.var()), r1, r2));
        TensorValue in = TensorValue.random(DType.F64, 3, 2, 3, 4);
        TensorValue out = run1(s, Map.of(a, in));
        for (int i = 0; i < 2; i++) {
            double acc = 0;
            for (int x = 0; x < 3; x++) for (int y = 0; y < 4; y++) acc += in.get(i, x, y);
            assertEquals(acc, out.get(i), 1e-15);
        }
    }

    @Test
    void mathFunctionsIncludingAPreciseErf() {
        assertEquals(0.5204998778130465, ScalarMath.erf(0.5), 1e-15);
        assertEquals(0.8427007929497149, ScalarMath.erf(1.0), 1e-15);
        assertEquals(0.9953222650189527, ScalarMath.erf(2.0), 1e-15);
        assertEquals(0.9999779095030014, ScalarMath.erf(3.0), 1e-15);
        assertEquals(-0.9661051464753108, ScalarMath.erf(-1.5), 1e-15);
        assertEquals(0.0011283787909692363, ScalarMath.erf(0.001), 1e-18);
        assertEquals(1.0, ScalarMath.erf(7.0));
        Tensor x = Te.placeholder("X", DType.F64, 3);
        Tensor y = Te.compute("y", Te.c(3), i -> Te.erf(x.at(i)).add(Te.sigmoid(x.at(i))).add(Te.sqrt(Te.abs(x.at(i)))));
        TensorValue in = TensorValue.of(DType.F64, vec(-2, 0.25, 4), 3);
        TensorValue out = run1(y, Map.of(x, in));
        for (int i = 0; i < 3; i++) {
            double v = in.get(i);
            assertEquals(ScalarMath.erf(v) + 1 / (1 + Math.exp(-v)) + Math.sqrt(Math.abs(v)), out.get(i), 1e-15);
        }
    }

    @Test
    void symbolicShapesAreBoundFromInputs() {
        Var n = Te.shapeVar("n");
        Tensor a = Te.placeholder("A", DType.F32, n, Te.c(3));
        Tensor b = Te.placeholder("B", DType.F32, n);
        Tensor c = Te.compute("scaled", List.of(n, Te.c(3)), List.of("i", "j"), v -> a.at(v.get(0), v.get(1)).mul(b.at(v.get(0))));
        TensorValue av = TensorValue.random(DType.F32, 1, 5, 3), bv = TensorValue.random(DType.F32, 2, 5);
        ReferenceInterpreter interp = new ReferenceInterpreter(List.of(c), Map.of(a, av, b, bv));
        assertEquals(5L, interp.shapeBindings().get(n));
        assertArrayEquals(new long[] {5, 3}, interp.evaluate(c).shape());
        assertEquals((float) (av.get(4, 2) * bv.get(4)), interp.evaluateAt(c, 4, 2));

        String conflict = assertThrows(TesseraUserError.class, () -> new ReferenceInterpreter(List.of(c),
                Map.of(a, av, b, TensorValue.random(DType.F32, 2, 4)))).getMessage();
        assertTrue(conflict.contains("shape variable n is 5 from A dimension 0 but 4 from B dimension 0"), conflict);

        String fixed = assertThrows(TesseraUserError.class, () -> new ReferenceInterpreter(List.of(c),
                Map.of(a, TensorValue.random(DType.F32, 1, 5, 4), b, bv))).getMessage();
        assertTrue(fixed.contains("input A has shape [5, 4]") && fixed.contains("dimension 1 is 4, expected 3"), fixed);

        String missing = assertThrows(TesseraUserError.class, () -> new ReferenceInterpreter(List.of(c), Map.of(a, av))).getMessage();
        assertTrue(missing.contains("missing input B") && missing.contains("inputs given: [A]"), missing);

        String dtype = assertThrows(TesseraUserError.class, () -> new ReferenceInterpreter(List.of(c),
                Map.of(a, av, b, TensorValue.random(DType.F64, 2, 5)))).getMessage();
        assertTrue(dtype.contains("input B has dtype f64, but the definition declares f32"), dtype);

        String rank = assertThrows(TesseraUserError.class, () -> new ReferenceInterpreter(List.of(c),
                Map.of(a, TensorValue.random(DType.F32, 1, 15), b, bv))).getMessage();
        assertTrue(rank.contains("input A has rank 1"), rank);
    }

    @Test
    void derivedDimensionsAreCheckedAndUnboundVariablesReported() {
        Var n = Te.shapeVar("n");
        Tensor a = Te.placeholder("A", DType.F32, n);
        Tensor b = Te.placeholder("B", DType.F32, n.mul(2));
        Tensor c = Te.compute("pairs", List.of(n), List.of("i"), v -> a.at(v.get(0)).add(b.at(v.get(0).mul(2).add(1))));
        TensorValue r = run1(c, Map.of(a, TensorValue.of(DType.F32, vec(1, 2), 2), b, TensorValue.of(DType.F32, vec(0, 10, 0, 20), 4)));
        assertArrayEquals(vec(11, 22), r.data());
        String bad = assertThrows(TesseraUserError.class, () -> run1(c,
                Map.of(a, TensorValue.of(DType.F32, vec(1, 2), 2), b, TensorValue.zeros(DType.F32, 5)))).getMessage();
        assertTrue(bad.contains("expected (n * 2) = 4") || bad.contains("= 4 with n = 2"), bad);

        Var m = Te.shapeVar("m");
        Tensor only = Te.placeholder("D", DType.F32, m.mul(2));
        Tensor d = Te.compute("d", List.of(m.mul(2)), List.of("i"), v -> only.at(v.get(0)));
        String unbound = assertThrows(TesseraUserError.class, () -> run1(d, Map.of(only, TensorValue.zeros(DType.F32, 4)))).getMessage();
        assertTrue(unbound.contains("no input binds"), unbound);
    }

    @Test
    void evaluateAtAgreesWithFullEvaluationAndMemoizesIntermediates() {
        // A three-stage pipeline: a 2-D reduction feeding a normalization.
        Tensor a = Te.placeholder("A", DType.F32, 37, 19);
        Tensor b = Te.placeholder("B", DType.F32, 19, 23);
        Axis k = Te.reduceAxis("k", 19);
        Tensor mm = Te.compute("mm", List.of(Te.c(37), Te.c(23)), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        Axis r = Te.reduceAxis("r", 23);
        Tensor rowMax = Te.compute("row_max", List.of(Te.c(37)), List.of("i"), v -> Te.max(mm.at(v.get(0), r.var()), r));
        Tensor out = Te.compute("norm", Te.c(37), Te.c(23), (i, j) -> Te.exp(mm.at(i, j).sub(rowMax.at(i))));
        Map<Tensor, TensorValue> in = Map.of(a, TensorValue.random(DType.F32, 1, 37, 19), b, TensorValue.random(DType.F32, 2, 19, 23));
        TensorValue full = run1(out, in);
        ReferenceInterpreter lazy = new ReferenceInterpreter(List.of(out), in);
        for (long i = 0; i < 37; i += 5)
            for (long j = 0; j < 23; j += 3) assertEquals(full.get(i, j), lazy.evaluateAt(out, i, j));
        assertEquals(full, lazy.evaluate(out));
        assertEquals(in.get(a).get(3, 4), lazy.evaluateAt(a, 3, 4));
        // plain Java, f32 after every operation
        float acc = 0;
        for (int kk = 0; kk < 19; kk++) acc += (float) in.get(a).get(10, kk) * (float) in.get(b).get(kk, 7);
        assertEquals(acc, lazy.evaluateAt(mm, 10, 7));

        String oob = assertThrows(TesseraUserError.class, () -> lazy.evaluateAt(out, 37, 0)).getMessage();
        assertTrue(oob.contains("outside tensor norm of shape [37, 23]"), oob);
        Tensor stranger = Te.placeholder("Z", DType.F32, 2);
        assertThrows(TesseraUserError.class, () -> lazy.evaluateAt(stranger, 0));
    }

    @Test
    void sampledPointsOfALargeMatmulAreCheap() {
        int n = 1024;
        Tensor a = Te.placeholder("A", DType.F32, n, n);
        Tensor b = Te.placeholder("B", DType.F32, n, n);
        Axis k = Te.reduceAxis("k", n);
        Tensor c = Te.compute("c", List.of(Te.c(n), Te.c(n)), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        TensorValue av = TensorValue.random(DType.F32, 1, n, n), bv = TensorValue.random(DType.F32, 2, n, n);
        ReferenceInterpreter interp = new ReferenceInterpreter(List.of(c), Map.of(a, av, b, bv));
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int s = 0; s < 300; s++) {
            int i = rng.nextInt(n), j = rng.nextInt(n);
            float acc = 0;
            for (int kk = 0; kk < n; kk++) acc += (float) av.data()[i * n + kk] * (float) bv.data()[kk * n + j];
            assertEquals(acc, interp.evaluateAt(c, i, j));
        }
    }

    @Test
    void tensorValueHelpersReportTheFirstMismatch() {
        TensorValue x = TensorValue.of(DType.F32, vec(1, 2, 3, 4), 2, 2);
        TensorValue y = TensorValue.of(DType.F32, vec(1, 2, 3.5, 4), 2, 2);
        assertEquals(0.5, x.maxAbsDiff(y));
        assertTrue(x.allClose(x, 0, 0));
        String m = x.firstMismatch(y, 1e-6, 1e-6);
        assertTrue(m.contains("first mismatch at index [1, 0]: 3.0 vs expected 3.5"), m);
        AssertionError err = assertThrows(AssertionError.class, () -> x.assertAllClose(y, 1e-6, 1e-6));
        assertTrue(err.getMessage().contains("[1, 0]"));
        assertEquals(4, x.size());
        assertEquals(3.0, x.get(1, 0));
        assertThrows(TesseraUserError.class, () -> x.get(2, 0));
        assertThrows(TesseraUserError.class, () -> new TensorValue(DType.F32, new long[] {3}, new double[2]));
        assertEquals(0.1f, TensorValue.of(DType.F32, vec(0.1), 1).get(0)); // rounded to f32 on the way in
        TensorValue r = TensorValue.random(DType.I8, 5, 100);
        for (double v : r.data()) assertTrue(v >= -8 && v < 8 && v == Math.rint(v));
        assertEquals(TensorValue.random(DType.F32, 9, 3, 3), TensorValue.random(DType.F32, 9, 3, 3));
    }
}
