package dev.tessera.autotune;

import dev.tessera.ops.Knob;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Target;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * The schedules a search may try for one compute definition. Sampling and mutation may return
 * traces that lowering rejects; the tuner filters those before measuring.
 */
public interface SearchSpace {
    /** "template", "automatic" or "automatic GPU". */
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
     * The cost model's feature vector of a candidate (its replayed schedule {@code s}), of a fixed
     * length per space; null when the candidate cannot be described (it does not lower).
     */
    default double[] features(Schedule s, Candidate c) { return ProgramFeatures.of(s, c, knobs()); }

    /**
     * The space a run searches on a CPU target: {@code template}, the operator's knobs;
     * {@code automatic}, schedules generated from the compute definition alone; {@code auto}, the
     * template when there is one. On a GPU target only the automatic GPU space exists (the
     * templates are CPU schedules): {@code auto} and {@code automatic} give it, {@code template} is
     * a user error.
     */
    static SearchSpace forTask(TuningTask task, OperatorInstance inst, String space, Target target) {
        return forTask(task, inst, space, target, java.util.Map.of());
    }

    /**
     * As {@link #forTask(TuningTask, OperatorInstance, String, Target)}, with the knobs in
     * {@code pinned} held at their given value (a template space only; each name and value is
     * checked against the operator's knobs).
     */
    static SearchSpace forTask(TuningTask task, OperatorInstance inst, String space, Target target, java.util.Map<String, Long> pinned) {
        SearchSpace s = forTaskUnpinned(task, inst, space, target);
        if (pinned.isEmpty()) return s;
        if (!(s instanceof TemplateSpace t))
            throw new dev.tessera.TesseraUserError("--knob pins knobs of an operator's template space; the " + s.kind() + " space has none");
        return t.pinned(task.op(), pinned);
    }

    private static SearchSpace forTaskUnpinned(TuningTask task, OperatorInstance inst, String space, Target target) {
        if (target.isGpu()) {
            if (space.equals("template"))
                throw new dev.tessera.TesseraUserError("template spaces are CPU-only (an operator's knobs configure its CPU schedule); on the "
                        + target.kind() + " target " + task.op() + " is tuned in the automatic GPU space: use --space auto or automatic");
            return new GpuAutomaticSpace(inst.outputs(), target);
        }
        boolean template = hasTemplate(task);
        if (space.equals("template") && !template)
            throw new dev.tessera.TesseraUserError(task.op() + " has no tunable template (no knobs); use --space automatic");
        if (template && !space.equals("automatic")) return new TemplateSpace(task, inst, task.operator().knobs(task.shape()));
        return new AutomaticSpace(inst.outputs(), target);
    }

    /** Whether the task is a built-in operator with knobs. */
    static boolean hasTemplate(TuningTask task) {
        return task.isOperator() && !task.operator().knobs(task.shape()).isEmpty();
    }
}
