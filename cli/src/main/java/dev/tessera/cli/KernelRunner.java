package dev.tessera.cli;

import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.KernelArguments;
import dev.tessera.target.Target;
import dev.tessera.target.Kernels;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Compiles an operator instance under a schedule, times it, and checks it against the reference interpreter. */
final class KernelRunner {
    /** Timings in milliseconds; the error is the largest absolute difference from the reference over the checked points. */
    record Result(double compileMs, double medianMs, double minMs, double maxMs, double maxAbsError, long checkedPoints, int repeats,
                  List<String> prepacked) {}

    /** Points per output checked against the reference; outputs up to this size are checked completely. */
    static final int CHECKED_POINTS = 2048;

    private KernelRunner() {}

    static Result run(String name, OperatorInstance inst, Schedule schedule, int warmup, int repeats) {
        return run(name, inst, schedule, Target.host(), warmup, repeats);
    }

    /**
     * Compiles for {@code target}, times ({@link CompiledKernel#time}: on a GPU the device's time,
     * events around the launches on buffers already in device memory), and checks the outputs of
     * the last timed run against the reference.
     */
    static Result run(String name, OperatorInstance inst, Schedule schedule, Target target, int warmup, int repeats) {
        return run(name, inst, inst, schedule, target, warmup, repeats);
    }

    /**
     * {@link #run(String, OperatorInstance, Schedule, Target, int, int)} checking the outputs against
     * {@code reference}, a definition with the same inputs and outputs in the same order (the
     * operator asked for, when {@code inst} is an alternative that computes it by another algorithm).
     */
    static Result run(String name, OperatorInstance inst, OperatorInstance reference, Schedule schedule, Target target, int warmup, int repeats) {
        long t0 = System.nanoTime();
        CompiledKernel kernel = Kernels.compile(schedule, name, target);
        double compileMs = (System.nanoTime() - t0) / 1e6;

        KernelArguments arguments = KernelArguments.seeded(inst.inputs(), inst.outputs());
        Map<Tensor, TensorValue> inputs = arguments.inputValues();
        List<HostBuffer> args = arguments.buffers();
        List<String> constants = kernel.hasPrepackedStages() ? kernel.constantNames() : List.of();
        try {
            // Constant inputs (weights) are packed once, ahead of the timed calls, as a caller that prepacks would.
            double[] times = kernel.timePrepacked(args, warmup, repeats); // leaves the outputs the check reads
            Arrays.sort(times);
            double median = repeats % 2 == 1 ? times[repeats / 2] : (times[repeats / 2 - 1] + times[repeats / 2]) / 2;

            Map<Tensor, TensorValue> referenceInputs = new HashMap<>();
            for (int i = 0; i < inst.inputs().size(); i++) referenceInputs.put(reference.inputs().get(i), inputs.get(inst.inputs().get(i)));
            ReferenceInterpreter ref = new ReferenceInterpreter(reference.outputs(), referenceInputs);
            double maxErr = 0;
            long checked = 0;
            Random rnd = new Random(42);
            for (int o = 0; o < inst.outputs().size(); o++) {
                Tensor t = reference.outputs().get(o);
                long[] shape = KernelArguments.constantShape(t);
                double[] got = args.get(inst.inputs().size() + o).toDoubles();
                boolean all = got.length <= CHECKED_POINTS;
                int n = all ? got.length : CHECKED_POINTS;
                for (int p = 0; p < n; p++) {
                    long flat = all ? p : (long) (rnd.nextDouble() * got.length);
                    double want = ref.evaluateAt(t, KernelArguments.unflatten(flat, shape));
                    maxErr = Math.max(maxErr, Math.abs(want - got[(int) flat]));
                    checked++;
                }
            }
            return new Result(compileMs, median, times[0], times[repeats - 1], maxErr, checked, repeats, constants);
        } finally {
            arguments.close();
        }
    }

    /** Median milliseconds from schedule to callable kernel (lower, generate, optimize, JIT), bypassing the compile cache. */
    static double jitLatencyMs(String name, Schedule schedule, int repeats) {
        return jitLatencyMs(name, schedule, Target.host(), repeats);
    }

    static double jitLatencyMs(String name, Schedule schedule, Target target, int repeats) {
        double[] t = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long s = System.nanoTime();
            Kernels.compileUncached(schedule, name, target);
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return t[repeats / 2];
    }


}
