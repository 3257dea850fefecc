package dev.tessera.autotune;

import dev.tessera.ir.DType;
import dev.tessera.lower.Workload;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Applies tuning logs: the fastest successful record for the workload on this exact target; else
 * the fastest on a compatible target (same backend and, for a CPU, vector width; for a GPU,
 * architecture), with a warning; else the operator's default schedule for the target (on a GPU,
 * {@link Operator#applyGpuSchedule}). Records whose trace no longer replays, or no longer lowers
 * for this target (on a GPU: fits its launch limits), are passed over.
 */
public final class ApplyBest {
    /** Where the schedule came from. */
    public enum Source { EXACT_TARGET, COMPATIBLE_TARGET, DEFAULT_SCHEDULE }

    /** The chosen schedule, its source, the record used (null for the default) and a sentence saying which. */
    public record Choice(Schedule schedule, Source source, TuningRecord record, String message) {}

    private ApplyBest() {}

    /** The best schedule for this operator instance on {@code target} from {@code records}. */
    public static Choice choose(Operator op, OperatorInstance inst, DType dtype, Target target, List<TuningRecord> records, Consumer<String> warnings) {
        String hash = Workload.hash(inst.outputs());
        TuningRecord.TargetInfo here = TuningRecord.TargetInfo.of(target);
        Backend backend = Backend.byName(target.kind());
        List<TuningRecord> ok = records.stream()
                .filter(r -> r.ok() && r.workload().structuralHash().equals(hash))
                .sorted(Comparator.comparingLong(r -> r.timing().medianNs())).toList();
        for (TuningRecord r : ok) {
            if (!r.target().fingerprint().equals(here.fingerprint())) continue;
            Schedule s = usable(inst, r, backend, target);
            if (s != null) return new Choice(s, Source.EXACT_TARGET, r, "using " + describe(r) + " measured on this target");
        }
        for (TuningRecord r : ok) {
            if (!r.target().compatibleWith(here)) continue;
            Schedule s = usable(inst, r, backend, target);
            if (s != null) {
                String msg = "using " + describe(r) + " measured on a compatible target (" + r.target().describe() + "; this is " + here.describe() + ")";
                warnings.accept("warning: no tuning record for this target; " + msg);
                return new Choice(s, Source.COMPATIBLE_TARGET, r, msg);
            }
        }
        Schedule s = Schedule.create(inst.outputs());
        if (target.isGpu()) op.applyGpuSchedule(s);
        else op.applyDefaultSchedule(s);
        return new Choice(s, Source.DEFAULT_SCHEDULE, null, "no usable tuning record for " + op.name() + " on this or a compatible target; using the default "
                + (target.isGpu() ? "GPU schedule" : "schedule"));
    }

    /** The record's schedule if it replays and lowers for the target, else null. */
    private static Schedule usable(OperatorInstance inst, TuningRecord r, Backend backend, Target target) {
        try {
            Schedule s = Schedule.replay(inst.outputs(), r.trace());
            backend.validate(s, target);
            return s;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String describe(TuningRecord r) {
        return "record " + r.provenance().strategy() + " seed " + r.provenance().seed() + " trial " + r.provenance().trial()
                + String.format(" (%.3f ms, %s)", r.medianMs(), r.timestamp());
    }
}
