package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One parameter of an operator's tunable schedule: a name, its candidate values and the value the
 * default schedule uses. Choices that are not numbers (a placement, a loop order) are numbered.
 */
public record Knob(String name, List<Long> choices, long defaultValue) {
    public Knob {
        choices = List.copyOf(choices);
        if (choices.isEmpty()) throw new IllegalArgumentException("knob " + name + " has no choices");
        if (!choices.contains(defaultValue)) throw new IllegalArgumentException("knob " + name + ": default " + defaultValue + " is not a choice " + choices);
    }

    /** The configured value of this knob, or its default; raises {@link TesseraUserError} for a value that is not a choice. */
    public long valueIn(Map<String, Long> config) {
        Long v = config.get(name);
        if (v == null) return defaultValue;
        if (!choices.contains(v))
            throw new TesseraUserError("knob " + name + " = " + v + " is not one of its choices " + choices);
        return v;
    }

    /**
     * One value per knob: the configured one (checked against the knob's choices) or its default.
     * Raises {@link TesseraUserError} for a configured name that is not one of the knobs.
     */
    public static Map<String, Long> resolve(String operator, List<Knob> knobs, Map<String, Long> config) {
        for (String name : config.keySet())
            if (knobs.stream().noneMatch(k -> k.name().equals(name)))
                throw new TesseraUserError(operator + " has no schedule knob '" + name + "'; its knobs: "
                        + (knobs.isEmpty() ? "none" : knobs.stream().map(Knob::name).toList()));
        Map<String, Long> out = new LinkedHashMap<>();
        for (Knob k : knobs) out.put(k.name(), k.valueIn(config));
        return out;
    }
}
