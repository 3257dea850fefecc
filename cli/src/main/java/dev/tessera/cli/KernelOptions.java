package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every kernel command shares: operator, shape, schedule, target. */
final class KernelOptions {
    @Parameters(index = "0", description = "Operator name (see `tessera ops`).")
    String op;

    @Option(names = "--shape", description = "Shape arguments, comma separated (see `tessera ops`); default: the operator's example shape.")
    String shape;

    @Option(names = "--schedule", defaultValue = "default",
            description = "default (the operator's CPU schedule), naive (no steps), or a JSON trace file.")
    String schedule;

    @Option(names = "--target", defaultValue = "llvm", description = "Target: llvm (the host CPU).")
    String target;

    Operator operator() { return Operators.get(op); }

    long[] shapeArgs() {
        Operator o = operator();
        return o.parseShape(shape == null ? o.defaultShapes().get(0) : shape);
    }

    OperatorInstance instance() { return operator().build(shapeArgs()); }

    Schedule schedule(OperatorInstance inst) {
        Schedule s = Schedule.create(inst.outputs());
        switch (schedule) {
            case "default" -> operator().applyDefaultSchedule(s);
            case "naive" -> {}
            default -> {
                String json;
                try {
                    json = Files.readString(Path.of(schedule));
                } catch (IOException e) {
                    throw new TesseraUserError("cannot read schedule file " + schedule + ": " + e.getMessage()
                            + " (--schedule takes default, naive, or a JSON trace file)");
                }
                List<Step> trace = TraceJson.read(json);
                s = Schedule.replay(inst.outputs(), trace);
            }
        }
        return s;
    }

    void checkTarget() {
        if (!target.equals("llvm"))
            throw new TesseraUserError("unknown target '" + target + "'; available targets: llvm");
    }
}
