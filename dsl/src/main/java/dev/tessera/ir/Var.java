package dev.tessera.ir;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A named variable: a loop index, a symbolic shape, or a let-bound value. Equality is identity:
 * two variables with the same name are different variables.
 */
public final class Var implements Expr {
    private static final AtomicLong IDS = new AtomicLong();
    private final String name;
    private final DType type;
    private final long id = IDS.incrementAndGet();

    public Var(String name, DType type) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("variable needs a name");
        this.name = name;
        this.type = type;
    }

    /** An index variable (i64), the type of every loop index and shape. */
    public static Var index(String name) { return new Var(name, DType.I64); }

    public String name() { return name; }
    @Override public DType type() { return type; }
    /** A process-unique number, used to make printed names unique. */
    public long id() { return id; }

    /** A fresh variable with the same name hint and a (possibly vector) type. */
    public Var copy(DType newType) { return new Var(name, newType); }

    @Override public String toString() { return name; }
}
