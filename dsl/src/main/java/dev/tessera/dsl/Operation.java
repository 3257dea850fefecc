package dev.tessera.dsl;

import java.util.List;

/** What produces a tensor: an input placeholder or a compute stage. */
public sealed interface Operation permits PlaceholderOp, ComputeOp {
    String name();

    List<Tensor> outputs();

    /** The tensors this operation reads directly. */
    List<Tensor> inputs();
}
