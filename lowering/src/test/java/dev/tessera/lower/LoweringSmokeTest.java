package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.TailStrategy;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LoweringSmokeTest {
    static double[] rand(int n, long seed) {
        Random r = new Random(seed);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    record Mm(Tensor a, Tensor b, Tensor acc, Tensor c) {}

    static Mm matmul(int m, int n, int k) {
        Tensor A = Te.placeholder("A", DType.F32, m, k);
        Tensor B = Te.placeholder("B", DType.F32, k, n);
        Axis kk = Te.reduceAxis("k", k);
        Tensor acc = Te.compute("acc", List.of(Te.c(m), Te.c(n)), List.of("i", "j"), v -> Te.sum(A.at(v.get(0), kk.var()).mul(B.at(kk.var(), v.get(1))), kk));
        Tensor C = Te.compute("C", List.of(Te.c(m), Te.c(n)), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1)));
        return new Mm(A, B, acc, C);
    }

    void checkMatmul(int m, int n, int k, Consumer<Schedule> sched) {
        Mm mm = matmul(m, n, k);
        Schedule s = Schedule.create(mm.c());
        sched.accept(s);
        LoweredFunc f = Lower.lower(s, "mm");
        double[] a = rand(m * k, 1), b = rand(k * n, 2), c = new double[m * n];
        LoopInterpreter.run(f, List.of(a, b, c), new long[0]);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double ref = 0;
                for (int x = 0; x < k; x++) ref = (float) (ref + (float) (a[i * k + x] * b[x * n + j]));
                assertEquals(ref, c[i * n + j], 1e-4, "C[" + i + "," + j + "] trace " + s.trace());
            }
    }

    @Test void matmulDefault() { checkMatmul(5, 7, 3, s -> {}); }

    @Test void matmulTiled() {
        checkMatmul(13, 35, 9, s -> {
            Stage c = s.stage("C"), acc = s.stage("acc");
            var t = c.tile("i", "j", 4, 16);
            c.vectorize(t.yInner());
            c.parallel(t.xOuter());
            acc.computeAt(c, t.yOuter());
            var ai = acc.split("i", 2);
            acc.reorder("k", ai.inner().name());
            acc.unroll(ai.inner());
            var aj = acc.split("j", 8);
            acc.vectorize(aj.inner());
        });
    }

    @Test void matmulShiftInward() {
        checkMatmul(13, 35, 9, s -> {
            Stage c = s.stage("C"), acc = s.stage("acc");
            var sj = c.split("j", 8, TailStrategy.SHIFT_INWARD);
            c.vectorize(sj.inner());
            acc.computeAt(c, sj.outer());
            var kk = acc.split("k", 4);
            acc.reorder("k.outer", "k.inner", "i");
        });
    }

    @Test void softmaxInlineAndAt() {
        Var n = Te.shapeVar("n");
        Tensor X = Te.placeholder("X", DType.F32, n, Te.c(10));
        Axis k1 = Te.reduceAxis("k", 10), k2 = Te.reduceAxis("k", 10);
        Tensor mx = Te.compute("mx", List.of(n), List.of("i"), v -> Te.max(X.at(v.get(0), k1.var()), k1));
        Tensor e = Te.compute("e", List.of(n, Te.c(10)), List.of("i", "j"), v -> Te.exp(X.at(v.get(0), v.get(1)).sub(mx.at(v.get(0)))));
        Tensor sm = Te.compute("sm", List.of(n), List.of("i"), v -> Te.sum(e.at(v.get(0), k2.var()), k2));
        Tensor out = Te.compute("out", List.of(n, Te.c(10)), List.of("i", "j"), v -> e.at(v.get(0), v.get(1)).div(sm.at(v.get(0))));
        Schedule s = Schedule.create(out);
        Stage o = s.stage(out);
        var io = o.split("i", 3);
        s.stage(mx).computeAt(o, io.inner());
        s.stage(e).computeAt(o, io.inner());
        s.stage(sm).computeAt(o, io.inner());
        var jo = o.split("j", 4, TailStrategy.GUARD);
        o.vectorize(jo.inner());
        LoweredFunc f = Lower.lower(s, "softmax");
        int rows = 7;
        double[] x = rand(rows * 10, 3), y = new double[rows * 10];
        LoopInterpreter.run(f, List.of(x, y), new long[] {rows});
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int j = 0; j < 10; j++) sum += y[r * 10 + j];
            assertEquals(1.0, sum, 1e-5);
        }
    }
}
