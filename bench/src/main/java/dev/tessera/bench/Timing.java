package dev.tessera.bench;

import java.util.Arrays;
import java.util.List;

/**
 * The timing protocol every figure follows, Tessera's and the peers' alike (bench/peers/peers.py
 * implements the same): {@code warmup} untimed calls (at least one); the last sets a batch size so
 * that one timed repetition lasts at least {@code minBatchMs}; {@code repeats} timed repetitions of
 * that batch, each giving a time per call. Reported: median, quartiles, min and max.
 */
public final class Timing {
    /**
     * Warm-up calls, timed repetitions, the shortest a repetition may be, and the rounds a
     * side-by-side comparison splits the repetitions into (see {@link Harness}).
     */
    public record Protocol(int warmup, int repeats, double minBatchMs, int rounds) {
        public Protocol {
            if (warmup < 0 || repeats < 1 || minBatchMs < 0 || rounds < 1)
                throw new IllegalArgumentException("need warmup >= 0, repeats >= 1, minBatchMs >= 0, rounds >= 1; got "
                        + warmup + ", " + repeats + ", " + minBatchMs + ", " + rounds);
            rounds = Math.min(rounds, repeats); // every round times at least one repetition
        }

        public Protocol(int warmup, int repeats, double minBatchMs) { this(warmup, repeats, minBatchMs, 1); }

        /** One round's share: the same warm-up and batch length, the repetitions divided (rounded up). */
        public Protocol round() { return new Protocol(warmup, (repeats + rounds - 1) / rounds, minBatchMs, 1); }
    }

    /** Milliseconds per call over the repetitions. */
    public record Stats(double medianMs, double p25Ms, double p75Ms, double minMs, double maxMs, int repeats, long callsPerRepeat) {
        /** The interquartile range relative to the median: a spread that one outlier cannot dominate. */
        public double spread() { return medianMs > 0 ? (p75Ms - p25Ms) / medianMs : 0; }

        /**
         * Stats of the per-call times of several samples taken together (interleaved rounds of one
         * measurement); the calls per repetition reported are the last sample's (each round sizes its
         * own batch).
         */
        public static Stats pooled(List<Sample> samples) {
            double[] all = samples.stream().flatMapToDouble(x -> Arrays.stream(x.timesMs())).toArray();
            return of(all, samples.get(samples.size() - 1).callsPerRepeat());
        }

        /** Stats of the given per-call times (milliseconds). */
        public static Stats of(double[] timesMs, long callsPerRepeat) {
            double[] t = timesMs.clone();
            Arrays.sort(t);
            return new Stats(quantile(t, 0.5), quantile(t, 0.25), quantile(t, 0.75), t[0], t[t.length - 1], t.length, callsPerRepeat);
        }
    }

    /** The per-call times (milliseconds) of each timed repetition, and the calls in each. */
    public record Sample(double[] timesMs, long callsPerRepeat) {}

    private Timing() {}

    /** A clock for the protocol: runs the call {@code calls} times in a row and returns the milliseconds they took together. */
    @FunctionalInterface
    public interface BatchTimer {
        double timeMs(long calls);
    }

    /** Times {@code call} under the protocol with the wall clock. */
    public static Stats measure(Runnable call, Protocol p) {
        Sample s = sample(call, p);
        return Stats.of(s.timesMs(), s.callsPerRepeat());
    }

    /** How long the JIT compilers must have finished nothing before timing starts. */
    static final long QUIET_MS = 200;
    /** The longest the wait for quiet compilers may take. */
    static final long MAX_QUIET_WAIT_MS = 10_000;

    /**
     * Keeps calling {@code call} until the JVM's JIT compilers have completed no compilation for
     * {@code quietMs}, or {@code maxMs} have passed. Right after Tessera compiles a kernel, HotSpot's
     * C1 and C2 threads are still compiling the Java that ran (lowering, code generation, the call
     * path): on a 2-core machine they take a core from the kernel's worker thread. Measured on
     * conv2d 28x28 128->128 with 2 threads: the compilers used a third of the CPU during the timed
     * calls and the worker ran a quarter of the kernel's chunks (1.45-2.29 ms a call, against
     * 1.20-1.33 ms for the same kernel called from C).
     */
    static void awaitQuietJit(Runnable call) {
        awaitQuietJit(call, QUIET_MS, MAX_QUIET_WAIT_MS);
    }

    static void awaitQuietJit(Runnable call, long quietMs, long maxMs) {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
        long start = System.nanoTime(), quietSince = start, last = jit.getTotalCompilationTime();
        while (System.nanoTime() - start < maxMs * 1_000_000) {
            call.run();
            long now = System.nanoTime(), total = jit.getTotalCompilationTime();
            if (total != last) {
                last = total;
                quietSince = now;
            } else if (now - quietSince >= quietMs * 1_000_000) {
                return;
            }
        }
    }

    /** Times batches of calls under the protocol with the given clock (a GPU's events, say). */
    public static Stats measure(BatchTimer timer, Protocol p) {
        Sample s = sample(timer, p);
        return Stats.of(s.timesMs(), s.callsPerRepeat());
    }

    /** The timed repetitions of {@link #measure}, unsummarized. */
    public static Sample sample(BatchTimer timer, Protocol p) {
        double single = 0;
        for (int i = 0; i < Math.max(1, p.warmup()); i++) single = timer.timeMs(1);
        long batch = Math.max(1, (long) Math.ceil(p.minBatchMs() / Math.max(single, 1e-6)));
        double[] times = new double[p.repeats()];
        for (int r = 0; r < times.length; r++) times[r] = timer.timeMs(batch) / batch;
        return new Sample(times, batch);
    }

    /** {@link #sample} with the wall clock. */
    public static Sample sample(Runnable call, Protocol p) {
        return sample(calls -> {
            long s = System.nanoTime();
            for (long i = 0; i < calls; i++) call.run();
            return (System.nanoTime() - s) / 1e6;
        }, p);
    }

    /** Linear interpolation between closest ranks of sorted values (numpy's default rule). */
    static double quantile(double[] sorted, double q) {
        if (sorted.length == 1) return sorted[0];
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
