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
import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TailStrategy;
import java.util.LinkedHashSet;
import java.util.Set;
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
        for (Stage p : schedule.prepackedStages())
            throw new TesseraUserError("prepack(" + p.inputs().get(0).name() + "): prepacking is a CPU schedule primitive; GPU kernels "
                    + "do not take prepacked buffers (yet): remove the prepack step from this GPU schedule");
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

    /**
     * Lowers a schedule with prepacked stages for callers that pack once and call many times: one
     * pack function per prepacked stage, lowered from a schedule of that stage alone (its own loop
     * steps replayed, the packed tensor its output, so it covers the whole tensor), and the kernel,
     * lowered with the prepacked stages as input buffers. {@link #lower} keeps giving the whole
     * kernel, which packs on every call.
     */
    public static PrepackedProgram lowerPrepacked(Schedule schedule, String name) {
        return lowerPrepacked(schedule, name, (pass, body) -> {});
    }

    public static PrepackedProgram lowerPrepacked(Schedule schedule, String name, BiConsumer<String, Stmt> dump) {
        List<Stage> prepacked = schedule.prepackedStages();
        if (prepacked.isEmpty())
            throw new TesseraUserError("kernel " + name + " has no prepacked stage; a schedule declares one with prepack(tensor, layout)");
        List<LoweredFunc> packs = new ArrayList<>();
        Set<Tensor> constants = new LinkedHashSet<>();
        List<Tensor> inputs = new ArrayList<>();
        for (Stage p : prepacked) {
            constants.addAll(p.inputs());
            inputs.add(p.op().outputs().get(0));
            packs.add(lower(packSchedule(schedule, p), packFunctionName(name, p), false, Set.of(), null, dump));
        }
        List<Tensor> kernelInputs = new ArrayList<>(schedule.inputs().stream().filter(t -> !constants.contains(t)).toList());
        kernelInputs.addAll(inputs);
        LoweredFunc kernel = lower(schedule, name, false, Set.copyOf(prepacked), kernelInputs, dump);
        return new PrepackedProgram(packs, kernel);
    }

    /** The name of the function computing a prepacked stage: {@code <kernel>_pack_<tensor>}. */
    public static String packFunctionName(String kernel, Stage prepacked) {
        return kernel + "_pack_" + prepacked.inputs().get(0).name().replaceAll("[^A-Za-z0-9_]", "_");
    }

    /**
     * The schedule of a prepacked stage alone, as the output of its own function: the stage's loop
     * steps replayed. The packed buffer is then the function's output, sized by its shape, so a
     * split that rounds the stage's storage up (legal inside the kernel) guards its tail instead:
     * the same values, no growth.
     */
    private static Schedule packSchedule(Schedule schedule, Stage prepacked) {
        List<Step> steps = schedule.trace().stream().filter(s -> s.stage().equals(prepacked.name()) && isLoopStep(s))
                .map(Lower::guardInsteadOfRoundUp).toList();
        return Schedule.replay(prepacked.op().outputs(), steps);
    }

    private static Step guardInsteadOfRoundUp(Step step) {
        return switch (step) {
            case Step.Split s when s.tail() == TailStrategy.ROUND_UP -> new Step.Split(s.stage(), s.axis(), s.factor(), s.nparts(), TailStrategy.GUARD);
            case Step.Tile t when t.tail() == TailStrategy.ROUND_UP -> new Step.Tile(t.stage(), t.x(), t.y(), t.xFactor(), t.yFactor(), TailStrategy.GUARD);
            default -> step;
        };
    }

    /** Whether a step schedules the loops of its stage (and so belongs to a prepacked stage's own function). */
    private static boolean isLoopStep(Step step) {
        return switch (step) {
            case Step.Split s -> true;
            case Step.Fuse f -> true;
            case Step.Reorder r -> true;
            case Step.Tile t -> true;
            case Step.Vectorize v -> true;
            case Step.Unroll u -> true;
            case Step.Parallel p -> true;
            case Step.ComputeRoot c -> true;
            case Step.Prefetch p -> true;
            case Step.ComputeAt c -> false;
            case Step.ComputeInline c -> false;
            case Step.Rfactor r -> false;
            case Step.CacheRead c -> false; // names the tensor it copies: a copy of the packed stage is the kernel's
            case Step.CacheWrite c -> false;
            case Step.Prepack p -> false;
            case Step.Specialize s -> false;
            case Step.StorageAlign a -> false;
            case Step.ReorderStorage r -> false;
            case Step.Bind b -> false;
            case Step.GpuTile g -> false;
            case Step.SetScope s -> false;
        };
    }

    private static LoweredFunc lower(Schedule schedule, String name, boolean gpu, BiConsumer<String, Stmt> dump) {
        return lower(schedule, name, gpu, Set.of(), null, dump);
    }

    /** The pipeline; {@code given} stages are input buffers (among {@code inputs}, or null for the schedule's inputs). */
    private static LoweredFunc lower(Schedule schedule, String name, boolean gpu, Set<Stage> given, List<Tensor> inputs, BiConsumer<String, Stmt> dump) {
        ScheduleToLoops.Result loops = ScheduleToLoops.apply(schedule, given);
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
        LoweredFunc f = StorageFlattening.apply(s, schedule, name, inputs == null ? schedule.inputs() : inputs);
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
