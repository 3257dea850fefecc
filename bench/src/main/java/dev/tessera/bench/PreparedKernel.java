package dev.tessera.bench;

import dev.tessera.autotune.ApplyBest;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.KernelArguments;
import dev.tessera.target.Kernels;
import dev.tessera.target.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A built-in operator compiled for the host under its default schedule or its best tuning record, with random inputs
 * (uniform in [-1, 1), fixed seeds) and outputs in native buffers, ready to be called repeatedly
 * (weights that the schedule prepacks packed once, ahead of the calls, as {@code tessera bench} and
 * the tuner time them); and the check of its outputs against the reference interpreter. What {@code tessera bench} does
 * (cli's KernelRunner), shared here by the JMH benchmark and the peer comparison.
 */
public final class PreparedKernel implements AutoCloseable {
    /** The largest absolute difference from the reference over the points checked. */
    public record Check(double maxAbsError, long checkedPoints, boolean complete) {}

    private final Operator operator;
    private final long[] shapeArgs;
    private final OperatorInstance instance;
    private final CompiledKernel kernel;
    private final Map<Tensor, TensorValue> inputs;
    private final List<HostBuffer> args;
    private final double compileMs;
    private final String schedule;
    /** The kernel with its constant inputs packed, and the buffers its call takes; null when nothing is prepacked. */
    private final dev.tessera.target.PrepackedKernel prepacked;
    private final List<HostBuffer> callArgs;

    private PreparedKernel(Operator operator, long[] shapeArgs, OperatorInstance instance, CompiledKernel kernel,
                           Map<Tensor, TensorValue> inputs, List<HostBuffer> args, double compileMs, String schedule) {
        this.prepacked = kernel.hasPrepackedStages() ? kernel.prepackFrom(args) : null;
        this.callArgs = kernel.withoutConstants(args);
        this.schedule = prepacked == null ? schedule
                : schedule + ", " + String.join(", ", prepacked.constantNames()) + " prepacked once ahead of the calls";
        this.operator = operator;
        this.shapeArgs = shapeArgs;
        this.instance = instance;
        this.kernel = kernel;
        this.inputs = inputs;
        this.args = args;
        this.compileMs = compileMs;
    }

    /**
     * Builds, schedules and compiles {@code operatorName} for {@code shape} (comma-separated shape
     * arguments). The name may carry attributes as {@link Operator#describe()} writes them, e.g.
     * {@code conv2d_winograd[output_tile=4]}. An unknown operator or a bad shape is a
     * {@link dev.tessera.TesseraUserError}.
     */
    public static PreparedKernel prepare(String operatorName, String shape) {
        return prepare(operatorName, shape, null, msg -> {});
    }

    /**
     * {@link #prepare(String, String)} under the fastest record of {@code tuningRecords} for this
     * workload on the host (or a compatible CPU, with a warning), else the default schedule, as
     * {@code tessera bench} chooses ({@link ApplyBest}); {@code tuningRecords} null means the
     * default schedule. {@link #schedule()} says which ran.
     */
    public static PreparedKernel prepare(String operatorName, String shape, List<TuningRecord> tuningRecords, Consumer<String> warnings) {
        return prepare(operatorName, shape, tuningRecords, false, warnings);
    }

    /**
     * {@link #prepare(String, String, List, Consumer)}; with {@code alternatives}, the fastest of the
     * operator and those that compute it by another algorithm ({@link ApplyBest#chooseImplementation}:
     * conv2d or conv2d_winograd), as {@code tessera bench} chooses. The outputs are checked against
     * the definition of the operator named, whichever ran.
     */
    public static PreparedKernel prepare(String operatorName, String shape, List<TuningRecord> tuningRecords, boolean alternatives, Consumer<String> warnings) {
        Operator op = Operators.configured(operatorName);
        long[] shapeArgs = op.parseShape(shape);
        OperatorInstance inst = op.build(shapeArgs);
        Operator ran = op;
        OperatorInstance ranInstance = inst;
        Schedule s;
        String which;
        if (tuningRecords == null) {
            s = Schedule.create(inst.outputs());
            op.applyDefaultSchedule(s);
            which = "default schedule";
        } else {
            ApplyBest.Choice choice;
            if (alternatives) {
                ApplyBest.Implementation impl = ApplyBest.chooseImplementation(op, shapeArgs, inst.outputs().get(0).dtype(), Target.host(), tuningRecords, warnings);
                ran = impl.operator();
                ranInstance = impl.instance();
                choice = impl.choice();
            } else {
                choice = ApplyBest.choose(op, inst, inst.outputs().get(0).dtype(), Target.host(), tuningRecords, warnings);
            }
            s = choice.schedule();
            which = (ran == op ? "" : ran.describe() + " (the fastest of " + op.name() + " and its alternatives by their records), ")
                    + (choice.record() == null ? "default schedule (no tuning record)"
                    : "tuned schedule (" + choice.record().provenance().strategy() + " seed " + choice.record().provenance().seed()
                            + " trial " + choice.record().provenance().trial() + (choice.source() == ApplyBest.Source.EXACT_TARGET ? "" : ", a compatible CPU's") + ")");
        }
        long t0 = System.nanoTime();
        CompiledKernel kernel = Kernels.compile(s, ran.name(), Target.host());
        double compileMs = (System.nanoTime() - t0) / 1e6;

        KernelArguments arguments = KernelArguments.seeded(ranInstance.inputs(), ranInstance.outputs());
        // The reference reads the same values through the named operator's own input tensors.
        Map<Tensor, TensorValue> inputs = new HashMap<>();
        for (int i = 0; i < inst.inputs().size(); i++) inputs.put(inst.inputs().get(i), arguments.inputValues().get(ranInstance.inputs().get(i)));
        List<HostBuffer> args = arguments.buffers();
        return new PreparedKernel(op, shapeArgs, inst, kernel, inputs, args, compileMs, which);
    }

    /** One run of the kernel on the prepared buffers (reading the packed copies of prepacked weights). */
    public void call() {
        if (prepacked != null) prepacked.call(callArgs);
        else kernel.call(args);
    }

    /** Whether the schedule prepacks a constant input, so that {@link #call()} reads a copy packed once. */
    public boolean prepacks() { return prepacked != null; }

    /** One run of the whole kernel, packing its constant inputs in the call (what {@link #call()} does when nothing is prepacked). */
    public void callPackingEveryCall() { kernel.call(args); }

    public Operator operator() { return operator; }

    /** Which schedule was compiled: the default, or a tuning record (strategy, seed, trial). */
    public String schedule() { return schedule; }
    public long[] shapeArgs() { return shapeArgs.clone(); }

    /** Floating-point operations of one call, as the operator counts them. */
    public double flops() { return operator.flops(shapeArgs); }

    /** Bytes one call must move (each input read once, each output written once). */
    public double bytes() { return operator.bytes(shapeArgs); }

    /** Milliseconds from schedule to callable kernel (0 when the process had compiled it before). */
    public double compileMs() { return compileMs; }

    /**
     * Compares the outputs of the last call with the reference interpreter: every point of an output
     * of at most {@code points} elements, else {@code points} points sampled with a fixed seed,
     * stopping early (and saying so) once {@code budgetMs} of checking have passed.
     */
    public Check check(int points, double budgetMs) {
        return check(instance, inputs, args, points, budgetMs);
    }

    /**
     * {@link #check(int, double)} for any kernel's outputs: {@code args} holds the input buffers
     * then the output buffers of {@code instance}, {@code inputs} the input values they were made from.
     */
    public static Check check(OperatorInstance instance, Map<Tensor, TensorValue> inputs, List<HostBuffer> args, int points, double budgetMs) {
        long deadline = System.nanoTime() + (long) (budgetMs * 1e6);
        ReferenceInterpreter ref = new ReferenceInterpreter(instance.outputs(), inputs);
        double maxErr = 0;
        long checked = 0;
        boolean complete = true;
        SplittableRandom rnd = new SplittableRandom(42);
        outputs:
        for (int o = 0; o < instance.outputs().size(); o++) {
            Tensor t = instance.outputs().get(o);
            long[] shape = KernelArguments.constantShape(t);
            HostBuffer got = args.get(instance.inputs().size() + o);
            long n = got.elementCount();
            boolean all = n <= points;
            long count = all ? n : points;
            for (long p = 0; p < count; p++) {
                if (System.nanoTime() > deadline) {
                    complete = false;
                    break outputs;
                }
                long flat = all ? p : rnd.nextLong(n);
                double want = ref.evaluateAt(t, KernelArguments.unflatten(flat, shape)), have = got.get(flat);
                // Equal values (infinities and NaNs included) agree; a NaN or infinity where the other
                // side differs is the worst error, never a silent pass (Math.max would let NaN through).
                double diff = Double.compare(want, have) == 0 ? 0 : Math.abs(want - have);
                maxErr = Math.max(maxErr, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
                checked++;
            }
        }
        return new Check(maxErr, checked, complete);
    }

    @Override public void close() {
        if (prepacked != null) prepacked.close();
        for (HostBuffer b : args) b.close();
    }


}
