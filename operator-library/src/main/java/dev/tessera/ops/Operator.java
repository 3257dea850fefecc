package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.schedule.GpuSchedules;
import dev.tessera.schedule.Schedule;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A built-in operator: its compute definition for given shape arguments, a symbolic variant whose
 * leading dimension is a shape variable, a default CPU schedule, and its work and traffic for
 * reporting achieved rates.
 *
 * <p>Two optional dimensions configure an operator beyond its shape. Its <em>dtype</em> is chosen
 * per build among {@link #dtypes()} (f32 unless an operator lists more, e.g. matmul's f64). Its
 * <em>attributes</em> ({@link #attributes()}, e.g. dense's {@code activation=relu}) are named choices
 * among listed values, set with {@link #withAttributes}, which returns the configured operator; the
 * registry holds each operator with its default attributes.
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

    /**
     * How many random schedules the differential suite checks (at most the suite's global count).
     * Operators with dozens of stages, whose kernels take long to compile, check fewer.
     */
    default int differentialSchedules() { return 200; }

    /** Validates shape arguments (count, positivity; operators add their own rules), raising {@link TesseraUserError}. */
    default long[] checkShape(long[] shapeArgs) { return ShapeArgs.check(this, shapeArgs); }

    /** The definition for checked shape arguments; with {@code symbolicLeading} the leading dimension is a {@code Te.shapeVar}. */
    OperatorInstance define(long[] checkedShapeArgs, boolean symbolicLeading);

    /**
     * The definition for concrete shape arguments in the default dtype; raises {@link TesseraUserError}
     * on a wrong count or a non-positive value.
     */
    default OperatorInstance build(long[] shapeArgs) { return build(shapeArgs, dtypes().get(0)); }

    // ---- dtypes ----

    /** The element dtypes this operator is defined for; the first is the default. */
    default List<DType> dtypes() { return List.of(DType.F32); }

    /** Returns {@code dtype} if this operator supports it; raises {@link TesseraUserError} listing the supported ones otherwise. */
    default DType checkDtype(DType dtype) {
        if (!dtypes().contains(dtype))
            throw new TesseraUserError(name() + " does not support dtype " + dtype + "; supported dtypes: "
                    + dtypes().stream().map(DType::toString).collect(Collectors.joining(", ")));
        return dtype;
    }

    /**
     * The definition in a given dtype. Operators with one dtype keep this default, which checks the
     * dtype and delegates to {@link #define(long[], boolean)}; operators with several override it
     * (and make the two-argument form use their default dtype).
     */
    default OperatorInstance define(long[] checkedShapeArgs, boolean symbolicLeading, DType dtype) {
        checkDtype(dtype);
        return define(checkedShapeArgs, symbolicLeading);
    }

    /** {@link #build(long[])} in a given dtype; raises {@link TesseraUserError} for an unsupported one. */
    default OperatorInstance build(long[] shapeArgs, DType dtype) {
        checkDtype(dtype);
        return define(checkShape(shapeArgs), false, dtype);
    }

    /** {@link #buildSymbolic(long[])} in a given dtype (shape arguments are checked with the leading one set to 1). */
    default OperatorInstance buildSymbolic(long[] shapeArgs, DType dtype) {
        checkDtype(dtype);
        long[] a = shapeArgs.clone();
        if (a.length > 0) a[0] = 1;
        return define(checkShape(a), true, dtype);
    }

    /**
     * Other operators that compute this one's outputs from the same inputs, in the same order, for
     * the same shape arguments and dtype, by another algorithm: conv2d's 3x3, stride-1 layers by
     * Winograd ({@code conv2d_winograd}, both tile sizes). Applying tuning logs weighs them against
     * this operator by their best records, as TVM's operator strategies weigh implementations.
     * Empty for most operators and shapes; never contains this operator itself.
     */
    default List<Operator> alternatives(long[] checkedShapeArgs) { return List.of(); }

    // ---- attributes ----

    /** The attributes this operator takes, with their legal values and defaults; empty for most operators. */
    default List<Attribute> attributes() { return List.of(); }

    /** The value of every attribute of this (configured) operator, in {@link #attributes()} order. */
    default Map<String, String> attributeValues() { return Map.of(); }

    /**
     * This operator with some attributes set (the others keep their current values). Raises
     * {@link TesseraUserError} for an unknown attribute or an illegal value, listing the legal ones.
     */
    default Operator withAttributes(Map<String, String> values) {
        Attribute.resolve(this, values);
        return this;
    }

    /** The name with the attribute values, e.g. {@code dense[activation=relu]}; just the name for an operator without attributes. */
    default String describe() {
        Map<String, String> v = attributeValues();
        if (v.isEmpty()) return name();
        return name() + v.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "[", "]"));
    }

    /** The definition with the leading dimension (batch or rows) a {@code Te.shapeVar}, the rest from the first default shape. */
    default OperatorInstance buildSymbolic() { return buildSymbolic(parseShape(defaultShapes().get(0))); }

    /** The definition with the leading dimension a {@code Te.shapeVar}; {@code shapeArgs[0]} is ignored and the rest are used. */
    default OperatorInstance buildSymbolic(long[] shapeArgs) { return buildSymbolic(shapeArgs, dtypes().get(0)); }

    /**
     * Applies a reasonable CPU schedule, valid for every shape (symbolic ones included): a parallel
     * outer loop, the innermost spatial loop split by 16 (guarded tail) and vectorized.
     */
    void applyDefaultSchedule(Schedule s);

    /**
     * Applies the default schedule for GPU targets (CUDA, OpenCL), valid for every shape, symbolic
     * ones included. The default is {@link GpuSchedules#applyDefault}'s automatic binding (blocks
     * and threads over the output, reductions per thread); operators with a better-known GPU
     * structure (matmul's shared-memory tiles, row operators' block per row) override it.
     */
    default void applyGpuSchedule(Schedule s) { GpuSchedules.applyDefault(s); }

    /**
     * The tunable schedule's knobs for these shape arguments (split factors, placements, annotations
     * as numbered choices); empty when the operator has no template. The autotuner searches them.
     * Each knob's default is the default schedule's choice, so that applying the tunable schedule
     * with an empty configuration gives exactly {@link #applyDefaultSchedule}'s trace. Widths in
     * vectors (not lanes) keep the knobs the same for every dtype.
     */
    default List<Knob> knobs(long[] shapeArgs) { return List.of(); }

    /**
     * Applies the tunable schedule with one value per knob (missing knobs take their defaults).
     * Operators without knobs apply their default schedule. Raises {@link TesseraUserError} for a
     * knob the operator does not have or a value that is not one of its choices.
     */
    default void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) {
        Knob.resolve(name(), knobs(shapeArgs), config);
        applyDefaultSchedule(s);
    }

    /** Floating-point operations of one run. */
    double flops(long[] shapeArgs);

    /** Bytes that must move to and from memory in one run (each input read once, each output written once), in f32. */
    double bytes(long[] shapeArgs);

    /** {@link #bytes(long[])} for elements of another dtype (the same element counts). */
    default double bytes(long[] shapeArgs, DType dtype) { return bytes(shapeArgs) * dtype.bytes() / 4.0; }

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
