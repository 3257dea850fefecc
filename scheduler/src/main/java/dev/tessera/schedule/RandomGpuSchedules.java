package dev.tessera.schedule;

import dev.tessera.dsl.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Samples random GPU schedules of any operator: each stage computed at root becomes a kernel
 * whose spatial loops are tiled onto blocks and threads (gpu_tile in one or two dimensions, outer
 * spatial loops fused onto {@code blockIdx.z}); other stages are inlined, staged per block in shared
 * memory (computed at a block loop, their loops spread over {@code threadIdx.x}), or kept per thread
 * (computed inside the thread loops); reductions may accumulate in registers (cache_write) and
 * inputs may be staged in shared memory (cache_read); a reduction may be shared by the threads of a
 * block (its loop bound to {@code threadIdx.x}, combined across threads); a kernel's threads may each
 * compute 2, 4 or 8 neighbours along the innermost dimension as one vector (split, vectorize,
 * sometimes inside the reduction loops). Every step is legal on its own; lowering can still reject
 * a sample (a reader outside the producer's loop, a shared tile of symbolic size).
 */
public final class RandomGpuSchedules {
    private static final long[] TILE = {1, 2, 4, 8, 16, 32};
    private static final long[] THREADS = {7, 16, 32, 64, 128, 256};
    private static final long[] LANES = {2, 4, 8};

    private RandomGpuSchedules() {}

    public static Schedule sample(List<Tensor> outputs, long seed) {
        Random rnd = new Random(seed);
        Schedule s = Schedule.create(outputs);
        for (Stage st : new ArrayList<>(s.stages()))
            if (st.isReduction() && rnd.nextDouble() < 0.3) st.cacheWrite();
        if (rnd.nextDouble() < 0.3 && !s.inputs().isEmpty()) {
            Tensor t = s.inputs().get(rnd.nextInt(s.inputs().size()));
            List<Stage> readers = new ArrayList<>();
            for (Stage st : s.stages()) if (st.inputs().contains(t) && (readers.isEmpty() || rnd.nextBoolean())) readers.add(st);
            if (!readers.isEmpty()) s.cacheRead(t, readers.toArray(Stage[]::new));
        }
        List<Stage> stages = new ArrayList<>(s.stages());
        Collections.reverse(stages); // consumers first, so producers can pick their final loops
        for (Stage st : stages) {
            if (st.isOutput() || !placeInside(s, st, rnd)) bindKernel(st, rnd);
        }
        return s;
    }

    /** Inlines the stage or computes it inside a consumer's kernel; false leaves it at root. */
    private static boolean placeInside(Schedule s, Stage st, Random rnd) {
        double r = rnd.nextDouble();
        if (r < 0.3 && !st.isReduction() && st.op().outputs().size() == 1) {
            st.computeInline();
            return true;
        }
        if (r > 0.8) return false;
        List<Stage> consumers = new ArrayList<>();
        for (Stage c : s.stages())
            if (s.isDownstream(c, st) && !(c.attachment() instanceof Attachment.Inline) && c.leafAxes().stream().anyMatch(a -> c.loopKind(a).isGpu()))
                consumers.add(c);
        if (consumers.isEmpty()) return false;
        Stage c = consumers.get(rnd.nextInt(consumers.size()));
        List<LoopAxis> legal = RandomSchedules.legalLevels(s, st, c);
        List<LoopAxis> blockLevels = legal.stream().filter(a -> c.loopKind(a).isGpuBlock()).toList();
        int firstThread = -1;
        for (int i = 0; i < legal.size(); i++) if (c.loopKind(legal.get(i)).isGpuThread()) { firstThread = i; break; }
        List<LoopAxis> threadLevels = firstThread < 0 ? List.of() : legal.subList(firstThread, legal.size());
        // Only the innermost block loop: shared memory is per block, so it sits inside all of them.
        boolean shared = !blockLevels.isEmpty() && (threadLevels.isEmpty() || rnd.nextBoolean())
                && legal.indexOf(blockLevels.get(blockLevels.size() - 1)) == blockLevels.size() - 1;
        if (shared) {
            st.computeAt(c, blockLevels.get(blockLevels.size() - 1));
            List<LoopAxis> spatial = st.leafAxes().stream().filter(a -> !a.isReduce()).toList();
            if (st.isReduction() && rnd.nextDouble() < 0.5) {
                // The block's threads share each reduction; its spatial loops run serially around it.
                reduceAcrossThreads(st, rnd);
            } else if (!spatial.isEmpty()) {
                LoopAxis fused = fuseAll(st, spatial);
                Stage.Parts p = st.split(fused, THREADS[rnd.nextInt(THREADS.length)]);
                st.bind(p.inner(), "threadIdx.x");
            }
            return true;
        }
        if (threadLevels.isEmpty()) return false;
        // Inside the thread loops: per-thread (local) storage, serial loops.
        st.computeAt(c, threadLevels.get(rnd.nextInt(threadLevels.size())));
        List<LoopAxis> leaves = st.leafAxes();
        if (!leaves.isEmpty() && rnd.nextDouble() < 0.3) st.unroll(leaves.get(leaves.size() - 1));
        return true;
    }

    /**
     * Makes the stage a kernel: outer spatial loops on blockIdx.z, the last one or two tiled onto
     * blocks and threads, sometimes a vector of the innermost dimension per thread; or, for a
     * reduction, its spatial points spread over blocks (and a few over threadIdx.y) and each point's
     * reduction shared by the threads along threadIdx.x.
     */
    private static void bindKernel(Stage st, Random rnd) {
        List<LoopAxis> spatial = st.leafAxes().stream().filter(a -> !a.isReduce()).toList();
        if (st.isReduction() && rnd.nextDouble() < 0.35) {
            if (!spatial.isEmpty()) {
                LoopAxis points = fuseAll(st, spatial);
                long rows = TILE[rnd.nextInt(3)];
                if (rows > 1) {
                    Stage.Parts p = st.split(points, rows);
                    st.bind(p.outer(), "blockIdx.x");
                    st.bind(p.inner(), "threadIdx.y");
                } else {
                    st.bind(points, "blockIdx.x");
                }
            }
            reduceAcrossThreads(st, rnd);
            return;
        }
        if (spatial.isEmpty()) return; // a scalar result: one thread computes it
        LoopAxis vector = null;
        if (rnd.nextDouble() < 0.3) {
            Stage.Parts p = st.split(spatial.get(spatial.size() - 1), LANES[rnd.nextInt(LANES.length)]);
            vector = p.inner();
            List<LoopAxis> outer = new ArrayList<>(spatial.subList(0, spatial.size() - 1));
            outer.add(p.outer());
            spatial = outer;
        }
        if (spatial.size() >= 2 && rnd.nextDouble() < 0.6) {
            LoopAxis x = spatial.get(spatial.size() - 2), y = spatial.get(spatial.size() - 1);
            long fx = TILE[rnd.nextInt(TILE.length)], fy = TILE[rnd.nextInt(TILE.length)];
            while (fx * fy > 256) fx /= 2;
            st.gpuTile(x.name(), y.name(), fx, fy);
            if (spatial.size() > 2) st.bind(fuseAll(st, spatial.subList(0, spatial.size() - 2)), "blockIdx.z");
        } else {
            st.gpuTile(fuseAll(st, spatial).name(), THREADS[rnd.nextInt(THREADS.length)]);
        }
        List<LoopAxis> reduce = st.leafAxes().stream().filter(LoopAxis::isReduce).toList();
        if (!reduce.isEmpty() && rnd.nextDouble() < 0.4) {
            Stage.Parts p = st.split(reduce.get(reduce.size() - 1), TILE[1 + rnd.nextInt(3)]);
            st.unroll(p.inner());
        }
        if (vector != null) {
            st.vectorize(vector);
            List<LoopAxis> reductions = st.leafAxes().stream().filter(LoopAxis::isReduce).toList();
            if (!reductions.isEmpty() && rnd.nextBoolean()) {
                // The vector innermost: each step of the reduction updates all its lanes.
                List<LoopAxis> order = new ArrayList<>(reductions);
                order.add(vector);
                st.reorder(order.toArray(LoopAxis[]::new));
            }
        }
    }

    /** Fuses the reduction loops and binds a constant part of them to {@code threadIdx.x}, the rest serial inside each thread. */
    private static void reduceAcrossThreads(Stage st, Random rnd) {
        LoopAxis k = fuseAll(st, st.leafAxes().stream().filter(LoopAxis::isReduce).toList());
        Stage.Parts p = st.split(k, THREADS[rnd.nextInt(THREADS.length)]);
        st.bind(p.inner(), "threadIdx.x");
    }

    /** Fuses adjacent loops, outermost first, into one. */
    private static LoopAxis fuseAll(Stage st, List<LoopAxis> axes) {
        LoopAxis f = axes.get(0);
        for (int i = 1; i < axes.size(); i++) f = st.fuse(f, axes.get(i));
        return f;
    }
}
