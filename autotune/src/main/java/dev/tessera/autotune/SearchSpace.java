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

    /**
     * The space a run searches: {@code template}, the operator's knobs; {@code automatic}, schedules
     * generated from the compute definition alone; {@code auto}, the template when there is one.
     */
    static SearchSpace forTask(TuningTask task, OperatorInstance inst, String space) {
        boolean template = hasTemplate(task);
        if (space.equals("template") && !template)
            throw new dev.tessera.TesseraUserError(task.op() + " has no tunable template (no knobs); use --space automatic");
        if (template && !space.equals("automatic")) return new TemplateSpace(task, inst, task.operator().knobs(task.shape()));
        return new AutomaticSpace(inst.outputs());
    }

    static SearchSpace forTask(TuningTask task, OperatorInstance inst) { return forTask(task, inst, "auto"); }

    /** Whether the task is a built-in operator with knobs. */
    static boolean hasTemplate(TuningTask task) {
        return task.isOperator() && !task.operator().knobs(task.shape()).isEmpty();
    }
}
