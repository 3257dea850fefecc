package dev.tessera.lower.device;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.List;

/**
 * What the host does to run a {@link DeviceProgram}: launch kernels in order, allocating the
 * global buffers of intermediate stages around them, and choosing between specialized paths.
 * Expressions are i64 (or bool) over the program's shape parameters.
 */
public sealed interface HostStep {
    record Launch(GpuKernel kernel) implements HostStep {}

    record Sequence(List<HostStep> steps) implements HostStep {
        public Sequence { steps = List.copyOf(steps); }
    }

    record Let(Var var, Expr value, HostStep body) implements HostStep {}

    /** Runs {@code then} where {@code condition} holds, else {@code otherwise} (may be null). */
    record If(Expr condition, HostStep then, HostStep otherwise) implements HostStep {}

    /** A global buffer of {@code size} elements, live within {@code body}. */
    record Allocate(BufferRef buffer, Expr size, HostStep body) implements HostStep {}
}
