package dev.tessera.autotune;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.Target;
import java.util.List;

/**
 * One measurement in a tuning log (schema version {@value #SCHEMA_VERSION}, see docs/tuning-logs.md):
 * what was tuned, on which machine, with which schedule trace, how fast it ran or why it failed, and
 * how the search came to try it. Exactly one of {@code timing} and {@code error} is non-null.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record TuningRecord(int schemaVersion, TuningWorkload workload, TargetInfo target, List<Step> trace,
                           Timing timing, Failure error, Provenance provenance, String timestamp, String tesseraVersion) {
    public static final int SCHEMA_VERSION = 1;

    public TuningRecord {
        trace = List.copyOf(trace);
        if ((timing == null) == (error == null))
            throw new IllegalArgumentException("a tuning record has either a timing or an error, not " + (timing == null ? "neither" : "both"));
    }

    /** The machine a record was measured on: LLVM's CPU name and feature string, and the fingerprint that keys logs. */
    public record TargetInfo(String kind, String cpu, String features, int vectorBits, int cores, String fingerprint) {
        public static TargetInfo of(Target t) {
            return new TargetInfo(t.kind(), t.cpu(), t.features(), t.vectorBits(), t.cores(), t.fingerprint());
        }

        /** Same backend and CPU family name and vector width: a schedule tuned on one is a sensible start on the other. */
        public boolean compatibleWith(TargetInfo o) {
            return kind.equals(o.kind) && vectorBits == o.vectorBits;
        }
    }

    /** Wall-clock time of one kernel call over {@code repeats} timed runs (after warm-up), in nanoseconds. */
    public record Timing(long medianNs, long minNs, long maxNs, int repeats) {}

    /** Why a candidate has no timing: a code from {@link ErrorCode} and a human-readable cause. */
    public record Failure(ErrorCode code, String message) {}

    /**
     * How the search produced the candidate: strategy name, the run's seed, the trial number (0-based,
     * per workload, target, strategy and seed in a log), and the knob values in a template space (else empty).
     */
    public record Provenance(String strategy, long seed, int trial, java.util.Map<String, Long> knobs) {
        public Provenance { knobs = knobs == null ? java.util.Map.of() : new java.util.TreeMap<>(knobs); }
    }

    /** The kinds of failed measurement. */
    public enum ErrorCode { LOWERING_FAILED, COMPILE_FAILED, RUNTIME_ERROR, WRONG_ANSWER, TIMEOUT, CRASH, OUT_OF_MEMORY }

    public boolean ok() { return error == null; }

    /** The identity of a measurement for {@code --resume}: workload hash, target fingerprint and trace. */
    public String key() { return key(workload.structuralHash(), target.fingerprint(), trace); }

    public static String key(String workloadHash, String targetFingerprint, List<Step> trace) {
        return workloadHash + "|" + targetFingerprint + "|" + TraceJson.write(trace);
    }

    /** Throughput in GFLOP/s for a workload of {@code flops} operations (0 for an error record). */
    public double gflops(double flops) { return ok() ? flops / timing.medianNs() : 0; }

    /** Median milliseconds, or {@code +inf} for an error record. */
    public double medianMs() { return ok() ? timing.medianNs() / 1e6 : Double.POSITIVE_INFINITY; }
}
