package dev.tessera.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything one comparison run measured, and the figures derived from it: rates, fractions of the
 * machine's limits, and {@code tessera / peer} speed ratios (peer time over Tessera time, so above 1
 * Tessera is faster). {@link ReportWriter} renders it.
 *
 * @param peak      the measured limits, or null when they could not be measured ({@code peakError} says why)
 * @param threads   the thread count every target ran with
 * @param versions  what the peer script reported about its libraries
 * @param figures   Tessera's and the peers' figures, any order
 * @param gpu       the GPU of a GPU run (its limits are then the device's: {@code peak} holds the
 *                  device-to-device copy bandwidth and no FMA peak), or null for a CPU run
 */
public record Report(Machine machine, Peak peak, String peakError, int threads, Timing.Protocol protocol, Map<String, String> versions,
                     List<Workload> workloads, List<Figure> figures, String date, String commit, GpuDevice gpu) {
    /** The target name of Tessera's figures. */
    public static final String TESSERA = "tessera";

    /**
     * The target name of the second figure of a Tessera kernel whose schedule prepacks a constant
     * input (a weight): the same kernel called plainly, so that it packs in every call, as a peer's
     * call that lays out its weights itself does (oneDNN reorders them in every PyTorch conv2d call).
     */
    public static final String TESSERA_PACKING_EVERY_CALL = "tessera-packing-every-call";

    public Report {
        versions = Map.copyOf(versions);
        workloads = List.copyOf(workloads);
        figures = List.copyOf(figures);
        if (peakError == null) peakError = "";
    }

    /** A report of a CPU run. */
    public Report(Machine machine, Peak peak, String peakError, int threads, Timing.Protocol protocol, Map<String, String> versions,
                  List<Workload> workloads, List<Figure> figures, String date, String commit) {
        this(machine, peak, peakError, threads, protocol, versions, workloads, figures, date, commit, null);
    }

    /**
     * The GPU a run measured (its kernels and the peers ran there; the host CPU is only the
     * launcher): name, backend ({@code cuda} or {@code opencl}), architecture, compute units
     * (SMs), driver and the compiler of Tessera's kernels.
     */
    public record GpuDevice(String name, String backend, String arch, int computeUnits, String driver, String compiler) {
        /** One line for reports. */
        public String describe() {
            return String.format(java.util.Locale.ROOT, "%s (%s, %s, %d %s), driver %s, kernels compiled by %s", name, backend, arch, computeUnits,
                    backend.equals("cuda") ? "SMs" : "compute units", driver, compiler);
        }
    }

    /** The figure of a target on a workload, or null when there is none. */
    public Figure figure(Workload w, String target) {
        for (Figure f : figures) if (f.workload().equals(w.id()) && f.target().equals(target)) return f;
        return null;
    }

    /** The workload a figure belongs to. */
    public Workload workloadOf(Figure f) {
        for (Workload w : workloads) if (w.id().equals(f.workload())) return w;
        throw new IllegalArgumentException("figure for unknown workload " + f.workload());
    }

    /** Floating-point operations of one call, as Tessera's operator counts them; NaN when Tessera did not run it. */
    public double flops(Workload w) {
        Figure t = figure(w, TESSERA);
        return t == null ? Double.NaN : t.flops();
    }

    /** Bytes one call must move, as Tessera's operator counts them; NaN when Tessera did not run it. */
    public double bytes(Workload w) {
        Figure t = figure(w, TESSERA);
        return t == null ? Double.NaN : t.bytes();
    }

    /** GFLOP/s of a figure, NaN when unknown. */
    public double gflops(Figure f) {
        double flops = flops(workloadOf(f));
        return f.isOk() && flops > 0 ? flops / (f.medianMs() * 1e6) : Double.NaN;
    }

    /** GB/s of a figure (bytes that must move over the median time), NaN when unknown. */
    public double gbps(Figure f) {
        double bytes = bytes(workloadOf(f));
        return f.isOk() && bytes > 0 ? bytes / (f.medianMs() * 1e6) : Double.NaN;
    }

    /** GFLOP/s over the FMA peak at the run's thread count (compute-bound workloads), else NaN. */
    public double fractionOfPeak(Figure f) {
        if (peak == null || workloadOf(f).bound() != Workload.Bound.COMPUTE) return Double.NaN;
        return gflops(f) / peak.fmaGflops(threads);
    }

    /** GB/s over the stream-copy bandwidth (memory-bound workloads), else NaN. */
    public double fractionOfStream(Figure f) {
        if (peak == null || workloadOf(f).bound() != Workload.Bound.MEMORY) return Double.NaN;
        return gbps(f) / peak.copyGbps();
    }

    /** {@code tessera / peer} as a speed ratio, NaN unless both ran. */
    public double ratio(Workload w, String peer) { return ratio(w, peer, TESSERA); }

    /** {@code tesseraTarget / peer} as a speed ratio ({@link #TESSERA} or {@link #TESSERA_PACKING_EVERY_CALL}), NaN unless both ran. */
    public double ratio(Workload w, String peer, String tesseraTarget) {
        Figure t = figure(w, tesseraTarget), p = figure(w, peer);
        if (t == null || p == null || !t.isOk() || !p.isOk()) return Double.NaN;
        return p.medianMs() / t.medianMs();
    }

    /** The peers that appear in any workload, in {@link Workload#KNOWN_PEERS} order. */
    public List<String> peers() {
        return Workload.KNOWN_PEERS.stream().filter(p -> workloads.stream().anyMatch(w -> w.peers().contains(p))).toList();
    }
}
