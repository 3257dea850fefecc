package dev.tessera.autotune;

import dev.tessera.ir.Axis;
import dev.tessera.ir.IntImm;
import dev.tessera.ops.Knob;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
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
                case Step.Rfactor r -> f[10]++;
                case Step.Prefetch p -> f[11]++;
                case Step.ComputeRoot r -> {}
                case Step.Specialize s -> {}
                case Step.StorageAlign a -> {}
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

    private static long ceil(long a, long b) { return b <= 0 ? a : (a + b - 1) / b; }

    private static double log2(long v) { return Math.log(Math.max(1, v)) / Math.log(2); }
}
