package dev.tessera.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Target;
import dev.tessera.target.llvm.ParallelRuntime;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera bench OP}: median time, throughput and error against the reference. */
@Command(name = "bench", description = "Compile and time an operator; report median time, GFLOP/s (or GB/s), spread and max error against the reference.")
final class BenchCommand implements Runnable {
    @Mixin KernelOptions options;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--repeats", defaultValue = "15", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--threads", description = "Size of the CPU thread pool (default: all cores).")
    Integer threads;

    @Option(names = "--jit-repeats", defaultValue = "5",
            description = "Uncached compiles (schedule to callable, warm process) whose median is reported as jit_ms (default ${DEFAULT-VALUE}; 0 to skip).")
    int jitRepeats;

    @Override public void run() {
        options.checkTarget();
        if (threads != null) ParallelRuntime.setThreads(threads);
        long[] shape = options.shapeArgs();
        DType dtype = options.dtype();
        String defaultMode = "best";
        KernelOptions.Selected kernel = options.select(defaultMode);
        Operator op = kernel.asked(), ran = kernel.operator();
        Schedule s = kernel.schedule();
        Target device = options.targetDevice();
        // Checked against the definition of the operator asked for, which an alternative must match.
        OperatorInstance reference = kernel.isAlternative() ? op.build(shape, dtype) : kernel.instance();
        KernelRunner.Result r = KernelRunner.run(ran.name(), kernel.instance(), reference, s, device, Math.max(0, warmup), Math.max(1, repeats));
        double jitMs = jitRepeats > 0 ? KernelRunner.jitLatencyMs(ran.name(), s, device, jitRepeats) : Double.NaN;
        double flops = op.flops(shape), bytes = op.bytes(shape, dtype);
        double gflops = flops / (r.medianMs() * 1e6);
        double gbps = bytes / (r.medianMs() * 1e6);
        if (json) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode o = m.createObjectNode();
            o.put("operator", op.name());
            o.put("shape", Arrays.toString(shape).replaceAll("[\\[\\] ]", ""));
            o.put("dtype", dtype.toString());
            ObjectNode attrs = o.putObject("attributes");
            op.attributeValues().forEach(attrs::put);
            o.put("implementation", ran.describe());
            o.put("target", options.target);
            o.put("cpu", Target.host().cpu());
            if (device.isGpu()) o.put("device", device.cpu());
            o.put("threads", ParallelRuntime.threads());
            o.put("schedule", options.scheduleMode(defaultMode));
            o.put("median_ms", r.medianMs());
            o.put("min_ms", r.minMs());
            o.put("max_ms", r.maxMs());
            o.put("repeats", r.repeats());
            if (flops > 0) o.put("gflops", gflops);
            o.put("gbps", gbps);
            o.put("max_abs_error", r.maxAbsError());
            o.put("checked_points", r.checkedPoints());
            o.put("compile_ms", r.compileMs());
            if (!Double.isNaN(jitMs)) o.put("jit_ms", jitMs);
            if (!r.prepacked().isEmpty()) r.prepacked().forEach(o.putArray("prepacked")::add);
            System.out.println(o.toString());
        } else {
            System.out.printf("%s %s %s on %s, schedule %s%n", op.describe(), Arrays.toString(shape), dtype,
                    device.isGpu() ? device.cpu() + " (" + device.kind() + ", device time)" : device.cpu() + " (" + ParallelRuntime.threads() + " threads)",
                    options.scheduleMode(defaultMode));
            if (kernel.isAlternative()) System.out.printf("  implementation: %s, checked against %s's definition%n", ran.describe(), op.name());
            if (!r.prepacked().isEmpty())
                System.out.printf("  prepacked: %s packed once ahead of the timed calls (the packing is not in the times)%n", String.join(", ", r.prepacked()));
            System.out.printf("  median %.3f ms   (min %.3f, max %.3f over %d runs)%n", r.medianMs(), r.minMs(), r.maxMs(), r.repeats());
            if (flops > 0) System.out.printf("  %.1f GFLOP/s%n", gflops);
            System.out.printf("  %.1f GB/s%n", gbps);
            System.out.printf("  max abs error vs reference: %.3g (%d points checked)%n", r.maxAbsError(), r.checkedPoints());
            System.out.printf("  compile: %.1f ms first in this process%s%n", r.compileMs(),
                    Double.isNaN(jitMs) ? "" : String.format(", %.1f ms median when warm (schedule to callable)", jitMs));
        }
    }
}
