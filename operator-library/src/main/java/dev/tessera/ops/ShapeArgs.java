package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;
import java.util.Arrays;

/** Validation of shape arguments, shared by the operators. */
final class ShapeArgs {
    private ShapeArgs() {}

    /** Checks the count and that every argument is positive, except those listed as allowed to be zero. */
    static long[] check(Operator op, long[] args, int... mayBeZero) {
        String[] names = op.shapeHelp().split(",");
        if (args.length != names.length)
            throw new TesseraUserError(op.name() + " takes " + names.length + " shape arguments " + op.shapeHelp() + ", got " + args.length
                    + ": " + Arrays.toString(args));
        for (int i = 0; i < args.length; i++) {
            final int idx = i;
            boolean zeroOk = Arrays.stream(mayBeZero).anyMatch(z -> z == idx);
            if (args[i] < 0 || (args[i] == 0 && !zeroOk))
                throw new TesseraUserError(op.name() + ": shape argument " + names[i] + " must be " + (zeroOk ? "non-negative" : "positive")
                        + ", got " + args[i] + " (shape " + op.shapeHelp() + " = " + Arrays.toString(args) + ")");
        }
        return args.clone();
    }

    /** The leading dimension: a fresh shape variable, or the constant. */
    static Expr leading(String name, long value, boolean symbolic) {
        return symbolic ? Te.shapeVar(name) : Te.c(value);
    }

    /** Shape arguments of a symbolic instance: the leading one marked symbolic. */
    static long[] symbolicArgs(long[] args) {
        long[] out = args.clone();
        out[0] = OperatorInstance.SYMBOLIC;
        return out;
    }
}
