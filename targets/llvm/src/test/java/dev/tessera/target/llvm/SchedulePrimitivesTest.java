package dev.tessera.target.llvm;

import static dev.tessera.target.llvm.DataflowPrimitivesTest.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** specialize, storage_align, reorder_storage, prefetch and multi-level tiling: the code they produce and the values it computes. */
class SchedulePrimitivesTest {
    @Test void specializedKernelDropsTheGuardsOnTheFastPathAndKeepsThemOnTheGeneralOne() {
        var op = Operators.get("add");
        OperatorInstance inst = op.buildSymbolic(new long[] {1, 32});
        Schedule s = Schedule.create(inst.outputs());
        Stage out = s.stage(inst.output());
        Stage.Parts i = out.split("i", 4);
        out.unroll(i.inner());
        out.vectorize(out.split("j", 16).inner());
        out.specialize("M", 4);
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(ir.contains("if ((M % 4) == 0)"), ir);
        // The fast path is a clean 4-way unrolled body: no row guard; the general path keeps it.
        String fast = ir.substring(ir.indexOf("if ((M % 4) == 0)"), ir.indexOf("} else {"));
        assertTrue(!fast.contains(" < (M"), fast);
        assertTrue(ir.substring(ir.indexOf("} else {")).contains(" < (M - 1)"), ir);
        check(inst, s, 8, 13, 4, 1);
    }

    @Test void storageAlignPadsTheRowsOfAStagedTile() {
        var op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {20, 70, 13});
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        s.stage("B.cache").storageAlign("i0", 16, 8); // rows of 64 floats padded to 72 (16 * 4 + 8)
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(ir.contains("allocate B.cache[f32 * 936]"), ir); // 13 rows x 72
        check(inst, s);
    }

    @Test void reorderStorageMakesTheLastNamedDimensionContiguous() {
        var op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {20, 70, 13});
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        Stage cache = s.stage("B.cache");
        String before = IRPrinter.print(Lower.lower(s, "k"));
        cache.reorderStorage("i1", "i0"); // the packed panel of B transposed: k contiguous
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(!ir.equals(before) && ir.contains("allocate B.cache[f32 * "), ir);
        check(inst, s);

        // A local tile vectorized along its first dimension: with that dimension stored last, its vectors are dense.
        OperatorInstance add = Operators.get("add").build(new long[] {32, 20});
        Schedule t = Schedule.create(add.outputs());
        Stage out = t.stage(add.output());
        Stage copy = t.cacheRead(add.inputs().get(0), out);
        Stage.Parts rows = out.split("i", 16);
        out.reorder(rows.outer(), out.axis("j"), rows.inner());
        out.vectorize(rows.inner());
        copy.computeAt(out, rows.outer());
        copy.reorder("i1", "i0");
        copy.vectorize("i0");
        String strided = IRPrinter.print(Lower.lower(t, "k"));
        copy.reorderStorage("i1", "i0");
        String dense = IRPrinter.print(Lower.lower(t, "k"));
        assertTrue(strided.contains("ramp(i1, 20, 16)"), strided);
        assertTrue(dense.contains("ramp(i1*16, 1, 16)"), dense);
        check(add, t);
    }

    @Test void conv2dDirectLayoutCopiesTheWeightsChannelsLastOnEveryCall() {
        var op = Operators.get("conv2d");
        for (String shape : List.of("1,20,9,9,40,3,3,1,1", "2,4,5,4,4,2,2,1,1,2,2", "1,3,7,6,4,3,3,2,1")) {
            long[] args = op.parseShape(shape);
            for (boolean symbolic : new boolean[] {false, true}) {
                OperatorInstance inst = symbolic ? op.buildSymbolic(args) : op.build(args);
                Schedule s = Schedule.create(inst.outputs());
                op.applyTunedSchedule(s, args, Map.of("layout", 1L, "tile_rows", 3L, "tile_vectors", 2L));
                String ir = IRPrinter.print(Lower.lower(s, "k"));
                // weight [F, C, KH, KW] copied as [C, KH, KW, F]: a vector of 16 output channels is one dense load.
                assertTrue(ir.contains("allocate weight.cache[") && !ir.contains("weight.packed"), ir);
                check(inst, s, symbolic ? new long[] {1, 3} : new long[0]);
            }
        }
    }

    @Test void multiLevelTilingNestsTheLevelsAndComputesTheSameValues() {
        var op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {33, 50, 17});
        Schedule s = Schedule.create(inst.outputs());
        Stage acc = s.stage("matmul_acc");
        Map<String, List<Long>> levels = new LinkedHashMap<>();
        levels.put("i", List.of(8L, 2L));
        levels.put("j", List.of(32L, 16L));
        levels.put("k", List.of(4L));
        List<List<dev.tessera.schedule.LoopAxis>> tiles = acc.tileLevels(levels);
        assertEquals(3, tiles.size());
        assertEquals(List.of("i.outer", "j.outer", "i.inner.outer", "j.inner.outer", "k.outer", "i.inner.inner", "j.inner.inner", "k.inner"),
                acc.leafNames());
        acc.vectorize("j.inner.inner");
        check(inst, s);
    }

    @Test void prefetchHintsTheRowsOfAEightIterationsAheadWithoutChangingResults() {
        var op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {20, 70, 33});
        Schedule s = Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        s.stage("matmul_acc").prefetch(inst.inputs().get(0), "k", 8);
        String ir = IRPrinter.print(Lower.lower(s, "k"));
        assertTrue(ir.contains("prefetch A["), ir);
        check(inst, s);
        String llvm = LlvmBackend.instance().source(Lower.lower(s, "k"), dev.tessera.target.Target.host(), false);
        assertTrue(llvm.contains("@llvm.prefetch"), llvm);
    }
}
