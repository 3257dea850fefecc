package dev.tessera.autotune;

import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures candidates in the tuner's own JVM: fast to start, but a crashing or hanging kernel takes
 * the tuner with it and there is no timeout. For tests and trusted spaces; {@link WorkerProcessMeasurer} is the default.
 */
public final class InProcessMeasurer implements Measurer {
    private final Options options;
    private final Map<TuningTask, OperatorInstance> built = new HashMap<>();

    public InProcessMeasurer(Options options) { this.options = options; }

    @Override public Outcome measure(TuningTask task, Target target, List<Step> trace) {
        OperatorInstance inst = built.computeIfAbsent(task, TuningTask::build);
        try {
            return KernelMeasurement.run(inst, target, trace, options);
        } catch (OutOfMemoryError e) {
            return Outcome.failed(TuningRecord.ErrorCode.OUT_OF_MEMORY, String.valueOf(e));
        }
    }
}
