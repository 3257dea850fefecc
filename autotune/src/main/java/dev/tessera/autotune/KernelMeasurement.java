package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.TuningRecord.ErrorCode;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.target.Backend;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.KernelArguments;
import dev.tessera.target.Target;
import java.util.Arrays;
import java.util.List;

/**
 * Compiles one candidate with the target's backend, runs, times and checks it in this process.
 * Lowering errors (an invalid schedule, a launch the device cannot run) are told apart from
 * compile errors. Inputs are seeded random values;
 * up to {@link ExpectedOutputs#CHECKED_POINTS} output points per output (all of a small output) are
 * compared with the reference interpreter's values, computed once per workload ({@link ExpectedOutputs}). Shared by the in-process measurer and the worker process.
 */
final class KernelMeasurement {
    private KernelMeasurement() {}

    static Measurer.Outcome run(OperatorInstance inst, Target target, List<Step> trace, Measurer.Options opts) {
        Backend backend = Backend.byName(target.kind());
        Schedule schedule;
        try {
            schedule = Schedule.replay(inst.outputs(), trace);
            backend.validate(schedule, target);
        } catch (TesseraUserError e) {
            return Measurer.Outcome.failed(ErrorCode.LOWERING_FAILED, e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            return Measurer.Outcome.failed(ErrorCode.LOWERING_FAILED, "internal error: " + e);
        }
        CompiledKernel kernel;
        try {
            kernel = backend.compile(schedule, "tuned", target);
        } catch (RuntimeException | StackOverflowError e) {
            return Measurer.Outcome.failed(ErrorCode.COMPILE_FAILED, String.valueOf(e));
        }
        try {
            return measureCompiled(inst, kernel, opts);
        } finally {
            kernel.close(); // a GPU module per candidate would otherwise pile up in a long run
        }
    }

    /**
     * Computes and keeps the reference values {@code inst}'s candidates are checked against; an
     * outcome with neither timing nor error when done, a {@code RUNTIME_ERROR} when the reference
     * cannot evaluate the definition.
     */
    static Measurer.Outcome prepareReference(OperatorInstance inst) {
        try (KernelArguments arguments = KernelArguments.seeded(inst.inputs(), inst.outputs())) {
            ExpectedOutputs.of(inst, arguments.inputValues());
            return new Measurer.Outcome(null, null);
        } catch (RuntimeException | StackOverflowError e) {
            return Measurer.Outcome.failed(ErrorCode.RUNTIME_ERROR, "the reference interpreter cannot evaluate the definition: " + e);
        }
    }

    /** Times {@code kernel} on the seeded inputs of {@code inst} and checks its outputs against {@link ExpectedOutputs}. */
    static Measurer.Outcome measureCompiled(OperatorInstance inst, CompiledKernel kernel, Measurer.Options opts) {
        try (KernelArguments arguments = KernelArguments.seeded(inst.inputs(), inst.outputs())) {
            List<HostBuffer> args = arguments.buffers();
            long[] times;
            try {
                // On a GPU: device time on resident buffers; either way the outputs of the last run stay in args. Weights a
                // schedule prepacks are packed once ahead, as tessera bench and a caller run it, so such schedules rank as they run.
                times = Arrays.stream(kernel.timePrepacked(args, opts.warmup(), Math.max(1, opts.repeats()))).mapToLong(ms -> Math.round(ms * 1e6)).toArray();
            } catch (RuntimeException e) {
                return Measurer.Outcome.failed(ErrorCode.RUNTIME_ERROR, String.valueOf(e));
            }
            String wrong = ExpectedOutputs.of(inst, arguments.inputValues()).firstMismatch(args.subList(inst.inputs().size(), args.size()));
            if (wrong != null) return Measurer.Outcome.failed(ErrorCode.WRONG_ANSWER, wrong);
            Arrays.sort(times);
            int n = times.length;
            long median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
            return new Measurer.Outcome(new TuningRecord.Timing(median, times[0], times[n - 1], n), null);
        }
    }
}
