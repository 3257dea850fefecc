package dev.tessera.bench;

import dev.tessera.TesseraUserError;
import java.util.List;

/**
 * One row of the workload table: an id, the workload kind the peers implement ({@code gemm},
 * {@code conv}, {@code softmax}, {@code layernorm}, {@code caps-route}, {@code caps-conv}), the
 * Tessera operator (a name, or a name with attribute values such as
 * {@code conv2d_winograd[output_tile=4]}) and its shape arguments (which the peers read the same way), a label for reports,
 * whether the kernel is compute- or memory-bound (what its rate is a fraction of), the peers it
 * is compared with, and whether Tessera may run an alternative to the operator, one that computes
 * it by another algorithm (conv2d by conv2d_winograd), when its tuning records are faster, as
 * {@code tessera bench} does; a row that pins the operator's own algorithm says
 * {@code "alternatives": false}.
 */
public record Workload(String id, String kind, String operator, String shape, String label, Bound bound, List<String> peers, boolean alternatives) {
    /** What a kernel's rate is compared with: the FMA peak (GFLOP/s) or the stream-copy bandwidth (GB/s). */
    public enum Bound { COMPUTE, MEMORY }

    /** The peers the harness knows, in report column order. */
    public static final List<String> KNOWN_PEERS = List.of("openblas", "cublas", "pytorch", "halide");

    public Workload {
        if (id == null || id.isBlank()) throw new TesseraUserError("a workload needs an id");
        if (kind == null || kind.isBlank()) throw new TesseraUserError("workload " + id + " needs a kind");
        if (operator == null || operator.isBlank()) throw new TesseraUserError("workload " + id + " needs an operator");
        if (shape == null || !shape.matches("\\s*\\d+(\\s*,\\s*\\d+)*\\s*"))
            throw new TesseraUserError("workload " + id + ": shape '" + shape + "' is not a comma-separated list of integers");
        shape = shape.replaceAll("\\s", "");
        if (label == null || label.isBlank()) label = shape;
        if (bound == null) throw new TesseraUserError("workload " + id + " needs a bound: compute or memory");
        peers = List.copyOf(peers == null ? List.of() : peers);
        for (String p : peers)
            if (!KNOWN_PEERS.contains(p))
                throw new TesseraUserError("workload " + id + ": unknown peer '" + p + "'; known peers: " + String.join(", ", KNOWN_PEERS));
    }

    /** A workload that may run an alternative implementation (the table's default). */
    public Workload(String id, String kind, String operator, String shape, String label, Bound bound, List<String> peers) {
        this(id, kind, operator, shape, label, bound, peers, true);
    }

    /** A workload for an operator and shape with no peers, e.g. from {@code matmul:256,256,256}. */
    public static Workload adHoc(String operatorAndShape) {
        int colon = operatorAndShape.indexOf(':');
        if (colon < 0) throw new TesseraUserError("'" + operatorAndShape + "' is neither a workload id nor OPERATOR:SHAPE (e.g. matmul:256,256,256)");
        String op = operatorAndShape.substring(0, colon), shape = operatorAndShape.substring(colon + 1).replace('x', ',');
        return new Workload(operatorAndShape, op, op, shape, shape, Bound.COMPUTE, List.of());
    }
}
