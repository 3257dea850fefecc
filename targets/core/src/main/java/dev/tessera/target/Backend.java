package dev.tessera.target;

import dev.tessera.lower.Lower;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.schedule.Schedule;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A code generator for one kind of target, found through {@link ServiceLoader}: register an
 * implementation in {@code META-INF/services/dev.tessera.target.Backend}.
 */
public interface Backend {
    /** The target kind this backend serves, e.g. {@code "llvm"}; matches {@link Target#kind()}. */
    String name();

    /** Compiles a lowered kernel into something callable in this process. */
    CompiledKernel compile(LoweredFunc f, Target t);

    /** The code this backend generates for the kernel, as text (LLVM IR, CUDA C, OpenCL C). */
    String source(LoweredFunc f, Target t);

    /**
     * Lowers a schedule for this backend and compiles it. CPU backends lower it as it is; GPU
     * backends split it into host steps and kernels first, so they override this.
     */
    default CompiledKernel compile(Schedule schedule, String name, Target t) {
        CompiledKernel kernel = compile(Lower.lower(schedule, name), t);
        if (!schedule.prepackedStages().isEmpty()) {
            // The split for constant inputs compiles on the first prepack: plain calls (the tuner, tests) never pay for it.
            kernel.enablePrepacking(() -> {
                dev.tessera.lower.PrepackedProgram p = Lower.lowerPrepacked(schedule, name);
                return new CompiledKernel.PrepackedForm(p.packs().stream().map(f -> compile(f, t)).toList(), compile(p.kernel(), t));
            });
        }
        return kernel;
    }

    /** The code this backend generates for a schedule (see {@link #compile(Schedule, String, Target)}). */
    default String source(Schedule schedule, String name, Target t) {
        return source(Lower.lower(schedule, name), t);
    }

    /**
     * Lowers a schedule for {@code t} and checks that it fits the device, without generating or
     * compiling code: a {@link dev.tessera.TesseraUserError} says why the schedule cannot run there.
     * The autotuner filters candidates with it before measuring them.
     */
    default void validate(Schedule schedule, Target t) {
        Lower.lower(schedule, "candidate");
    }

    /**
     * The device of this kind present on this machine, to run and measure kernels on; a
     * {@link dev.tessera.TesseraUserError} saying why when there is none. CPU backends answer with the host.
     */
    default Target presentTarget() {
        return hostTarget().orElseThrow(() -> new dev.tessera.TesseraUserError("no " + name() + " device on this machine"));
    }

    /** The description of the device this backend compiles for when none is present to probe (for printing source). */
    default Optional<Target> defaultTarget() { return hostTarget(); }

    /** The description of this machine, if this backend can probe it. */
    default Optional<Target> hostTarget() { return Optional.empty(); }

    /** The registered backend with the given name; a user error listing the known ones otherwise. */
    static Backend byName(String name) {
        StringBuilder known = new StringBuilder();
        for (Backend b : ServiceLoader.load(Backend.class, Backend.class.getClassLoader())) {
            if (b.name().equals(name)) return b;
            if (!known.isEmpty()) known.append(", ");
            known.append(b.name());
        }
        throw new dev.tessera.TesseraUserError("no backend named '" + name + "'; available backends: "
                + (known.isEmpty() ? "none (add a targets module to the class path)" : known));
    }
}
