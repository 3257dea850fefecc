package dev.tessera.ops;

import dev.tessera.schedule.Stage;

/** Schedules shared by operators that reduce along a contiguous row (sums, maxima, norms). */
final class RowReductions {
    private RowReductions() {}

    /**
     * Vectorizes a reduction over the contiguous axis {@code k}: splits it by {@code 16 * vectors},
     * rfactors the inner part into {@code <stage>.rf} (that many partial results per output point,
     * computed at the stage's {@code spatialAxis} loop) and vectorizes them as {@code vectors}
     * independent 16-lane accumulators, so adds overlap instead of forming one dependency chain.
     * The partials are combined once per output point: with several accumulators, first the vectors
     * into one (a second rfactor, {@code <stage>.rf1}, vector operations), then its 16 lanes one by
     * one, so the serial chain at the end of each row is 16 scalar operations instead of
     * {@code 16 * vectors}. Any row length works: a ragged end is guarded.
     */
    static Stage vectorize(Stage st, String k, String spatialAxis, int vectors) {
        Stage.Parts parts = st.split(k, 16L * vectors);
        Stage rf = st.rfactor(parts.inner());
        String inner = parts.inner().name(), outer = parts.outer().name();
        if (vectors > 1) {
            Stage.Parts fold = st.split(inner, 16);
            Stage vectorSum = st.rfactor(fold.inner());
            vectorSum.reorder(fold.outer().name(), fold.inner().name());
            vectorSum.unroll(fold.outer());
            vectorSum.vectorize(fold.inner());
            vectorSum.computeAt(st, spatialAxis);
        }
        rf.reorder(outer, inner);
        if (vectors > 1) {
            Stage.Parts lanes = rf.split(inner, 16);
            rf.unroll(lanes.outer());
            rf.vectorize(lanes.inner());
        } else {
            rf.vectorize(inner);
        }
        rf.computeAt(st, spatialAxis);
        return rf;
    }
}
