package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One attribute of an operator: a name, its legal values (the first is the default) and what it
 * means. Attributes configure an operator beyond its shape, e.g. {@code dense}'s
 * {@code activation=none|relu|gelu}; on the command line they are {@code --attr NAME=VALUE}.
 */
public record Attribute(String name, List<String> values, String description) {
    public Attribute {
        values = List.copyOf(values);
        if (values.isEmpty()) throw new IllegalArgumentException("attribute " + name + " has no values");
    }

    /** The value used when none is given. */
    public String defaultValue() { return values.get(0); }

    /**
     * The operator's attribute values after setting {@code updates}: its current values (see
     * {@link Operator#attributeValues()}) with the given ones replaced, in attribute order. Raises
     * {@link TesseraUserError} for an unknown attribute or an illegal value, listing the legal ones.
     */
    public static Map<String, String> resolve(Operator op, Map<String, String> updates) {
        Map<String, String> out = new LinkedHashMap<>(op.attributeValues());
        for (Attribute a : op.attributes()) out.putIfAbsent(a.name(), a.defaultValue());
        for (Map.Entry<String, String> e : updates.entrySet()) {
            Attribute a = op.attributes().stream().filter(x -> x.name().equals(e.getKey())).findFirst().orElseThrow(() ->
                    new TesseraUserError(op.attributes().isEmpty()
                            ? op.name() + " has no attributes; got " + e.getKey() + "=" + e.getValue()
                            : op.name() + " has no attribute '" + e.getKey() + "'; its attributes: "
                                    + op.attributes().stream().map(Attribute::usage).toList()));
            if (!a.values().contains(e.getValue()))
                throw new TesseraUserError(op.name() + ": " + a.name() + "=" + e.getValue() + " is not legal; legal values: "
                        + String.join(", ", a.values()) + " (default " + a.defaultValue() + ")");
            out.put(a.name(), e.getValue());
        }
        return out;
    }

    /** {@code name=v1|v2|...}, as the CLI lists it. */
    public String usage() { return name + "=" + String.join("|", values); }
}
