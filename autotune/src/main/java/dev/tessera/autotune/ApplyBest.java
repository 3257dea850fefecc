package dev.tessera.autotune;

import dev.tessera.ir.DType;
import dev.tessera.lower.Workload;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Applies tuning logs: the fastest successful record for the workload on this exact target; else
 * the fastest on a compatible target (same backend and, for a CPU, vector width; for a GPU,
 * architecture), with a warning; else the operator's default schedule for the target (on a GPU,
 * {@link Operator#applyGpuSchedule}). Records whose trace no longer replays, or no longer lowers
 * for this target (on a GPU: fits its launch limits), are passed over.
 *
 * <p>{@link #chooseImplementation} also weighs the operators that compute the same result by
 * another algorithm ({@link Operator#alternatives}), as TVM's operator strategies pick among
 * implementations by their tuning records.
 */
public final class ApplyBest {
    /** Where the schedule came from. */
    public enum Source { EXACT_TARGET, COMPATIBLE_TARGET, DEFAULT_SCHEDULE }

    /** The chosen schedule, its source, the record used (null for the default) and a sentence saying which. */
    public record Choice(Schedule schedule, Source source, TuningRecord record, String message) {}

    /**
     * An implementation chosen among an operator and its alternatives: the operator that runs (the
     * one asked for or an alternative), its instance, its schedule choice, and a sentence saying
     * which and why.
     */
    public record Implementation(Operator operator, OperatorInstance instance, Choice choice, String message) {
        /** The schedule to compile. */
        public Schedule schedule() { return choice.schedule(); }
    }

    private ApplyBest() {}

    /**
     * The fastest of {@code op} and its {@link Operator#alternatives alternatives} for these shape
     * arguments, each under its own best record ({@link #choose}): a record measured on this exact
     * target beats one of a compatible target, and among equals the lower median wins. With no
     * usable record for any of them, {@code op} under its default schedule. The medians compared are
     * those the records hold, measured by the same protocol (prepacked weights packed ahead of the
     * timed calls) but possibly in different runs, as TVM compares implementations.
     */
    public static Implementation chooseImplementation(Operator op, long[] shapeArgs, DType dtype, Target target, List<TuningRecord> records,
                                                      Consumer<String> warnings) {
        List<Operator> candidates = new ArrayList<>();
        candidates.add(op);
        for (Operator alt : op.alternatives(op.checkShape(shapeArgs))) if (alt.dtypes().contains(dtype)) candidates.add(alt);
        Implementation best = null;
        List<String> bestWarnings = List.of();
        List<Implementation> all = new ArrayList<>();
        for (Operator candidate : candidates) {
            OperatorInstance inst = candidate.build(shapeArgs, dtype);
            List<String> heard = new ArrayList<>();
            Choice c = choose(candidate, inst, dtype, target, records, heard::add);
            Implementation impl = new Implementation(candidate, inst, c, c.message());
            all.add(impl);
            if (best == null || faster(impl.choice(), best.choice())) {
                best = impl;
                bestWarnings = heard;
            }
        }
        bestWarnings.forEach(warnings);
        if (all.size() == 1) return best;
        StringBuilder why = new StringBuilder(best.operator().describe());
        if (best.operator() != op) why.append(" (computes ").append(op.name()).append(" by another algorithm)");
        why.append(": ").append(best.choice().message()).append("; the others' best: ");
        List<String> others = new ArrayList<>();
        for (Implementation i : all)
            if (i != best)
                others.add(i.operator().describe() + (i.choice().record() == null ? " no record" : String.format(" %.3f ms", i.choice().record().medianMs())
                        + (i.choice().source() == Source.EXACT_TARGET ? "" : " (a compatible target's)")));
        why.append(String.join(", ", others));
        return new Implementation(best.operator(), best.instance(), best.choice(), why.toString());
    }

    /** Whether {@code a} beats {@code b}: a better source (exact target, compatible target, default), then a lower median. */
    private static boolean faster(Choice a, Choice b) {
        if (a.source() != b.source()) return a.source().ordinal() < b.source().ordinal();
        return a.record() != null && a.record().timing().medianNs() < b.record().timing().medianNs();
    }

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
