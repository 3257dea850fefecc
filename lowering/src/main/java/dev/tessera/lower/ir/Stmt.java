package dev.tessera.lower.ir;

/**
 * A statement of the loop-nest IR. Before storage flattening a nest holds {@link Realize} and
 * {@link Provide} (multi-dimensional, per tensor); after it, {@link Allocate} and {@link Store}
 * over flat {@link dev.tessera.ir.BufferRef}s. Backends see only the flattened form.
 */
public sealed interface Stmt permits For, LetStmt, IfThenElse, Block, Store, Allocate, Provide, Realize, Prefetch, Barrier, CrossThreadReduce {
}
