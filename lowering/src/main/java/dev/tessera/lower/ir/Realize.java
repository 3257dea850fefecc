package dev.tessera.lower.ir;

import dev.tessera.dsl.ComputeOp;
import dev.tessera.ir.Expr;
import java.util.List;

/**
 * The scope in which an intermediate stage's values exist: it computes the box
 * {@code [mins[d], mins[d] + extents[d])} and stores it in storage of {@code storageExtents}
 * (upper bounds of the extents over every iteration). Before bounds inference the region lists are empty.
 */
public record Realize(ComputeOp op, List<Expr> mins, List<Expr> extents, List<Expr> storageExtents, Stmt body) implements Stmt {
    public Realize {
        mins = List.copyOf(mins);
        extents = List.copyOf(extents);
        storageExtents = List.copyOf(storageExtents);
    }

    public boolean hasRegion() { return !mins.isEmpty(); }
}
