package dev.tessera.cli;

import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera lower OP}: the lowered loop IR of an operator under a schedule. */
@Command(name = "lower", description = "Print the lowered IR of a built-in operator under a schedule.")
final class LowerCommand implements Runnable {
    @Mixin KernelOptions options;

    @Option(names = "--dump-passes", description = "Print the IR after every lowering pass.")
    boolean dumpPasses;

    @Override public void run() {
        OperatorInstance inst = options.instance();
        Schedule s = options.schedule(inst);
        if (dumpPasses) {
            for (Lower.Dump d : Lower.lowerWithDumps(s, options.op)) {
                System.out.println("// ---- after " + d.pass());
                System.out.println(IRPrinter.print(d.body()));
            }
        } else {
            System.out.println(IRPrinter.print(Lower.lower(s, options.op)));
        }
    }
}
