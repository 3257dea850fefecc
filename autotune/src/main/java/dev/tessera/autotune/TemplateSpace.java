package dev.tessera.autotune;

import dev.tessera.ops.Knob;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The search space of an operator's tunable schedule: one choice per knob. A point's trace is what
 * {@code applyTunedSchedule} records for that configuration; a combination the template rejects
 * yields an empty trace marked invalid (the tuner filters it).
 */
final class TemplateSpace implements SearchSpace {
    private final TuningTask task;
    private final OperatorInstance inst;
    private final List<Knob> knobs;

    TemplateSpace(TuningTask task, OperatorInstance inst, List<Knob> knobs) {
        this.task = task;
        this.inst = inst;
        this.knobs = List.copyOf(knobs);
    }

    @Override public String kind() { return "template"; }

    /** This space with each knob in {@code values} held at that value (checked as the schedule checks a configuration). */
    TemplateSpace pinned(String operator, Map<String, Long> values) {
        Map<String, Long> checked = Knob.resolve(operator, knobs, values);
        List<Knob> narrowed = knobs.stream()
                .map(k -> values.containsKey(k.name()) ? new Knob(k.name(), List.of(checked.get(k.name())), checked.get(k.name())) : k)
                .toList();
        return new TemplateSpace(task, inst, narrowed);
    }

    @Override public List<Knob> knobs() { return knobs; }

    /** The number of configurations. */
    long size() {
        long n = 1;
        for (Knob k : knobs) n = Math.multiplyExact(n, (long) k.choices().size());
        return n;
    }

    @Override public Candidate sample(Random rnd) {
        Map<String, Long> config = new LinkedHashMap<>();
        for (Knob k : knobs) config.put(k.name(), k.choices().get(rnd.nextInt(k.choices().size())));
        return at(config);
    }

    @Override public Candidate mutate(Candidate c, Random rnd) {
        Map<String, Long> config = new LinkedHashMap<>(c.knobs());
        List<Knob> movable = knobs.stream().filter(k -> k.choices().size() > 1).toList();
        if (movable.isEmpty()) return c;
        Knob k = movable.get(rnd.nextInt(movable.size()));
        int at = k.choices().indexOf(config.getOrDefault(k.name(), k.defaultValue()));
        // mostly a neighbouring choice (choices are ordered), sometimes any
        int next = rnd.nextInt(4) == 0 ? rnd.nextInt(k.choices().size())
                : Math.floorMod(at + (rnd.nextBoolean() ? 1 : -1), k.choices().size());
        config.put(k.name(), k.choices().get(next));
        return at(config);
    }

    @Override public Optional<List<Candidate>> enumerate(int limit) {
        long size;
        try {
            size = size();
        } catch (ArithmeticException e) {
            return Optional.empty();
        }
        if (size > limit) return Optional.empty();
        List<Candidate> out = new ArrayList<>();
        for (long i = 0; i < size; i++) {
            Map<String, Long> config = new LinkedHashMap<>();
            long rest = i;
            for (Knob k : knobs) {
                int n = k.choices().size();
                config.put(k.name(), k.choices().get((int) (rest % n)));
                rest /= n;
            }
            out.add(at(config));
        }
        return Optional.of(out);
    }

    /** The candidate for a configuration; an empty trace with the configuration when the template rejects it. */
    Candidate at(Map<String, Long> config) {
        List<Step> trace;
        try {
            Schedule s = Schedule.create(inst.outputs());
            task.operator().applyTunedSchedule(s, task.shape(), config);
            trace = s.trace();
        } catch (RuntimeException e) {
            trace = List.of(INVALID);
        }
        return new Candidate(trace, config);
    }

    /** A step no schedule accepts: marks a configuration the template could not apply. */
    static final Step INVALID = new Step.ComputeInline("<template rejected this configuration>");
}
