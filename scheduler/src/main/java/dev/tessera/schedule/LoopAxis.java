package dev.tessera.schedule;

import dev.tessera.ir.Axis;
import dev.tessera.ir.Var;

/**
 * A loop axis of a stage: a root axis of the compute, or one made by split or fuse. Equality is identity;
 * names are unique within a stage. The variable is the loop index once lowered.
 */
public final class LoopAxis {
    private final String name;
    private final Axis.Kind kind;
    private final Var var;

    LoopAxis(String name, Axis.Kind kind, Var var) {
        this.name = name;
        this.kind = kind;
        this.var = var;
    }

    public String name() { return name; }
    public Axis.Kind kind() { return kind; }
    public boolean isReduce() { return kind == Axis.Kind.REDUCE; }
    public Var var() { return var; }
    @Override public String toString() { return name; }
}
