package dev.tessera.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * The machine's measured limits: the FP32 FMA peak by thread count (GFLOP/s) and the stream-copy
 * bandwidth (GB/s, read plus written bytes) with {@code copyThreads} threads, from {@link PeakProbe}.
 */
public record Peak(String isa, Map<Integer, Double> fmaGflops, int copyThreads, double copyGbps, String how) {
    public Peak {
        fmaGflops = new TreeMap<>(fmaGflops);
    }

    /** The FMA peak for a thread count, NaN when it was not measured. */
    public double fmaGflops(int threads) { return fmaGflops.getOrDefault(threads, Double.NaN); }
}
