package dev.tessera.schedule;

/** How a loop runs: in order, across the thread pool, as one vector, or copied out. */
public enum LoopKind { SERIAL, PARALLEL, VECTORIZED, UNROLLED }
