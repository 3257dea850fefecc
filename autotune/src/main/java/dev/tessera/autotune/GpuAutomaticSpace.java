package dev.tessera.autotune;

import dev.tessera.dsl.Tensor;
import dev.tessera.ops.Knob;
import dev.tessera.schedule.RandomGpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The search space of any compute definition on a GPU target: schedules sampled by
 * {@link RandomGpuSchedules} (kernels tiled onto blocks and threads, stages staged in shared memory
 * or kept per thread, local accumulation, shared copies of inputs), and mutations of a measured
 * trace that change the block shape of one {@code gpu_tile} (threads per block, within the
 * device's limit), the factor of one split (the threads that load a shared tile, or an unrolled
 * reduction step), drop one {@code unroll}, or turn off one shared-memory copy ({@code cache_read})
 * or local accumulation ({@code cache_write}) with the steps that scheduled it. Its cost-model
 * features are {@link ProgramFeatures#ofGpu}.
 */
final class GpuAutomaticSpace implements SearchSpace {
    private static final long[] TILE = {1, 2, 4, 8, 16, 32, 64};
    private static final long[] THREADS = {16, 32, 64, 128, 256, 512, 1024};
    private static final long[] UNROLL = {2, 3, 4, 8, 16};
    private final List<Tensor> outputs;
    private final Target target;

    GpuAutomaticSpace(List<Tensor> outputs, Target target) {
        this.outputs = List.copyOf(outputs);
        this.target = target;
    }

    @Override public String kind() { return "automatic GPU"; }

    @Override public List<Knob> knobs() { return List.of(); }

    @Override public Candidate sample(Random rnd) {
        long seed = rnd.nextLong();
        try {
            return new Candidate(RandomGpuSchedules.sample(outputs, seed).trace(), Map.of());
        } catch (RuntimeException e) {
            return new Candidate(List.of(TemplateSpace.INVALID), Map.of());
        }
    }

    @Override public Candidate mutate(Candidate c, Random rnd) {
        List<Step> trace = new ArrayList<>(c.trace());
        List<Integer> factors = new ArrayList<>(), removable = new ArrayList<>();
        for (int i = 0; i < trace.size(); i++) {
            switch (trace.get(i)) {
                case Step.GpuTile g -> factors.add(i);
                case Step.Split s when s.factor() > 0 -> factors.add(i);
                case Step.Unroll u -> removable.add(i);
                case Step.CacheRead r -> removable.add(i);
                case Step.CacheWrite w -> removable.add(i);
                default -> {}
            }
        }
        if (factors.isEmpty() && removable.isEmpty()) return sample(rnd);
        if (!factors.isEmpty() && (removable.isEmpty() || rnd.nextInt(4) != 0)) {
            int i = factors.get(rnd.nextInt(factors.size()));
            trace.set(i, switch (trace.get(i)) {
                case Step.GpuTile g -> retile(g, rnd);
                case Step.Split s -> new Step.Split(s.stage(), s.axis(), boundToThreads(trace, s) ? threads(rnd) : pick(UNROLL, rnd), s.nparts(), s.tail());
                default -> throw new IllegalStateException("not a factor step: " + trace.get(i));
            });
            return new Candidate(trace, Map.of());
        }
        int i = removable.get(rnd.nextInt(removable.size()));
        Step removed = trace.remove(i);
        switch (removed) {
            // The copy stage goes with its steps; its readers read the tensor itself again.
            case Step.CacheRead r -> dropStage(trace, i, r.tensor() + ".cache", null);
            // The stage accumulates in its own storage again; producers placed in the accumulator's loops move to it.
            case Step.CacheWrite w -> dropStage(trace, i, w.stage() + ".local", w.stage());
            default -> {}
        }
        return new Candidate(trace, Map.of());
    }

    @Override public Optional<List<Candidate>> enumerate(int limit) { return Optional.empty(); }

    @Override public double[] features(Schedule s, Candidate c) { return ProgramFeatures.ofGpu(s, c, target); }

    /** A new block shape: one tile factor changed, the block kept within the device's threads per block. */
    private Step.GpuTile retile(Step.GpuTile g, Random rnd) {
        int max = target.gpu().maxThreadsPerBlock();
        if (g.y() == null) return new Step.GpuTile(g.stage(), g.x(), null, threads(rnd), g.yFactor());
        long x = g.xFactor(), y = g.yFactor();
        if (rnd.nextBoolean()) x = pick(TILE, rnd);
        else y = pick(TILE, rnd);
        while (x * y > max && x > 1) x /= 2;
        while (x * y > max && y > 1) y /= 2;
        return new Step.GpuTile(g.stage(), g.x(), g.y(), x, y);
    }

    /** A thread count for one loop, at most the device's threads per block. */
    private long threads(Random rnd) {
        long f = pick(THREADS, rnd);
        while (f > target.gpu().maxThreadsPerBlock() && f > 1) f /= 2;
        return f;
    }

    /** Whether a later step binds the inner loop of split {@code s} to a thread index. */
    private static boolean boundToThreads(List<Step> trace, Step.Split s) {
        String inner = s.axis() + ".inner";
        return trace.stream().anyMatch(t -> t instanceof Step.Bind b && b.stage().equals(s.stage()) && b.axis().equals(inner)
                && b.thread().startsWith("threadIdx"));
    }

    /** Removes the steps from {@code from} on that schedule stage {@code name}; steps placing a producer in it move to {@code into}, or go. */
    private static void dropStage(List<Step> trace, int from, String name, String into) {
        for (int i = trace.size() - 1; i >= from; i--) {
            Step t = trace.get(i);
            if (t.stage().equals(name)) trace.remove(i);
            else if (t instanceof Step.ComputeAt a && a.consumer().equals(name)) {
                if (into == null) trace.remove(i);
                else trace.set(i, new Step.ComputeAt(a.stage(), into, a.axis()));
            }
        }
    }

    private static long pick(long[] choices, Random rnd) { return choices[rnd.nextInt(choices.length)]; }
}
