package dev.tessera.lower;

import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.passes.InjectBarriers;
import dev.tessera.lower.passes.LowerCrossThreadReductions;
import dev.tessera.lower.passes.SplitHostDevice;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.passes.BoundsInference;
import dev.tessera.lower.passes.PartitionLoops;
import dev.tessera.lower.passes.ScheduleToLoops;
import dev.tessera.lower.passes.InjectPrefetches;
import dev.tessera.lower.passes.Simplify;
import dev.tessera.lower.passes.Specialize;
import dev.tessera.lower.passes.StorageFlattening;
import dev.tessera.lower.passes.UnrollLoops;
import dev.tessera.lower.passes.VectorizeLoops;
import dev.tessera.schedule.LoopKind;
import dev.tessera.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** The lowering pipeline, schedule to flattened kernel IR, as a flat list of passes. */
public final class Lower {
    private Lower() {}

    /** The IR after one pass, for {@code tessera lower --dump-passes} and for tests. */
    public record Dump(String pass, Stmt body) {}

    public static LoweredFunc lower(Schedule schedule, String name) {
        return lower(schedule, name, (pass, body) -> {});
    }

    public static List<Dump> lowerWithDumps(Schedule schedule, String name) {
        List<Dump> dumps = new ArrayList<>();
        lower(schedule, name, (pass, body) -> dumps.add(new Dump(pass, body)));
        return dumps;
    }

    public static LoweredFunc lower(Schedule schedule, String name, BiConsumer<String, Stmt> dump) {
        return lower(schedule, name, false, dump);
    }

    /**
     * Lowers for a GPU target: the function's IR (each GPU thread is scalar: vectorized loops of 2,
     * 4, 8 or 16 lanes stay vectors for vector loads and stores, others are unrolled instead), split
     * into host steps and kernels, with barriers inserted.
     */
    public static DeviceProgram lowerForGpu(Schedule schedule, String name, BiConsumer<String, Stmt> dump) {
        LoweredFunc f = lower(schedule, name, true, dump);
        DeviceProgram split = SplitHostDevice.apply(f, schedule);
        List<GpuKernel> kernels = new ArrayList<>();
        java.util.Map<GpuKernel, GpuKernel> synced = new java.util.IdentityHashMap<>();
        for (GpuKernel k : split.kernels()) {
            GpuKernel s = InjectBarriers.apply(LowerCrossThreadReductions.apply(k));
            synced.put(k, s);
            kernels.add(s);
            dump.accept("device_" + s.name(), s.body());
        }
        return new DeviceProgram(f, replaceKernels(split.host(), synced), kernels);
    }

    public static DeviceProgram lowerForGpu(Schedule schedule, String name) {
        return lowerForGpu(schedule, name, (pass, body) -> {});
    }

    private static HostStep replaceKernels(HostStep s, java.util.Map<GpuKernel, GpuKernel> by) {
        return switch (s) {
            case HostStep.Launch l -> new HostStep.Launch(by.get(l.kernel()));
            case HostStep.Sequence q -> new HostStep.Sequence(q.steps().stream().map(x -> replaceKernels(x, by)).toList());
            case HostStep.Let l -> new HostStep.Let(l.var(), l.value(), replaceKernels(l.body(), by));
            case HostStep.If i -> new HostStep.If(i.condition(), replaceKernels(i.then(), by), i.otherwise() == null ? null : replaceKernels(i.otherwise(), by));
            case HostStep.Allocate a -> new HostStep.Allocate(a.buffer(), a.size(), replaceKernels(a.body(), by));
        };
    }

    private static LoweredFunc lower(Schedule schedule, String name, boolean gpu, BiConsumer<String, Stmt> dump) {
        ScheduleToLoops.Result loops = ScheduleToLoops.apply(schedule);
        Stmt s = loops.body();
        dump.accept("schedule_to_loops", s);
        s = BoundsInference.apply(s, schedule, loops.regions());
        dump.accept("bounds_inference", s);
        s = Simplify.apply(s);
        dump.accept("simplify", s);
        if (!schedule.specializations().isEmpty()) {
            s = Specialize.apply(s, schedule);
            dump.accept("specialize", s);
        }
        LoweredFunc f = StorageFlattening.apply(s, schedule, name);
        s = f.body();
        dump.accept("storage_flattening", s);
        s = Simplify.apply(s);
        s = InjectPrefetches.apply(s, schedule);
        s = PartitionLoops.apply(s);
        dump.accept("partition_loops", s);
        if (gpu) s = VectorizeLoops.keepGpuWidths(s);
        s = UnrollLoops.apply(s);
        dump.accept("unroll_loops", s);
        s = VectorizeLoops.apply(s, gpu ? LoopKind.UNROLLED : LoopKind.SERIAL);
        if (gpu) s = UnrollLoops.apply(s); // a GPU loop that could not be vectors: one scalar copy per lane
        dump.accept("vectorize_loops", s);
        s = Simplify.apply(s);
        dump.accept("final", s);
        return new LoweredFunc(f.name(), f.buffers(), f.shapeParams(), s);
    }
}
