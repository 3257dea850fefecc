package dev.tessera.export;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One kernel of an export: an operator, its shape arguments (the leading one may be a name, e.g.
 * {@code N,128}, making it a symbolic dimension passed at call time), dtype, attributes and
 * schedule ({@code default}, {@code naive} or a JSON trace file), and the kernel's name in the
 * library (by default the operator's name).
 */
public record KernelRequest(String name, String operator, String shape, String dtype, Map<String, String> attributes, String schedule) {
    public KernelRequest {
        if (operator == null || operator.isBlank()) throw new TesseraUserError("every exported kernel needs an operator (--op)");
        attributes = attributes == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(attributes));
        if (schedule == null || schedule.isBlank()) schedule = "default";
        if (name != null && !name.matches("[A-Za-z_][A-Za-z0-9_]*"))
            throw new TesseraUserError("kernel name '" + name + "' is not a C identifier (letters, digits, _; not starting with a digit)");
    }

    /** The operator, configured with the attributes. */
    public Operator resolveOperator() {
        return Operators.get(operator).withAttributes(attributes);
    }

    /** The dtype asked for (the operator's default when none), checked against the operator's. */
    public DType resolveDtype() {
        Operator o = resolveOperator();
        return dtype == null || dtype.isBlank() ? o.dtypes().get(0) : o.checkDtype(DType.parse(dtype));
    }

    /** The shape text used: the one given, or the operator's first default shape. */
    public String shapeText() {
        return shape == null || shape.isBlank() ? resolveOperator().defaultShapes().get(0) : shape.trim();
    }

    /** Whether the leading shape argument is a name (a symbolic dimension). */
    public boolean symbolicLeading() {
        String first = shapeText().split("\\s*,\\s*", -1)[0].trim();
        return first.matches("[A-Za-z_][A-Za-z0-9_]*");
    }

    /** Builds the operator instance: concrete, or with a symbolic leading dimension. */
    public OperatorInstance build() {
        Operator o = resolveOperator();
        DType t = resolveDtype();
        String text = shapeText();
        if (!symbolicLeading()) return o.build(o.parseShape(text), t);
        String[] parts = text.split("\\s*,\\s*", -1);
        parts[0] = "1";
        return o.buildSymbolic(o.parseShape(String.join(",", parts)), t);
    }
}
