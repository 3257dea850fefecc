package dev.tessera.ops;

import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Stage;
import java.util.List;
import java.util.Map;

/**
 * Schedule pieces shared by the operators over rows of an [M, N] array (elementwise, broadcast and
 * row-wise operators): a vectorized inner loop with a guarded tail, optionally unrolled by a number
 * of vectors.
 */
final class RowSchedules {
    private RowSchedules() {}

    /** {@code vectors}: vectors per step of the inner loop (the vector loop unrolled by this factor). */
    static Knob vectorsKnob() { return new Knob("vectors", List.of(1L, 2L, 4L), 1); }

    static List<Knob> vectorKnobs() { return List.of(vectorsKnob()); }

    /** {@code accumulators}: independent vector accumulators of a row reduction (rfactor, see {@link RowReductions}). */
    static Knob accumulatorsKnob(long defaultValue) { return new Knob("accumulators", List.of(1L, 2L, 4L, 8L), defaultValue); }

    /** The knobs of the row operators (softmax, log_softmax, layernorm): vectors per step of the elementwise row loops, accumulators per row reduction. */
    static List<Knob> rowOperatorKnobs() { return List.of(vectorsKnob(), accumulatorsKnob(1)); }

    /** Computes a row reduction stage at {@code consumer}'s row loop {@code i}, vectorized along k by rfactor. */
    static void reduceAtRow(Stage reduction, Stage consumer, Map<String, Long> knobs) {
        reduction.computeAt(consumer, "i");
        RowReductions.vectorize(reduction, "k", "i", Math.toIntExact(knobs.get("accumulators")));
    }

    /**
     * Splits {@code axis} into steps of {@code vectors} vectors (a guarded tail), vectorizes the
     * lanes and unrolls the vectors of a step; returns the outer loop. With one vector per step this
     * is exactly {@code split(axis, lanes); vectorize(inner)}.
     */
    static LoopAxis vectorize(Stage st, String axis, long vectors) {
        long lanes = Vectors.lanes(st);
        Stage.Parts p = st.split(axis, vectors * lanes);
        if (vectors == 1) {
            st.vectorize(p.inner());
        } else {
            Stage.Parts v = st.split(p.inner(), lanes);
            st.unroll(v.outer());
            st.vectorize(v.inner());
        }
        return p.outer();
    }

    /** The number of vectors per step in a resolved configuration. */
    static long vectors(Map<String, Long> knobs) { return knobs.get("vectors"); }
}
