package dev.tessera.schedule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The default GPU schedule of any compute definition (what TVM calls auto-binding): elementwise
 * producers are inlined; a reduction whose reader runs on threads is computed per thread inside
 * the reader's thread loops (an accumulator in registers); every other stage is a kernel whose last two spatial loops are tiled
 * 8 x 32 onto blocks and threads (the innermost storage dimension on {@code threadIdx.x}, so
 * neighbouring threads touch neighbouring elements), with outer spatial loops fused onto
 * {@code blockIdx.z}; a stage with one spatial loop runs 256 threads per block along it.
 */
public final class GpuSchedules {
    private GpuSchedules() {}

    /**
     * Computes a producer inside the innermost thread loop of a reader that has thread loops, when
     * that is a legal level: each thread then computes the few values it reads, in registers.
     */
    private static boolean computeInThreads(Schedule s, Stage st) {
        for (Stage reader : s.readers(st)) {
            List<LoopAxis> legal = RandomSchedules.legalLevels(s, st, reader);
            LoopAxis innermostThread = null;
            for (LoopAxis a : reader.leafAxes()) if (reader.loopKind(a).isGpuThread()) innermostThread = a;
            if (innermostThread != null && legal.contains(innermostThread)) {
                st.computeAt(reader, innermostThread);
                return true;
            }
        }
        return false;
    }

    public static void applyDefault(Schedule s) {
        List<Stage> stages = new ArrayList<>(s.stages());
        Collections.reverse(stages);
        for (Stage st : stages) {
            if (!st.isOutput() && !st.isReduction() && st.op().outputs().size() == 1) {
                st.computeInline();
                continue;
            }
            if (!st.isOutput() && computeInThreads(s, st)) continue;
            List<LoopAxis> spatial = st.leafAxes().stream().filter(a -> !a.isReduce()).toList();
            if (spatial.isEmpty()) continue; // a scalar: one thread
            if (spatial.size() == 1) {
                st.gpuTile(spatial.get(0).name(), 256);
                continue;
            }
            st.gpuTile(spatial.get(spatial.size() - 2).name(), spatial.get(spatial.size() - 1).name(), 8, 32);
            if (spatial.size() > 2) {
                LoopAxis outer = spatial.get(0);
                for (int i = 1; i < spatial.size() - 2; i++) outer = st.fuse(outer, spatial.get(i));
                st.bind(outer, "blockIdx.z");
            }
        }
    }

    /** The most bytes of a row that {@link #blockPerRow} stages in shared memory. */
    private static final long ROW_STAGING_BYTES = 16 * 1024;

    /**
     * One block per row, for row operators (softmax, layer norm, row reductions): the output's
     * outer spatial loops (fused) go to {@code blockIdx.x} and its last loop is spread over up to
     * 256 threads; every row reduction is computed inside the row's block, its reduction shared by
     * the same threads (each folds a strided share, coalesced, then the block combines them), with
     * each thread keeping the row's result in a register; elementwise stages are inlined. An input
     * whose row fits in {@value #ROW_STAGING_BYTES} bytes and is read by several stages is staged
     * in shared memory once, so the row is read from global memory once. Falls back to
     * {@link #applyDefault} for anything that is not such a row operator (several outputs, or a
     * reduction whose rows are not the output's).
     */
    public static void blockPerRow(Schedule s) {
        List<Stage> outputs = s.stages().stream().filter(Stage::isOutput).toList();
        Stage out = outputs.size() == 1 ? outputs.get(0) : null;
        List<LoopAxis> outSpatial = out == null ? List.of() : out.leafAxes().stream().filter(a -> !a.isReduce()).toList();
        if (out == null || outSpatial.isEmpty()) {
            applyDefault(s);
            return;
        }
        List<dev.tessera.ir.Axis> axes = out.op().axes();
        long rowLength = out.isReduction() || outSpatial.size() == 1 ? longestReduction(s) : Math.max(1, constant(axes.get(axes.size() - 1).extent()));
        long threads = rowThreads(rowLength);
        // Stage a multiply-read input row in shared memory (before the other steps: it makes a stage).
        for (var t : s.inputs()) {
            List<Stage> readers = s.stages().stream().filter(st -> st.inputs().contains(t)).toList();
            long rowBytes = constant(t.shape().get(t.shape().size() - 1)) * t.dtype().bits() / 8;
            if (!out.isReduction() && readers.size() > 1 && t.shape().size() == outSpatial.size() && rowBytes > 0 && rowBytes <= ROW_STAGING_BYTES)
                s.cacheRead(t, readers.toArray(Stage[]::new));
        }
        List<Stage> stages = new ArrayList<>(s.stages());
        Collections.reverse(stages);
        // A row's values (the output's last dimension) spread over the threads; a value per row (a reduction, or
        // an elementwise result of one, like a mean) is one block's.
        boolean perRow = out.isReduction() || outSpatial.size() == 1;
        LoopAxis row = fuseAll(out, perRow ? outSpatial : outSpatial.subList(0, outSpatial.size() - 1));
        out.bind(row, "blockIdx.x");
        if (out.isReduction()) {
            shareReduction(out, threads);
        } else if (!perRow) {
            Stage.Parts cols = out.split(outSpatial.get(outSpatial.size() - 1), threads);
            out.bind(cols.inner(), "threadIdx.x");
        }
        for (Stage st : stages) {
            if (st == out) continue;
            if (st.isReduction()) {
                st.computeAt(out, row);
                st.setScope("local"); // every thread holds the row's result: no shared copy, no barrier to read it
                shareReduction(st, threads);
            } else if (st.op().outputs().size() == 1 && !isStaging(s, st)) {
                st.computeInline();
            } else {
                st.computeAt(out, row);
                LoopAxis all = fuseAll(st, st.leafAxes());
                st.bind(st.split(all, threads).inner(), "threadIdx.x");
            }
        }
    }

    private static boolean isStaging(Schedule s, Stage st) {
        return st.name().endsWith(".cache") && s.inputs().stream().anyMatch(t -> st.inputs().contains(t));
    }

    private static void shareReduction(Stage st, long threads) {
        LoopAxis k = fuseAll(st, st.leafAxes().stream().filter(LoopAxis::isReduce).toList());
        st.bind(st.split(k, threads).inner(), "threadIdx.x");
    }

    /** Threads per row: a power of two from one warp up to 256, about four elements each. */
    private static long rowThreads(long rowLength) {
        long t = 32;
        while (t < 256 && t * 4 < rowLength) t *= 2;
        return t;
    }

    private static long longestReduction(Schedule s) {
        long n = 1;
        for (Stage st : s.stages()) if (st.isReduction()) n = Math.max(n, reduceExtent(st));
        return n;
    }

    private static long reduceExtent(Stage st) {
        long n = 1;
        for (var a : st.reduceAxes()) {
            long e = constant(a.extent());
            n *= e < 0 ? 1024 : e; // a symbolic reduction: assume a long one
        }
        return n;
    }

    private static long constant(dev.tessera.ir.Expr e) {
        Long n = dev.tessera.ir.Exprs.constInt(e);
        return n == null ? -1 : n;
    }

    private static LoopAxis fuseAll(Stage st, List<LoopAxis> axes) {
        LoopAxis f = axes.get(0);
        for (int i = 1; i < axes.size(); i++) f = st.fuse(f, axes.get(i));
        return f;
    }
}
