package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.Measurer;
import dev.tessera.autotune.SearchSpace;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.autotune.TuningTask;
import dev.tessera.autotune.Tuner;
import dev.tessera.autotune.WorkerProcessMeasurer;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera tune OP}: searches schedules, measuring each in a worker process, and appends every measurement to a JSON Lines log. */
@Command(name = "tune", description = "Autotune an operator's schedule on this CPU or a GPU; every measurement is appended to a JSON Lines tuning log (docs/tuning-logs.md).")
final class TuneCommand implements Runnable {
    @Parameters(index = "0", description = "Operator name (see `tessera ops`).")
    String op;

    @Option(names = "--shape", description = "Shape arguments, comma separated; default: the operator's example shape.")
    String shape;

    @Option(names = "--dtype", description = "Element type (default: the operator's first).")
    String dtype;

    @Option(names = "--attr", paramLabel = "NAME=VALUE", description = "An operator attribute (repeatable).")
    java.util.Map<String, String> attributes = new java.util.LinkedHashMap<>();

    @Option(names = "--target", defaultValue = "cpu",
            description = "Target: cpu (the host CPU through LLVM; llvm is a synonym), cuda or opencl (this machine's GPU; TESSERA_OPENCL_DEVICE picks the OpenCL device). "
                    + "On a GPU the automatic GPU space is searched (template spaces are CPU-only).")
    String target;

    @Option(names = "--trials", required = true, description = "Measurements to make (on --resume, earlier ones of the same strategy and seed count).")
    int trials;

    @Option(names = "--log", required = true, description = "The tuning log (JSON Lines) to append to.")
    Path log;

    @Option(names = "--strategy", defaultValue = "evolutionary", description = "random, grid (small template spaces) or evolutionary (default; cost-model guided).")
    String strategy;

    @Option(names = "--space", defaultValue = "auto",
            description = "template (the operator's knobs), automatic (schedules generated from the compute definition alone) or auto (default: the template when the operator has one).")
    String space;

    @Option(names = "--knob", paramLabel = "NAME=VALUE",
            description = "Hold one knob of the template space at a value while the others are searched, e.g. --knob layout=1 (repeatable; see `tessera ops OP`).")
    java.util.Map<String, Long> knobs = new java.util.LinkedHashMap<>();

    @Option(names = "--resume", description = "Continue a run from its log: traces already measured there are not measured again.")
    boolean resume;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the search (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--warm-start", paramLabel = "FILE", description = "A log whose records for this workload inform the search (repeatable).")
    List<Path> warmStart = new ArrayList<>();

    @Option(names = "--repeats", defaultValue = "7", description = "Timed runs per candidate (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--warmup", defaultValue = "2", description = "Untimed runs per candidate first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds per candidate (compile and runs) before the worker is killed (default ${DEFAULT-VALUE}).")
    double timeoutS;

    @Option(names = "--batch", defaultValue = "8", description = "Candidates proposed at a time; the cost model retrains between batches (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--alternatives",
            description = "Also tune the operators that compute this one by another algorithm for this shape (conv2d: conv2d_winograd, both tile sizes), "
                    + "each for --trials trials into the same log, then say which bench will run (the fastest by the records).")
    boolean alternatives;

    @Override public void run() {
        Target device = switch (target) {
            case "cpu", "llvm" -> Target.host();
            case "cuda", "opencl" -> Backend.byName(target).presentTarget();
            default -> throw new TesseraUserError("unknown target '" + target + "'; available targets: cpu (llvm), cuda, opencl");
        };
        if (repeats < 1 || warmup < 0 || timeoutS <= 0) throw new TesseraUserError("--repeats must be >= 1, --warmup >= 0 and --timeout > 0");
        dev.tessera.ops.Operator operator = dev.tessera.ops.Operators.get(op).withAttributes(attributes);
        long[] shapeArgs = operator.parseShape(shape == null ? operator.defaultShapes().get(0) : shape);
        dev.tessera.ir.DType type = dtype == null ? operator.dtypes().get(0) : operator.checkDtype(dev.tessera.ir.DType.parse(dtype));
        operator.build(shapeArgs, type); // validates the shape early
        if (!alternatives) {
            tune(device, operator, attributes, shapeArgs);
            return;
        }
        if (!knobs.isEmpty())
            throw new TesseraUserError("--knob holds a knob of " + op + "'s template; the alternatives have their own knobs, so it cannot be combined with --alternatives");
        List<dev.tessera.ops.Operator> implementations = new ArrayList<>(List.of(operator));
        for (dev.tessera.ops.Operator alt : operator.alternatives(operator.checkShape(shapeArgs))) if (alt.dtypes().contains(type)) implementations.add(alt);
        if (implementations.size() == 1) System.err.println("note: " + op + " has no alternative for this shape; tuning it alone");
        for (dev.tessera.ops.Operator implementation : implementations)
            tune(device, implementation, implementation == operator ? attributes : implementation.attributeValues(), shapeArgs);
        var choice = dev.tessera.autotune.ApplyBest.chooseImplementation(operator, shapeArgs, type, device,
                dev.tessera.autotune.TuningLog.read(log).records(), System.err::println);
        System.out.println("bench " + op + " will run " + choice.message());
    }

    /** Tunes one operator (the one named, or an alternative) into the log. */
    private void tune(Target device, dev.tessera.ops.Operator operator, java.util.Map<String, String> attrs, long[] shapeArgs) {
        TuningTask task = TuningTask.operator(operator.name(), attrs, shapeArgs, dtype);
        Tuner.Options opts = new Tuner.Options(strategy, trials, seed, resume, warmStart, batch, -1, space, knobs);
        Measurer.Options mopts = new Measurer.Options(warmup, repeats, (long) (timeoutS * 1000));
        double flops = operator.flops(shapeArgs);
        String spaceKind = SearchSpace.forTask(task, task.build(), space, device, knobs).kind() + (knobs.isEmpty() ? "" : " " + knobs);
        System.err.printf("tuning %s %s on %s (%s) with %s search in the %s space, %d trials, log %s%n", operator.describe(), Arrays.toString(shapeArgs),
                device.cpu(), device.isGpu() ? device.kind() + " " + device.gpu().arch() : device.kind(), strategy, spaceKind, trials, log);
        Tuner.Result r;
        try (Measurer m = new WorkerProcessMeasurer(mopts)) {
            r = Tuner.run(task, device, log, opts, m, (done, total, last, best, errors, invalid, ns, measured) -> {
                double perTrial = ns / 1e9 / Math.max(1, measured);
                long eta = Math.round(perTrial * (total - done));
                System.err.printf("\r  %d/%d trials   best %s   errors %d   invalid %d   ETA %d:%02d   ", done, total, rate(best, flops), errors, invalid, eta / 60, eta % 60);
            }, System.err);
        }
        System.err.println();
        System.out.printf("%s%d trials (%d measured now, %d errors, %d invalid candidates skipped); best %s%n", alternatives ? operator.describe() + ": " : "",
                r.trials(), r.measured(), r.errors(), r.invalid(),
                r.best() == null ? "none" : rate(r.best(), flops) + " (" + r.best().provenance().strategy() + " trial " + r.best().provenance().trial() + ")");
        System.out.println("log: " + log + "   (tessera logs summary|best|plot " + log + ")");
    }

    static String rate(TuningRecord best, double flops) {
        if (best == null) return "-";
        return flops > 0 ? String.format("%.2f GFLOP/s (%.3f ms)", best.gflops(flops), best.medianMs()) : String.format("%.3f ms", best.medianMs());
    }
}
