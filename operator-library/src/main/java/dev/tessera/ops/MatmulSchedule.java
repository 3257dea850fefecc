package dev.tessera.ops;

import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * The register-blocked CPU schedule shared by matmul, batch_matmul and dense: an output stage with
 * spatial axes ({@code b},) {@code i}, {@code j} that reads an accumulator stage over the same axes
 * plus the reduction axis {@code k} (Halide's two-stage matmul form). Each
 * {@code tile_rows x tile_vectors} register tile of the output accumulates over the whole k loop in
 * the accumulator (a small buffer LLVM keeps in registers), then is copied out by the output stage,
 * which applies any epilogue (bias, activation) in the same pass.
 *
 * <p>Knobs: {@code tile_rows} (rows per tile), {@code tile_vectors} (vectors per tile row; a vector
 * is one 512-bit register, 16 f32 or 8 f64 lanes), {@code panel_order} (0: column panels outermost
 * and parallel, so a K x tile panel of B stays in L2 while rows of A stream past; 1: row panels
 * outermost and parallel), {@code unroll_k} (the k loop unrolled by this factor) and
 * {@code pack_b} (1: {@code cache_read} packs the K x tile panel of B the tiles read into a dense
 * buffer at the column-panel loop, once per panel in column-panel order) and {@code prepack_b}
 * (1: B is constant across calls, a weight: {@code prepack} packs all of it once, ahead of calls,
 * into column panels of the tile width, k-major, [N/tile, K, tile]; this replaces {@code pack_b};
 * off by default). The defaults, 4 x 4
 * vectors, column panels, no k unrolling, B packed, use 16 accumulator registers; measured on the
 * 2-core Zen 4 machine at 1024^3 f32: ~200 GFLOP/s, ahead of 6x64 (171), 12x32 (124) and the 8x32
 * row-panel order (122); packing B gave 110 against 104 GFLOP/s on one thread.
 */
final class MatmulSchedule {
    private MatmulSchedule() {}

    static List<Knob> knobs() {
        return List.of(
                new Knob("tile_rows", List.of(1L, 2L, 4L, 6L, 8L), 4),
                new Knob("tile_vectors", List.of(1L, 2L, 3L, 4L), 4),
                new Knob("panel_order", List.of(0L, 1L), 0),
                new Knob("unroll_k", List.of(1L, 2L, 4L), 1),
                new Knob("pack_b", List.of(0L, 1L), 1),
                new Knob("prepack_b", List.of(0L, 1L), 0));
    }

    /**
     * Applies the schedule to output stage {@code out} and accumulator {@code acc}; with
     * {@code batched} the output's leading axis {@code b} is fused into the parallel panel loop.
     */
    static void apply(Schedule s, String out, String acc, boolean batched, Map<String, Long> knobs) {
        Stage o = s.stage(out);
        long lanes = Vectors.lanes(o);
        long rows = knobs.get("tile_rows"), cols = knobs.get("tile_vectors") * lanes;
        boolean columnPanels = knobs.get("panel_order") == 0;
        Stage.Parts j = o.split("j", cols);
        Stage.Parts i = o.split("i", rows);
        LoopAxis panel, tile;
        if (columnPanels) {
            o.reorder(j.outer(), i.outer(), i.inner(), j.inner());
            panel = j.outer();
            tile = i.outer();
        } else {
            o.reorder(i.outer(), j.outer(), i.inner(), j.inner());
            panel = i.outer();
            tile = j.outer();
        }
        LoopAxis parallel = batched ? o.fuse(o.axis("b"), panel) : panel;
        o.parallel(parallel);
        // The loop over column panels, where a packed panel of B is reused by every tile of it.
        LoopAxis columnPanel = columnPanels ? parallel : j.outer();
        Stage.Parts jv = o.split(j.inner(), lanes);
        o.vectorize(jv.inner());

        Stage a = s.stage(acc);
        a.computeAt(o, tile);
        Stage.Parts aj = a.split("j", lanes);
        long unrollK = knobs.get("unroll_k");
        if (unrollK > 1) {
            Stage.Parts k = a.split("k", unrollK);
            a.reorder(k.outer().name(), k.inner().name(), "i", aj.outer().name(), aj.inner().name());
            a.unroll(k.inner());
        } else {
            a.reorder("k", "i", aj.outer().name(), aj.inner().name());
        }
        a.unroll("i");
        a.unroll(aj.outer());
        a.vectorize(aj.inner());

        dev.tessera.dsl.Tensor b = a.inputs().stream().filter(t -> t.name().equals("B")).findFirst().orElseThrow();
        if (knobs.get("prepack_b") == 1) {
            // B constant across calls: packed once into column panels of the tile width, k-major, the
            // layout pack_b makes per panel and per call; pack_b is then moot.
            Stage packed = s.prepackPanels(b, b.rank() - 1, cols);
            String inner = "i" + (b.rank() - 1) + ".inner";
            packed.vectorize(packed.split(inner, lanes).inner());
            packed.parallel("i" + (b.rank() - 1) + ".outer");
        } else if (knobs.get("pack_b") == 1) {
            Stage packed = s.cacheRead(b, a);
            packed.computeAt(o, columnPanel);
            packed.vectorize(packed.split("i" + (b.rank() - 1), lanes).inner());
        }
    }
}
