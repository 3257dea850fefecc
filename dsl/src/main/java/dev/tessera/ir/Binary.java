package dev.tessera.ir;

/**
 * A binary operation. Both operands have the same dtype (the DSL inserts casts); comparisons yield
 * bool, {@code AND}/{@code OR} take bool. On integers {@code DIV} is floor division and {@code MOD}
 * floor modulo (the result has the sign of the divisor); dividing by zero yields 0 rather than trapping.
 * On floats {@code DIV} is true division and {@code MOD} is {@code a - b * floor(a / b)}.
 */
public record Binary(Op op, Expr a, Expr b) implements Expr {
    /** The operators, with the symbol the printer uses. */
    public enum Op {
        ADD("+"), SUB("-"), MUL("*"), DIV("/"), MOD("%"), MIN("min"), MAX("max"),
        EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="), AND("&&"), OR("||");

        public final String symbol;
        Op(String symbol) { this.symbol = symbol; }

        public boolean isComparison() { return this == EQ || this == NE || this == LT || this == LE || this == GT || this == GE; }
        public boolean isLogical() { return this == AND || this == OR; }
    }

    public Binary {
        if (!a.type().equals(b.type()))
            throw new IllegalArgumentException("operands of " + op.symbol + " differ: " + a.type() + " vs " + b.type());
        if (op.isLogical() && !a.type().isBool())
            throw new IllegalArgumentException(op.symbol + " needs bool operands, got " + a.type());
    }

    @Override
    public DType type() {
        return op.isComparison() ? DType.BOOL.withLanes(a.type().lanes()) : a.type();
    }
}
