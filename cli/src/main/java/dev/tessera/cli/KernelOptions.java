package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.ApplyBest;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every kernel command shares: operator, shape, dtype, attributes, schedule, target. */
final class KernelOptions {
    @Parameters(index = "0", description = "Operator name (see `tessera ops`).")
    String op;

    @Option(names = "--shape", description = "Shape arguments, comma separated (see `tessera ops`); default: the operator's example shape.")
    String shape;

    @Option(names = "--dtype", description = "Element type, e.g. f32 or f64 (see `tessera ops`); default: the operator's first, f32.")
    String dtype;

    @Option(names = "--attr", paramLabel = "NAME=VALUE",
            description = "An operator attribute, e.g. --attr activation=relu (repeatable; see `tessera ops`).")
    Map<String, String> attributes = new LinkedHashMap<>();

    @Option(names = "--schedule",
            description = "best (the fastest record in the tuning logs for this workload and target, else one of a compatible target, else the default; bench's default), "
                    + "default (the operator's schedule for the target: its CPU schedule, or its GPU schedule on cuda/opencl; the other commands' default), tuned (its tunable CPU schedule with --knob values), "
                    + "naive (no steps), or a JSON trace file.")
    String schedule;

    @Option(names = "--logs", paramLabel = "PATH",
            description = "Tuning logs that --schedule best reads: a .jsonl file or a folder of them (default: the tuning-logs folder of this Tessera).")
    Path logs;

    @Option(names = "--no-alternatives",
            description = "With bench's --schedule best, use only this operator's tuning records. By default bench also weighs the operators that compute "
                    + "the same result by another algorithm (conv2d: conv2d_winograd, both tile sizes) by their best records and runs the fastest.")
    boolean noAlternatives;

    @Option(names = "--knob", paramLabel = "NAME=VALUE",
            description = "A value for one knob of the tunable schedule, e.g. --knob tile_rows=6 (repeatable; see `tessera ops OP`); implies --schedule tuned.")
    Map<String, Long> knobs = new LinkedHashMap<>();

    @Option(names = "--target", defaultValue = "llvm",
            description = "Target: llvm (the host CPU), cuda (NVIDIA GPUs: CUDA C), opencl (any OpenCL device; TESSERA_OPENCL_DEVICE picks one).")
    String target;

    /** Whether --target names a GPU backend. */
    boolean isGpu() { return target.equals("cuda") || target.equals("opencl"); }

    /** The device to compile for: this CPU, or the GPU backend's device (a typical one where none is present). */
    Target targetDevice() {
        checkTarget();
        if (!isGpu()) return Target.host();
        return Backend.byName(target).defaultTarget().orElseThrow();
    }

    /** The operator with the given attributes. */
    Operator operator() { return Operators.get(op).withAttributes(attributes); }

    long[] shapeArgs() {
        Operator o = operator();
        return o.parseShape(shape == null ? o.defaultShapes().get(0) : shape);
    }

    /** The dtype asked for, checked against the operator's. */
    DType dtype() {
        Operator o = operator();
        return dtype == null ? o.dtypes().get(0) : o.checkDtype(DType.parse(dtype));
    }

    OperatorInstance instance() { return operator().build(shapeArgs(), dtype()); }

    /** The --schedule given, or the command's default. */
    String scheduleMode(String commandDefault) {
        return schedule != null ? schedule : knobs.isEmpty() ? commandDefault : "tuned";
    }

    /** The schedule asked for, with the command's default mode; where it came from goes to stderr for best. */
    Schedule schedule(OperatorInstance inst, String commandDefault) {
        String mode = scheduleMode(commandDefault);
        if (isGpu() && mode.equals("tuned"))
            throw new TesseraUserError("--schedule tuned (and --knob) is for the CPU (the operator's knobs configure its CPU schedule); on --target " + target
                    + " use --schedule best (the tuning logs), default (the operator's GPU schedule), naive, or a JSON trace file");
        if (mode.equals("best")) {
            if (!knobs.isEmpty()) throw new TesseraUserError("--knob sets the tunable schedule's knobs; it cannot be combined with --schedule best");
            var choice = TuningLogsLookup.choose(operator(), inst, dtype(), targetDevice(), logs, System.err);
            System.err.println("schedule: " + choice.message());
            return choice.schedule();
        }
        return scheduleFor(inst, mode);
    }

    Schedule schedule(OperatorInstance inst) { return schedule(inst, "default"); }

    /**
     * The kernel to run: the operator asked for, the one that runs (it, or an alternative to it),
     * the instance that runs and its schedule.
     */
    record Selected(Operator asked, Operator operator, OperatorInstance instance, Schedule schedule) {
        /** Whether an alternative runs in place of the operator asked for. */
        boolean isAlternative() { return operator != asked; }
    }

    /**
     * The operator named under the schedule asked for; with --schedule best (and no --no-alternatives),
     * the fastest of it and its alternatives by their tuning records ({@link ApplyBest#chooseImplementation}).
     * Which ran, and why, goes to stderr.
     */
    Selected select(String commandDefault) {
        Operator op = operator();
        OperatorInstance inst = op.build(shapeArgs(), dtype());
        if (noAlternatives || !scheduleMode(commandDefault).equals("best") || !knobs.isEmpty())
            return new Selected(op, op, inst, schedule(inst, commandDefault));
        ApplyBest.Implementation impl = ApplyBest.chooseImplementation(op, shapeArgs(), dtype(), targetDevice(),
                TuningLogsLookup.records(logs, System.err), System.err::println);
        System.err.println("schedule: " + impl.message());
        return new Selected(op, impl.operator(), impl.instance(), impl.schedule());
    }

    private Schedule scheduleFor(OperatorInstance inst, String mode) {
        Schedule s = Schedule.create(inst.outputs());
        if (!knobs.isEmpty() && !mode.equals("default") && !mode.equals("tuned"))
            throw new TesseraUserError("--knob sets the tunable schedule's knobs; it cannot be combined with --schedule " + mode);
        switch (knobs.isEmpty() ? mode : "tuned") {
            case "default" -> {
                if (isGpu()) operator().applyGpuSchedule(s);
                else operator().applyDefaultSchedule(s);
            }
            case "tuned" -> operator().applyTunedSchedule(s, shapeArgs(), knobs);
            case "naive" -> {}
            default -> {
                String json;
                try {
                    json = Files.readString(Path.of(mode));
                } catch (IOException e) {
                    throw new TesseraUserError("cannot read schedule file " + mode + ": " + e.getMessage()
                            + " (--schedule takes best, default, tuned, naive, or a JSON trace file)");
                }
                List<Step> trace = TraceJson.read(json);
                s = Schedule.replay(inst.outputs(), trace);
            }
        }
        return s;
    }

    void checkTarget() {
        if (!target.equals("llvm") && !isGpu())
            throw new TesseraUserError("unknown target '" + target + "'; available targets: llvm, cuda, opencl");
    }
}
