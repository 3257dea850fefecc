package dev.tessera.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The configurations of an operator the tests cover: its defaults, then each other value of each attribute alone. */
final class OperatorVariants {
    private OperatorVariants() {}

    static List<Operator> of(Operator op) {
        List<Operator> out = new ArrayList<>(List.of(op));
        for (Attribute a : op.attributes())
            for (String v : a.values())
                if (!v.equals(a.defaultValue())) out.add(op.withAttributes(Map.of(a.name(), v)));
        return out;
    }
}
