package dev.tessera.target.llvm;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Reducer;
import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernels built with rfactor, cache_read and cache_write compute what the reference interpreter computes. */
class DataflowPrimitivesTest {
    static void check(OperatorInstance inst, Schedule s, long... leadingSizes) {
        LoweredFunc f = Lower.lower(s, "k");
        CompiledKernel k = LlvmBackend.instance().compile(f, Target.host());
        for (long lead : leadingSizes.length == 0 ? new long[] {-1} : leadingSizes)
            assertNull(DifferentialTest.runAndCompare(inst, k, lead, 42), "schedule " + s.trace() + "\n" + IRPrinter.print(f));
    }

    @Test void rowSumRfactoredIntoVectorAccumulatorsOnARaggedSymbolicRow() {
        var op = Operators.get("reduce_sum");
        OperatorInstance inst = op.buildSymbolic(new long[] {1, 1000});
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(ir.contains("allocate reduce_sum.rf[f32 * 64]") && ir.contains("ramp("), ir);
        check(inst, s, 3, 17);
    }

    @Test void argmaxRfactoredByPartsKeepsTheFirstIndexOfTheMaximum() {
        var rows = Te.shapeVar("rows");
        Tensor x = Te.placeholder("x", DType.F32, rows, Te.c(23));
        Axis k = Te.reduceAxis("k", 23);
        Reducer argmax = Reducer.of("argmax", List.of(DType.I64, DType.F32),
                (p, q) -> List.of(Te.select(q.get(1).gt(p.get(1)), q.get(0), p.get(0)), Te.max(p.get(1), q.get(1))),
                List.of(Te.c(-1), Te.lowest(DType.F32)));
        List<Tensor> out = Te.computeMulti("argmax", List.of(rows), List.of("i"),
                v -> Te.reduce(argmax, List.of(k.var(), x.at(v.get(0), k.var())), List.of(k), dev.tessera.ir.IntImm.bool(true)));
        OperatorInstance inst = new OperatorInstance(List.of(x), out, new long[] {-1});
        Schedule s = Schedule.create(out);
        Stage st = s.stage("argmax");
        Stage rf = st.rfactor(st.splitParts("k", 4, dev.tessera.schedule.TailStrategy.GUARD).outer());
        rf.reorder("k.inner", "k.outer");
        rf.computeAt(st, "i");
        st.parallel("i");
        check(inst, s, 5, 9);
    }

    @Test void singleStageMatmulAccumulatesInARegisterTileThroughCacheWrite() {
        Tensor a = Te.placeholder("A", DType.F32, 37, 29), b = Te.placeholder("B", DType.F32, 29, 45);
        Axis k = Te.reduceAxis("k", 29);
        Tensor c = Te.compute("C", List.of(Te.c(37), Te.c(45)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        OperatorInstance inst = new OperatorInstance(List.of(a, b), List.of(c), new long[] {37, 45, 29});
        Schedule s = Schedule.create(c);
        Stage out = s.stage("C");
        Stage local = out.cacheWrite();
        Stage.Tiles t = out.tile("i", "j", 4, 32);
        out.parallel(t.xOuter());
        local.computeAt(out, t.yOuter());
        Stage.Parts lj = local.split("j", 16);
        local.reorder("k", "i", lj.outer().name(), lj.inner().name());
        local.vectorize(lj.inner());
        local.unroll("i");
        check(inst, s);
    }

    @Test void packedPanelsOfBInTheDefaultMatmulOnAwkwardShapes() {
        var op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {37, 99, 29});
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(ir.contains("allocate B.cache[f32 * 1856]"), ir); // one 29 x 64 panel
        check(inst, s);
        OperatorInstance sym = op.buildSymbolic(new long[] {1, 99, 29});
        Schedule ss = Schedule.create(sym.outputs());
        op.applyDefaultSchedule(ss);
        check(sym, ss, 5, 37);
    }

    @Test void cacheReadOfAnIntermediateStageSharedByTwoReaders() {
        Tensor x = Te.placeholder("x", DType.F32, Te.shapeVar("n"), Te.c(19));
        Tensor sq = Te.compute("sq", List.of(x.shape().get(0), Te.c(19)), List.of("i", "j"), v -> x.at(v.get(0), v.get(1)).mul(x.at(v.get(0), v.get(1))));
        Tensor p = Te.compute("p", List.of(x.shape().get(0), Te.c(19)), List.of("i", "j"), v -> sq.at(v.get(0), v.get(1)).add(1.0));
        Tensor q = Te.compute("q", List.of(x.shape().get(0), Te.c(19)), List.of("i", "j"), v -> sq.at(v.get(0), v.get(1)).mul(p.at(v.get(0), v.get(1))));
        OperatorInstance inst = new OperatorInstance(List.of(x), List.of(q), new long[] {-1});
        Schedule s = Schedule.create(q);
        Stage cache = s.cacheRead(sq, s.stage("p"), s.stage("q"));
        cache.computeAt(s.stage("q"), "i");
        s.stage("p").computeAt(s.stage("q"), "i");
        s.stage("q").vectorize(s.stage("q").split("j", 8).inner());
        check(inst, s, 4, 11);
    }
}
