package dev.tessera.target.gpu;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Backend;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the GPU backends share: lowering for a GPU, the launch-limit check, the C source of the
 * dialect, and building and running it on the backend's {@link DeviceRuntime}. A concrete backend
 * names its dialect, opens its runtime, and describes a typical device for printing source where
 * none is present.
 */
public abstract class GpuBackend implements Backend {
    private static final Map<String, DeviceRuntime> RUNTIMES = new ConcurrentHashMap<>();

    /** The dialect this backend prints. */
    protected abstract CSourceGenerator dialect();

    /** Opens this machine's device; a {@link TesseraUserError} saying why when there is none. */
    protected abstract DeviceRuntime openRuntime();

    /** A typical device of this kind, for printing and compiling source without one. */
    protected abstract Target typicalTarget();

    /** The runtime of this backend's device, opened on first use and kept for the process. */
    public final DeviceRuntime runtime() {
        return RUNTIMES.computeIfAbsent(name(), unused -> {
            DeviceRuntime rt = openRuntime();
            Runtime.getRuntime().addShutdownHook(new Thread(rt::close));
            return rt;
        });
    }

    /** The device's target if one is present here, else the typical one. */
    @Override public Optional<Target> defaultTarget() {
        try {
            return Optional.of(runtime().target());
        } catch (TesseraUserError e) {
            return Optional.of(typicalTarget());
        }
    }

    /** The device program and its source, with the launch checked against {@code t}. */
    public final DeviceProgram lower(Schedule schedule, String name, Target t) {
        checkKind(t);
        DeviceProgram p = Lower.lowerForGpu(schedule, name);
        LaunchLimits.check(p, t);
        return p;
    }

    /** GPU lowering and the launch-limit check against {@code t}. */
    @Override public void validate(Schedule schedule, Target t) {
        lower(schedule, "candidate", t);
    }

    /** The device's target; a {@link TesseraUserError} saying why there is none. */
    @Override public Target presentTarget() {
        return runtime().target();
    }

    @Override public CompiledKernel compile(Schedule schedule, String name, Target t) {
        DeviceProgram p = lower(schedule, name, t);
        String source = dialect().generate(p);
        DeviceRuntime rt = runtime();
        LaunchLimits.check(p, rt.target());
        var module = rt.build(source, p.kernels().stream().map(GpuKernel::name).toList());
        return new GpuCompiledKernel(p, rt, module, source);
    }

    @Override public String source(Schedule schedule, String name, Target t) {
        return dialect().generate(lower(schedule, name, t));
    }

    @Override public CompiledKernel compile(LoweredFunc f, Target t) {
        throw new TesseraUserError("the " + name() + " backend compiles from a schedule (it splits the kernel into host steps and GPU kernels)");
    }

    @Override public String source(LoweredFunc f, Target t) {
        throw new TesseraUserError("the " + name() + " backend prints source from a schedule (it splits the kernel into host steps and GPU kernels)");
    }

    private void checkKind(Target t) {
        if (!t.kind().equals(name()) || t.gpu() == null)
            throw new TesseraUserError("the " + name() + " backend compiles for GPU targets of kind '" + name() + "', got '" + t.kind() + "'");
    }
}
