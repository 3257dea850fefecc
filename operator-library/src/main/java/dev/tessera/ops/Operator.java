package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.schedule.Schedule;
import java.util.List;
import java.util.Map;

/**
 * A built-in operator: its compute definition for given shape arguments, a symbolic variant whose
 * leading dimension is a shape variable, a default CPU schedule, and its work and traffic for
 * reporting achieved rates.
 */
public interface Operator {
    /** The snake_case name the CLI and tuning logs use, e.g. "matmul". */
    String name();

    /** The shape arguments, comma-separated, e.g. "M,N,K". */
    String shapeHelp();

    /** Representative shape arguments (comma-separated, in {@link #shapeHelp()} order) for benchmarks and smoke runs. */
    List<String> defaultShapes();

    /**
     * Small shapes with awkward sizes (tails, guards, odd channel counts) on which the differential
     * suite checks random schedules against the reference interpreter; the first is also used for the
     * symbolic-leading-dimension variant.
     */
    List<String> testShapes();

    /** Validates shape arguments (count, positivity; operators add their own rules), raising {@link TesseraUserError}. */
    default long[] checkShape(long[] shapeArgs) { return ShapeArgs.check(this, shapeArgs); }

    /** The definition for checked shape arguments; with {@code symbolicLeading} the leading dimension is a {@code Te.shapeVar}. */
    OperatorInstance define(long[] checkedShapeArgs, boolean symbolicLeading);

    /** The definition for concrete shape arguments; raises {@link TesseraUserError} on a wrong count or a non-positive value. */
    default OperatorInstance build(long[] shapeArgs) { return define(checkShape(shapeArgs), false); }

    /** The definition with the leading dimension (batch or rows) a {@code Te.shapeVar}, the rest from the first default shape. */
    default OperatorInstance buildSymbolic() { return buildSymbolic(parseShape(defaultShapes().get(0))); }

    /** The definition with the leading dimension a {@code Te.shapeVar}; {@code shapeArgs[0]} is ignored and the rest are used. */
    default OperatorInstance buildSymbolic(long[] shapeArgs) {
        long[] a = shapeArgs.clone();
        if (a.length > 0) a[0] = 1;
        return define(checkShape(a), true);
    }

    /**
     * Applies a reasonable CPU schedule, valid for every shape (symbolic ones included): a parallel
     * outer loop, the innermost spatial loop split by 16 (guarded tail) and vectorized.
     */
    void applyDefaultSchedule(Schedule s);

    /**
     * The tunable schedule's knobs for these shape arguments (split factors, placements, annotations
     * as numbered choices); empty when the operator has no template. The autotuner searches them.
     */
    default List<Knob> knobs(long[] shapeArgs) { return List.of(); }

    /**
     * Applies the tunable schedule with one value per knob (missing knobs take their defaults).
     * Operators without knobs apply their default schedule.
     */
    default void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) { applyDefaultSchedule(s); }

    /** Floating-point operations of one run. */
    double flops(long[] shapeArgs);

    /** Bytes that must move to and from memory in one run (each input read once, each output written once). */
    double bytes(long[] shapeArgs);

    /** Parses shape arguments written as in {@link #shapeHelp()}, e.g. "1024,512,256". */
    default long[] parseShape(String text) {
        String[] parts = text.trim().split("\\s*[,x]\\s*", -1);
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new TesseraUserError(name() + ": shape '" + text + "' is not a list of integers " + shapeHelp());
            }
        }
        return out;
    }
}
