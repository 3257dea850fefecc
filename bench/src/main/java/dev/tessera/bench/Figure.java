package dev.tessera.bench;

/**
 * One measured figure: a workload on a target ({@code tessera} or a peer), its timing, and the
 * correctness check that went with it. A target that cannot run the workload gives a figure with a
 * status other than {@link Status#OK} and a message saying why; it has no stats.
 *
 * @param maxAbsError   largest absolute difference from the reference (Tessera: the reference
 *                      interpreter; peers: an independent float64 NumPy computation)
 * @param checkedPoints how many output points that covers (0 when the peer checked all of them)
 * @param flops         floating-point operations of one call, NaN when unknown
 * @param bytes         bytes one call must move, NaN when unknown
 * @param note          what ran (e.g. the peer's API call or schedule)
 */
public record Figure(String workload, String target, Status status, String message, Timing.Stats stats,
                     double maxAbsError, long checkedPoints, double flops, double bytes, String note) {
    /** Whether the figure holds a measurement. */
    public enum Status {
        OK("ok"), NOT_AVAILABLE("not available"), FAILED("failed");

        private final String text;
        Status(String text) { this.text = text; }
        public String text() { return text; }
    }

    public Figure {
        if (status == Status.OK && stats == null) throw new IllegalArgumentException("an ok figure needs stats");
        if (message == null) message = "";
        if (note == null) note = "";
    }

    /** A measured figure. */
    public static Figure ok(String workload, String target, Timing.Stats stats, double maxAbsError, long checkedPoints,
                            double flops, double bytes, String note) {
        return new Figure(workload, target, Status.OK, "", stats, maxAbsError, checkedPoints, flops, bytes, note);
    }

    /** A figure for a target that cannot run the workload (an operator not registered, a peer not installed). */
    public static Figure notAvailable(String workload, String target, String why) {
        return new Figure(workload, target, Status.NOT_AVAILABLE, why, null, Double.NaN, 0, Double.NaN, Double.NaN, "");
    }

    /** A figure for a run that failed. */
    public static Figure failed(String workload, String target, String why) {
        return new Figure(workload, target, Status.FAILED, why, null, Double.NaN, 0, Double.NaN, Double.NaN, "");
    }

    public boolean isOk() { return status == Status.OK; }

    /** This figure with other timing statistics (an ok figure's rounds pooled). */
    public Figure withStats(Timing.Stats s) {
        return new Figure(workload, target, status, message, s, maxAbsError, checkedPoints, flops, bytes, note);
    }

    /** Median milliseconds per call, NaN without a measurement. */
    public double medianMs() { return isOk() ? stats.medianMs() : Double.NaN; }
}
