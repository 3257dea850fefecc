package dev.tessera.autotune;

import dev.tessera.ir.Axis;
import dev.tessera.ir.IntImm;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.ops.Knob;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed-length feature vector the cost model sees for a candidate: loop extents derived by
 * following the trace's splits, tiles and fuses (parallel extent, vector width, unroll product,
 * the iteration footprint of the output stage's innermost one to four loops, all as log2), counts
 * of each kind of step, and the knob values of a template space.
 */
final class ProgramFeatures {
    static final int GENERIC = 18;

    private ProgramFeatures() {}

    static double[] of(Schedule schedule, Candidate c, List<Knob> knobs) {
        double[] f = new double[GENERIC + knobs.size()];
        Map<String, Long> extent = new HashMap<>();
        for (Stage st : schedule.stages())
            for (Axis a : st.allAxes())
                extent.put(st.name() + "/" + a.var().name(), a.extent() instanceof IntImm i ? i.value() : 64L);
        for (Step step : c.trace()) {
            String st = step.stage() + "/";
            switch (step) {
                case Step.Split s -> {
                    long e = extent.getOrDefault(st + s.axis(), 1L);
                    long inner = s.factor() > 0 ? s.factor() : ceil(e, s.nparts());
                    extent.put(st + s.axis() + ".inner", inner);
                    extent.put(st + s.axis() + ".outer", ceil(e, inner));
                    f[3]++;
                }
                case Step.Tile t -> {
                    long ex = extent.getOrDefault(st + t.x(), 1L), ey = extent.getOrDefault(st + t.y(), 1L);
                    extent.put(st + t.x() + ".inner", t.xFactor());
                    extent.put(st + t.x() + ".outer", ceil(ex, t.xFactor()));
                    extent.put(st + t.y() + ".inner", t.yFactor());
                    extent.put(st + t.y() + ".outer", ceil(ey, t.yFactor()));
                    f[3]++;
                }
                case Step.Fuse u -> {
                    extent.put(st + u.outer() + "." + u.inner() + ".fused",
                            extent.getOrDefault(st + u.outer(), 1L) * extent.getOrDefault(st + u.inner(), 1L));
                    f[4]++;
                }
                case Step.Parallel p -> f[0] += log2(extent.getOrDefault(st + p.axis(), 1L));
                case Step.Vectorize v -> f[1] = Math.max(f[1], log2(extent.getOrDefault(st + v.axis(), 1L)));
                case Step.Unroll u -> f[2] += log2(extent.getOrDefault(st + u.axis(), 1L));
                case Step.Reorder r -> f[5]++;
                case Step.ComputeAt a -> f[6]++;
                case Step.ComputeInline i -> f[7]++;
                case Step.CacheWrite w -> f[8]++;
                case Step.CacheRead r -> f[9]++;
                case Step.Prepack p -> f[9]++; // a packed layout, like a packed panel (counted with cache_read: the cost model has no slot of its own for it)
                case Step.Rfactor r -> f[10]++;
                case Step.Prefetch p -> f[11]++;
                case Step.ComputeRoot r -> {}
                case Step.Specialize s -> {}
                case Step.StorageAlign a -> {}
                case Step.ReorderStorage r -> {}
                case Step.Bind b -> {}
                case Step.GpuTile g -> {}
                case Step.SetScope sc -> {}
            }
        }
        Stage out = schedule.stages().stream().filter(Stage::isOutput).findFirst().orElseThrow();
        List<String> leaves = out.leafNames();
        double footprint = 0;
        for (int level = 0; level < 4; level++) {
            int i = leaves.size() - 1 - level;
            if (i >= 0) footprint += log2(extent.getOrDefault(out.name() + "/" + leaves.get(i), 1L));
            f[12 + level] = footprint;
        }
        if (!leaves.isEmpty())
            f[16] = out.loopKind(out.axis(leaves.get(leaves.size() - 1))) == dev.tessera.schedule.LoopKind.VECTORIZED ? 1 : 0;
        f[17] = leaves.size();
        for (int k = 0; k < knobs.size(); k++)
            f[GENERIC + k] = log2(1 + c.knobs().getOrDefault(knobs.get(k).name(), knobs.get(k).defaultValue()));
        return f;
    }

    static final int GPU = 12;

    /**
     * The features of a GPU candidate: the trace features of {@link #of} (no knobs), then those of
     * its device program (lowered as for the GPU): kernels; threads per block, largest and
     * smallest; blocks and threads launched in all; shared bytes per block, largest; per-thread
     * (local) elements, largest; barriers; the threadIdx.x extent of the last kernel (coalescing);
     * the block's share of the device's threads per block and shared memory; and whether every
     * block is a multiple of the warp. Extents are log2; a grid that is not constant counts 64 per
     * dimension. Null when the candidate does not lower.
     */
    static double[] ofGpu(Schedule schedule, Candidate c, Target target) {
        DeviceProgram p;
        try {
            p = Lower.lowerForGpu(schedule, "features");
        } catch (RuntimeException | StackOverflowError e) {
            return null;
        }
        double[] f = java.util.Arrays.copyOf(of(schedule, c, List.of()), GENERIC + GPU);
        Target.GpuLimits limits = target.gpu();
        long maxThreads = 0, minThreads = Long.MAX_VALUE, blocks = 0, threads = 0, shared = 0, local = 0;
        int barriers = 0;
        boolean warpMultiple = true;
        for (GpuKernel k : p.kernels()) {
            long grid = 1;
            for (var e : k.grid()) grid *= e instanceof IntImm i ? Math.max(1, i.value()) : 64;
            maxThreads = Math.max(maxThreads, k.threadsPerBlock());
            minThreads = Math.min(minThreads, k.threadsPerBlock());
            blocks += grid;
            threads += grid * k.threadsPerBlock();
            shared = Math.max(shared, k.sharedBytes());
            local = Math.max(local, k.scratch().stream().filter(b -> b.scope() == MemoryScope.LOCAL).mapToLong(GpuKernel.ScopedBuffer::elements).sum());
            barriers += countBarriers(k.body());
            warpMultiple &= k.threadsPerBlock() % limits.warpSize() == 0;
        }
        int g = GENERIC;
        f[g] = p.kernels().size();
        f[g + 1] = log2(maxThreads);
        f[g + 2] = p.kernels().isEmpty() ? 0 : log2(minThreads);
        f[g + 3] = log2(blocks);
        f[g + 4] = log2(threads);
        f[g + 5] = log2(1 + shared);
        f[g + 6] = log2(1 + local);
        f[g + 7] = barriers;
        f[g + 8] = p.kernels().isEmpty() ? 0 : log2(p.kernels().get(p.kernels().size() - 1).block().get(0));
        f[g + 9] = (double) maxThreads / limits.maxThreadsPerBlock();
        f[g + 10] = limits.sharedMemoryBytes() == 0 ? 0 : (double) shared / limits.sharedMemoryBytes();
        f[g + 11] = warpMultiple ? 1 : 0;
        return f;
    }

    private static int countBarriers(Stmt body) {
        int[] n = {0};
        new StmtVisitor() {
            @Override public void visit(Stmt s) {
                if (s instanceof Barrier) n[0]++;
                visitChildren(s);
            }
        }.visit(body);
        return n[0];
    }

    private static long ceil(long a, long b) { return b <= 0 ? a : (a + b - 1) / b; }

    private static double log2(long v) { return Math.log(Math.max(1, v)) / Math.log(2); }
}
