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
}
