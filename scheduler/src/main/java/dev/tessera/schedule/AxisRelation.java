package dev.tessera.schedule;

/** How a stage's loop axes derive from one another: the splits and fuses applied so far. */
public sealed interface AxisRelation {
    /** {@code parent} split into {@code outer} and {@code inner}; exactly one of factor and nparts is positive. */
    record Split(LoopAxis parent, LoopAxis outer, LoopAxis inner, long factor, long nparts, TailStrategy tail) implements AxisRelation {}

    /** {@code outer} and {@code inner} fused into {@code fused}. */
    record Fuse(LoopAxis outer, LoopAxis inner, LoopAxis fused) implements AxisRelation {}
}
