package dev.tessera.autotune;

import dev.tessera.ops.Knob;
import dev.tessera.ops.OperatorInstance;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The schedules a search may try for one compute definition. Sampling and mutation may return
 * traces that lowering rejects; the tuner filters those before measuring.
 */
public interface SearchSpace {
    /** "template" or "automatic". */
    String kind();

    /** The knobs of a template space (empty for an automatic one); cost-model features include their values. */
    List<Knob> knobs();

    /** A random point. */
    Candidate sample(Random rnd);

    /** A point near {@code c}: one knob changed, or one step of the trace perturbed. */
    Candidate mutate(Candidate c, Random rnd);

    /** Every point in a fixed order, if there are at most {@code limit}. */
    Optional<List<Candidate>> enumerate(int limit);

    /** The operator's template space when it has knobs, else the automatic space over its definition. */
    static SearchSpace forTask(TuningTask task, OperatorInstance inst) {
        if (task.isOperator()) {
            List<Knob> knobs = task.operator().knobs(task.shape());
            if (!knobs.isEmpty()) return new TemplateSpace(task, inst, knobs);
        }
        return new AutomaticSpace(inst.outputs());
    }
}
