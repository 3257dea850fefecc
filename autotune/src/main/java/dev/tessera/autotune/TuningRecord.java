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

    /**
     * The device a record was measured on: the backend kind, the CPU name and feature string as LLVM
     * spells them (for a GPU: the device name), the widest vector, the cores (a GPU's compute units),
     * for a GPU its limits (architecture: compute capability or OpenCL C version, threads and shared
     * memory per block, ...; absent for a CPU), and the fingerprint that keys logs.
     */
    public record TargetInfo(String kind, String cpu, String features, int vectorBits, int cores, String fingerprint,
                             @JsonInclude(JsonInclude.Include.NON_NULL) Target.GpuLimits gpu) {
        /** A CPU target. */
        public TargetInfo(String kind, String cpu, String features, int vectorBits, int cores, String fingerprint) {
            this(kind, cpu, features, vectorBits, cores, fingerprint, null);
        }

        public static TargetInfo of(Target t) {
            return new TargetInfo(t.kind(), t.cpu(), t.features(), t.vectorBits(), t.cores(), t.fingerprint(), t.gpu());
        }

        /**
         * Whether a schedule tuned on {@code o} is a sensible start here: the same backend and, for
         * CPUs, the same vector width; for GPUs, the same architecture (compute capability or OpenCL
         * C version). A CPU record never applies to a GPU, nor the reverse.
         */
        public boolean compatibleWith(TargetInfo o) {
            if (!kind.equals(o.kind) || (gpu == null) != (o.gpu == null)) return false;
            return gpu == null ? vectorBits == o.vectorBits : gpu.arch().equals(o.gpu.arch());
        }

        /** e.g. {@code znver4, 2 cores} or {@code NVIDIA H100 (cuda sm_90, 1024 threads/block, 49152 B shared)}. */
        public String describe() {
            return gpu == null ? cpu + ", " + cores + " cores"
                    : cpu + " (" + kind + " " + gpu.arch() + ", " + gpu.maxThreadsPerBlock() + " threads/block, " + gpu.sharedMemoryBytes() + " B shared)";
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
