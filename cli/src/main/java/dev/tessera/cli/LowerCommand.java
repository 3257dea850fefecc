package dev.tessera.cli;

import dev.tessera.export.KernelRequest;
import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.gpu.LaunchLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tessera lower OP}: the lowered loop IR of an operator under a schedule; on a GPU target,
 * the device program (host steps and kernels).
 */
@Command(name = "lower", description = "Print the lowered IR of a built-in operator under a schedule; with --target cuda|opencl, "
        + "the device program: the host steps (allocations, launches with grid and block) and each kernel after barriers are inserted. "
        + "A shape whose first argument is a name (--shape N,128) makes that dimension symbolic.")
final class LowerCommand implements Runnable {
    @Mixin KernelOptions options;

    @Option(names = "--dump-passes", description = "Print the IR after every lowering pass (on a GPU target, then the device program).")
    boolean dumpPasses;

    @Override public void run() {
        options.checkTarget();
        // As for export: a leading name in --shape makes that dimension symbolic.
        OperatorInstance inst = new KernelRequest(null, options.op, options.shape, options.dtype, options.attributes, null).build();
        Schedule s = options.schedule(inst);
        if (options.isGpu()) {
            DeviceProgram p = Lower.lowerForGpu(s, options.op, (pass, body) -> {
                if (dumpPasses) dump(pass, IRPrinter.print(body));
            });
            LaunchLimits.check(p, options.targetDevice());
            if (dumpPasses) System.out.println("// ---- device program (split_host_device, inject_barriers)");
            System.out.print(IRPrinter.print(p));
        } else if (dumpPasses) {
            for (Lower.Dump d : Lower.lowerWithDumps(s, options.op)) dump(d.pass(), IRPrinter.print(d.body()));
        } else {
            System.out.println(IRPrinter.print(Lower.lower(s, options.op)));
        }
    }

    private static void dump(String pass, String ir) {
        System.out.println("// ---- after " + pass);
        System.out.println(ir);
    }
}
