package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * 2-D transpose, f32: A [M, N] to {@code transpose[i, j] = A[j, i]} of shape [N, M]. One stage;
 * M (A's rows, the output's columns) is the symbolic leading dimension.
 */
public final class TransposeOp implements Operator {
    @Override public String name() { return "transpose"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("4096,4096", "1024,3072"); }
    @Override public List<String> testShapes() { return List.of("19,13", "16,35"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor a = Te.placeholder("A", DType.F32, m, n);
        Tensor t = Te.compute("transpose", List.of(n, m), List.of("i", "j"), v -> a.at(v.get(1), v.get(0)));
        return new OperatorInstance(List.of(a), List.of(t), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    private static final List<Knob> KNOBS = List.of(
            new Knob("tile", List.of(8L, 16L, 32L, 64L), 32),
            new Knob("vector_side", List.of(0L, 1L), 0),
            new Knob("stage_tile", List.of(0L, 1L), 1));

    /**
     * 32 x 32 tiles, tile rows in parallel. Each tile of A is first copied with dense vector loads
     * into a 4 KiB local buffer ({@code cache_read} at the tile loop); each output row of the tile is
     * then dense vector stores of lanes gathered from that buffer in L1. Gathering straight from A
     * instead reads 16 rows a power-of-two stride apart, which share L1 sets: on the 2-core Zen 4
     * machine (noisy, shared) 4096 x 4096 took ~35-40 ms staged against ~75-105 ms unstaged.
     */
    @Override public void applyDefaultSchedule(Schedule s) { schedule(s, Map.of()); }

    /**
     * {@code tile}: the square tile's side; {@code vector_side}: 0 vectorizes along output rows
     * (dense stores, gathered loads), 1 along source rows (dense loads, scattered stores);
     * {@code stage_tile}: 1 copies each tile of A into a local buffer first.
     */
    @Override public List<Knob> knobs(long[] shapeArgs) { return KNOBS; }

    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { schedule(s, config); }

    private void schedule(Schedule s, Map<String, Long> config) {
        Map<String, Long> k = Knob.resolve(name(), KNOBS, config);
        Stage st = s.stage("transpose");
        long tile = k.get("tile"), lanes = Vectors.lanes(st);
        Stage.Tiles t = st.tile("i", "j", tile, tile);
        st.parallel(t.xOuter());
        if (k.get("vector_side") == 1) st.reorder(t.yInner(), t.xInner());
        Stage.Parts v = st.split(k.get("vector_side") == 1 ? t.xInner() : t.yInner(), lanes);
        st.vectorize(v.inner());
        if (k.get("stage_tile") == 1) {
            // Copy each tile of A, row by row with dense vectors, into a small local buffer that the
            // transposed accesses then read (or write) from L1.
            Stage tileOfA = s.cacheRead(s.inputs().get(0), st);
            tileOfA.computeAt(st, t.yOuter());
            tileOfA.vectorize(tileOfA.split("i1", lanes).inner());
        }
    }

    @Override public double flops(long[] a) { return 0; }
    @Override public double bytes(long[] a) { return 4.0 * 2.0 * a[0] * a[1]; }
}
