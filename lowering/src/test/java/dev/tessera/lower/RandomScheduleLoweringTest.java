package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.schedule.RandomSchedules;
import dev.tessera.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Random schedules lowered and run by the loop interpreter agree with the default schedule. */
class RandomScheduleLoweringTest {
    record Op(String name, Supplier<List<Tensor>> build, long[] shapeValues) {}

    static List<Tensor> softmax(Expr rows, int cols) {
        Tensor X = Te.placeholder("X", DType.F32, rows, Te.c(cols));
        Axis k1 = Te.reduceAxis("k", cols), k2 = Te.reduceAxis("k", cols);
        Tensor mx = Te.compute("mx", List.of(rows), List.of("i"), v -> Te.max(X.at(v.get(0), k1.var()), k1));
        Tensor e = Te.compute("e", List.of(rows, Te.c(cols)), List.of("i", "j"), v -> Te.exp(X.at(v.get(0), v.get(1)).sub(mx.at(v.get(0)))));
        Tensor sm = Te.compute("sm", List.of(rows), List.of("i"), v -> Te.sum(e.at(v.get(0), k2.var()), k2));
        Tensor out = Te.compute("out", List.of(rows, Te.c(cols)), List.of("i", "j"), v -> e.at(v.get(0), v.get(1)).div(sm.at(v.get(0))));
        return List.of(out);
    }

    static List<Tensor> conv(int n, int c, int h, int w, int f, int k, int stride, int pad) {
        Tensor I = Te.placeholder("I", DType.F32, n, c, h, w);
        Tensor W = Te.placeholder("W", DType.F32, f, c, k, k);
        Tensor P = Te.compute("pad", List.of(Te.c(n), Te.c(c), Te.c(h + 2 * pad), Te.c(w + 2 * pad)), List.of("n", "c", "y", "x"), v -> {
            Expr y = v.get(2), x = v.get(3);
            Expr inside = y.ge(pad).and(y.lt(h + pad)).and(x.ge(pad)).and(x.lt(w + pad));
            return Te.select(inside, I.at(v.get(0), v.get(1), y.sub(pad), x.sub(pad)), 0.0);
        });
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        Axis rc = Te.reduceAxis("rc", c), ry = Te.reduceAxis("ry", k), rx = Te.reduceAxis("rx", k);
        Tensor O = Te.compute("conv", List.of(Te.c(n), Te.c(f), Te.c(oh), Te.c(ow)), List.of("n", "f", "y", "x"), v -> Te.sum(
                P.at(v.get(0), rc.var(), v.get(2).mul(stride).add(ry.var()), v.get(3).mul(stride).add(rx.var()))
                        .mul(W.at(v.get(1), rc.var(), ry.var(), rx.var())), rc, ry, rx));
        return List.of(O);
    }

    static List<Op> ops() {
        Var rows = Te.shapeVar("rows");
        return List.of(
                new Op("add", () -> {
                    Tensor A = Te.placeholder("A", DType.F32, 9, 21), B = Te.placeholder("B", DType.F32, 21);
                    return List.of(Te.compute("C", List.of(Te.c(9), Te.c(21)), List.of("i", "j"), v -> A.at(v.get(0), v.get(1)).add(B.at(v.get(1)))));
                }, new long[0]),
                new Op("matmul", () -> {
                    Tensor A = Te.placeholder("A", DType.F32, 11, 9), B = Te.placeholder("B", DType.F32, 9, 19);
                    Axis k = Te.reduceAxis("k", 9);
                    Tensor acc = Te.compute("acc", List.of(Te.c(11), Te.c(19)), List.of("i", "j"), v -> Te.sum(A.at(v.get(0), k.var()).mul(B.at(k.var(), v.get(1))), k));
                    return List.of(Te.compute("C", List.of(Te.c(11), Te.c(19)), List.of("i", "j"), v -> acc.at(v.get(0), v.get(1))));
                }, new long[0]),
                new Op("softmax", () -> softmax(rows, 13), new long[] {6}),
                new Op("conv2d", () -> conv(1, 3, 7, 6, 4, 3, 2, 1), new long[0]));
    }

    @Test
    void randomSchedulesAgreeWithDefault() {
        int perOp = Integer.getInteger("tessera.lowering.samples", 60);
        int factoredTwice = 0; // samples with a second rfactor of one stage (S.rf1)
        int computedPrepacked = 0; // samples that prepack a stage computed from inputs alone (conv's padding here)
        for (Op op : ops()) {
            List<Tensor> outs = op.build().get();
            Schedule base = Schedule.create(outs);
            List<double[]> ref = run(Lower.lower(base, op.name()), base, op.shapeValues(), 1);
            int ok = 0, rejected = 0;
            List<String> reasons = new ArrayList<>();
            for (long seed = 0; ok < perOp; seed++) {
                Schedule s = RandomSchedules.sample(outs, seed);
                LoweredFunc f;
                try {
                    f = Lower.lower(s, op.name());
                } catch (TesseraUserError e) {
                    rejected++;
                    reasons.add(e.getMessage());
                    assertTrue(e.getMessage().contains("reads it outside that loop"), "seed " + seed + " " + s.trace() + ": " + e.getMessage());
                    continue;
                } catch (RuntimeException e) {
                    throw new AssertionError(op.name() + " seed " + seed + " trace " + s.trace(), e);
                }
                List<double[]> got;
                try {
                    got = run(f, s, op.shapeValues(), 1);
                } catch (RuntimeException e) {
                    throw new AssertionError(op.name() + " seed " + seed + " trace " + s.trace(), e);
                }
                for (int b = 0; b < ref.size(); b++)
                    for (int i = 0; i < ref.get(b).length; i++)
                        if (Math.abs(ref.get(b)[i] - got.get(b)[i]) > 1e-4 * Math.max(1, Math.abs(ref.get(b)[i])))
                            fail(op.name() + " seed " + seed + ": element " + i + " is " + got.get(b)[i] + ", expected " + ref.get(b)[i] + "; trace " + s.trace());
                ok++;
                if (s.stageNames().stream().anyMatch(n -> n.matches(".*\\.rf[0-9]+"))) factoredTwice++;
                if (s.prepackedStages().stream().anyMatch(p -> !p.name().endsWith(".packed"))) computedPrepacked++;
            }
            System.out.println(op.name() + ": " + ok + " random schedules agree, " + rejected + " rejected by lowering");
        }
        assertTrue(factoredTwice > 0, "no sample factored a stage twice");
        assertTrue(computedPrepacked > 0, "no sample prepacked a computed stage");
    }

    /** Runs a kernel on seeded random inputs; returns the outputs. */
    static List<double[]> run(LoweredFunc f, Schedule s, long[] shapeValues, long seed) {
        Random r = new Random(seed);
        List<double[]> bufs = new ArrayList<>(), outs = new ArrayList<>();
        for (LoweredFunc.BufferParam p : f.buffers()) {
            long n = 1;
            for (Expr d : p.shape()) n *= eval(d, f, shapeValues);
            double[] a = new double[(int) n];
            if (!p.isOutput()) for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
            else outs.add(a);
            bufs.add(a);
        }
        LoopInterpreter.run(f, bufs, shapeValues);
        return outs;
    }

    static long eval(Expr d, LoweredFunc f, long[] shapeValues) {
        if (d instanceof dev.tessera.ir.IntImm i) return i.value();
        return shapeValues[f.shapeParams().indexOf((Var) d)];
    }
}
