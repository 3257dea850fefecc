package dev.tessera.autotune;

import dev.tessera.schedule.Step;
import java.util.List;
import java.util.Map;

/** A schedule to measure: its trace, and the knob values that produced it (empty outside a template space). */
public record Candidate(List<Step> trace, Map<String, Long> knobs) {
    public Candidate {
        trace = List.copyOf(trace);
        knobs = Map.copyOf(knobs);
    }
}
