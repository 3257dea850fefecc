package dev.tessera.lower;

import dev.tessera.dsl.ComputeOp;
import dev.tessera.dsl.Operation;
import dev.tessera.dsl.PlaceholderOp;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.Expr;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The structural identity of a compute definition: every operation (placeholders with their
 * dtypes and shapes, computes with their axes and bodies) printed in producer-first order. Two
 * definitions built separately but alike have the same text and hash; the compile cache and tuning
 * logs key on it.
 */
public final class Workload {
    private Workload() {}

    public static String describe(List<Tensor> outputs) {
        Set<Operation> ops = new LinkedHashSet<>();
        for (Tensor t : outputs) collect(t.op(), ops);
        StringBuilder sb = new StringBuilder();
        for (Operation op : ops) {
            switch (op) {
                case PlaceholderOp p -> {
                    Tensor t = p.outputs().get(0);
                    sb.append("placeholder ").append(p.name()).append(": ").append(t.dtype()).append(shape(t.shape())).append('\n');
                }
                case ComputeOp c -> {
                    sb.append("compute ").append(c.name()).append('(');
                    for (Axis a : c.allAxes())
                        sb.append(a.kind() == Axis.Kind.REDUCE ? "reduce " : "").append(a.name()).append(" < ").append(IRPrinter.print(a.extent())).append(", ");
                    sb.append(")\n");
                    for (Expr b : c.bodies()) sb.append("  = ").append(IRPrinter.print(b)).append('\n');
                }
            }
        }
        for (Tensor t : outputs) sb.append("output ").append(t.name()).append('\n');
        return sb.toString();
    }

    /** SHA-256 of {@link #describe}, in hex. */
    public static String hash(List<Tensor> outputs) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(describe(outputs).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void collect(Operation op, Set<Operation> out) {
        if (out.contains(op)) return;
        for (Tensor in : op.inputs()) collect(in.op(), out);
        out.add(op);
    }

    private static String shape(List<Expr> shape) {
        return shape.stream().map(IRPrinter::print).toList().toString();
    }
}
