package dev.tessera.cli;

import dev.tessera.lower.Lower;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import dev.tessera.target.llvm.LlvmBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tessera source OP --target llvm|cuda|opencl}: the generated target code. */
@Command(name = "source", description = "Print the generated code of a built-in operator: LLVM IR (--target llvm), CUDA C (--target cuda) or OpenCL C (--target opencl).")
final class SourceCommand implements Runnable {
    @Mixin KernelOptions options;

    @Option(names = "--unoptimized", description = "Print the IR before LLVM's optimization passes.")
    boolean unoptimized;

    @Override public void run() {
        options.checkTarget();
        OperatorInstance inst = options.instance();
        if (options.isGpu()) {
            System.out.print(Backend.byName(options.target).source(options.schedule(inst), options.op, options.targetDevice()));
            return;
        }
        var f = Lower.lower(options.schedule(inst), options.op);
        System.out.println(LlvmBackend.instance().source(f, Target.host(), !unoptimized));
    }
}
