package dev.tessera.autotune;

import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.util.List;

/**
 * Measures candidate schedules of one task on a target: compiles each trace with the target's
 * backend, times it (on a GPU, device time on resident buffers) and checks its output against the
 * reference interpreter. A failure of any kind (wrong answer, crash, timeout, out of
 * memory) is returned as an {@link Outcome} with an error, never thrown, so tuning continues.
 */
public interface Measurer extends AutoCloseable {
    /** The timing or the failure of one candidate; exactly one is non-null (but for the worker's answer to a reference-only request, which has neither). */
    record Outcome(TuningRecord.Timing timing, TuningRecord.Failure error) {
        public static Outcome failed(TuningRecord.ErrorCode code, String message) {
            return new Outcome(null, new TuningRecord.Failure(code, message));
        }
    }

    /** How to time a candidate: untimed warm-up calls, timed calls (the median is reported), and a wall-clock limit per candidate. */
    record Options(int warmup, int repeats, long timeoutMs) {
        public static Options defaults() { return new Options(2, 7, 60_000); }
    }

    /** Measures {@code trace} on {@code target}, which must be present on this machine (the host CPU, or the backend's device). */
    Outcome measure(TuningTask task, Target target, List<Step> trace);

    @Override default void close() {}
}
