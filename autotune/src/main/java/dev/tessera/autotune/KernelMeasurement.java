package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.TuningRecord.ErrorCode;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
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
import java.util.Map;
import java.util.Random;

/**
 * Compiles one candidate with the target's backend, runs, times and checks it in this process.
 * Lowering errors (an invalid schedule, a launch the device cannot run) are told apart from
 * compile errors. Inputs are seeded random values;
 * up to {@link #CHECKED_POINTS} output points per output (all of a small output) are compared with
 * the reference interpreter. Shared by the in-process measurer and the worker process.
 */
final class KernelMeasurement {
    static final int CHECKED_POINTS = 512;

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
        KernelArguments arguments = KernelArguments.seeded(inst.inputs(), inst.outputs());
        Map<Tensor, TensorValue> inputs = arguments.inputValues();
        List<HostBuffer> args = arguments.buffers();
        try {
            long[] times;
            try {
                // On a GPU: device time on resident buffers; either way the outputs of the last run stay in args.
                times = Arrays.stream(kernel.time(args, opts.warmup(), Math.max(1, opts.repeats()))).mapToLong(ms -> Math.round(ms * 1e6)).toArray();
            } catch (RuntimeException e) {
                return Measurer.Outcome.failed(ErrorCode.RUNTIME_ERROR, String.valueOf(e));
            }
            String wrong = check(inst, inputs, args);
            if (wrong != null) return Measurer.Outcome.failed(ErrorCode.WRONG_ANSWER, wrong);
            Arrays.sort(times);
            int n = times.length;
            long median = n % 2 == 1 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
            return new Measurer.Outcome(new TuningRecord.Timing(median, times[0], times[n - 1], n), null);
        } finally {
            arguments.close();
            kernel.close(); // a GPU module per candidate would otherwise pile up in a long run
        }
    }

    /** Null when every checked point matches the reference, else where and by how much it does not. */
    private static String check(OperatorInstance inst, Map<Tensor, TensorValue> inputs, List<HostBuffer> args) {
        ReferenceInterpreter ref = new ReferenceInterpreter(inst.outputs(), inputs);
        Random rnd = new Random(42);
        for (int o = 0; o < inst.outputs().size(); o++) {
            Tensor t = inst.outputs().get(o);
            long[] shape = KernelArguments.constantShape(t);
            double[] got = args.get(inst.inputs().size() + o).toDoubles();
            boolean all = got.length <= CHECKED_POINTS;
            double tol = t.dtype().equals(DType.F64) ? 1e-9 : 1e-3;
            for (int p = 0; p < (all ? got.length : CHECKED_POINTS); p++) {
                int flat = all ? p : rnd.nextInt(got.length);
                long[] idx = KernelArguments.unflatten(flat, shape);
                double want = ref.evaluateAt(t, idx);
                boolean same = Double.isNaN(want) ? Double.isNaN(got[flat]) : Math.abs(want - got[flat]) <= tol * (1 + Math.abs(want));
                if (!same)
                    return "output " + t.name() + Arrays.toString(idx) + " = " + got[flat] + ", reference " + want;
            }
        }
        return null;
    }


}
