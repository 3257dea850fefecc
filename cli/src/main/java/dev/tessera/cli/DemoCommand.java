package dev.tessera.cli;

import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Target;
import dev.tessera.target.llvm.ParallelRuntime;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code tessera demo}: compiles and runs a few scheduled operators and checks them against the reference. */
@Command(name = "demo", description = "Compile and run the built-in operators with their default CPU schedules, check them against the reference, print time and throughput.")
final class DemoCommand implements Runnable {
    private record Case(String op, long[] shape) {}

    private static final List<Case> CASES = List.of(
            new Case("add", new long[] {2048, 2048}),
            new Case("reduce_sum", new long[] {4096, 1024}),
            new Case("softmax", new long[] {4096, 1024}),
            new Case("matmul", new long[] {1024, 1024, 1024}),
            new Case("conv2d", new long[] {1, 64, 56, 56, 64, 3, 3, 1, 1}));

    @Override public void run() {
        System.out.printf("Tessera demo on %s, %d threads%n%n", Target.host().cpu(), ParallelRuntime.threads());
        System.out.printf("%-11s %-28s %10s %10s %10s %12s %10s  %s%n", "operator", "shape", "median ms", "GFLOP/s", "GB/s", "max error", "compile ms", "check");
        boolean allOk = true;
        for (Case c : CASES) {
            Operator op = Operators.get(c.op());
            OperatorInstance inst = op.build(c.shape());
            Schedule s = Schedule.create(inst.outputs());
            op.applyDefaultSchedule(s);
            KernelRunner.Result r = KernelRunner.run(op.name(), inst, s, 2, 9);
            double gflops = op.flops(c.shape()) / (r.medianMs() * 1e6), gbps = op.bytes(c.shape()) / (r.medianMs() * 1e6);
            boolean ok = r.maxAbsError() <= 1e-3;
            allOk &= ok;
            System.out.printf("%-11s %-28s %10.3f %10.1f %10.1f %12.2e %10.1f  %s%n", op.name(), Arrays.toString(c.shape()).replace(" ", ""),
                    r.medianMs(), gflops, gbps, r.maxAbsError(), r.compileMs(), ok ? "ok" : "MISMATCH");
        }
        System.out.println();
        System.out.println(allOk ? "All kernels match the reference interpreter." : "Some kernels do NOT match the reference.");
        if (!allOk) throw new IllegalStateException("demo: a kernel does not match the reference");
    }
}
