package dev.tessera.target.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA C of reductions shared by a block's threads: warp shuffles where a group of threads is a
 * power of two within a warp or of whole warps, the shared-memory tree otherwise; each compiles for
 * sm_80 and sm_90. (Their values are checked on the OpenCL device, which prints the tree, and by
 * the CUDA differential suite where a GPU is present.)
 */
class CrossThreadReductionSourceTest {
    /** An operator's row reduction with one block per {@code rows} rows (threadIdx.y) and {@code threads} threads per row. */
    static Schedule rows(String op, long rows, long threads) {
        OperatorInstance inst = Operators.get(op).buildSymbolic(new long[] {5, 1000});
        Schedule s = Schedule.create(inst.outputs());
        Stage st = s.stages().get(s.stages().size() - 1);
        LoopAxis i = st.leafAxes().get(0);
        if (rows > 1) {
            Stage.Parts r = st.split(i, rows);
            st.bind(r.outer(), "blockIdx.x");
            st.bind(r.inner(), "threadIdx.y");
        } else {
            st.bind(i, "blockIdx.x");
        }
        Stage.Parts k = st.split(st.leafAxes().stream().filter(LoopAxis::isReduce).findFirst().orElseThrow(), threads);
        st.bind(k.inner(), "threadIdx.x");
        return s;
    }

    @ParameterizedTest(name = "{0}: {1} rows x {2} threads")
    @CsvSource({
            "reduce_sum, 2, 16, 4",      // 16-lane groups inside 32-lane warps: four xor steps
            "reduce_sum, 1, 256, 5",     // eight whole warps: five steps per warp, then the warps' values through shared memory
            "reduce_max, 4, 8, 3",       // max over 8 lanes
            "reduce_sum, 1, 48, 0",      // 48 is no power of two: the shared-memory tree
            "reduce_sum, 3, 16, 0",      // 48 threads in the block: a partial warp, so the tree
    })
    void sharedReductionsUseShufflesWhereTheyFitAndCompile(String op, long rows, long threads, int shuffleSteps) {
        String src = new CudaBackend().source(rows(op, rows, threads), op, CudaBackend.typical("sm_80"));
        int shuffles = src.split("__shfl_xor_sync", -1).length - 1;
        assertEquals(shuffleSteps, shuffles, src);
        if (shuffleSteps == 0) assertTrue(src.contains("__shared__") && src.contains("_partial_tree[") && src.contains("__syncthreads();"), src);
        if (rows == 1 && threads == 256) assertTrue(src.contains("% 32LL == 0"), "lane 0 of each warp publishes its value:\n" + src);
        Optional<String> reason = CudaCompiler.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no CUDA compiler: " + reason.orElse(""));
        for (String arch : new String[] {"sm_80", "sm_90"}) {
            byte[] cubin = CudaCompiler.compile(src, arch).cubin();
            assertFalse(cubin.length < 4 || cubin[0] != 0x7f || cubin[1] != 'E', op + " for " + arch + ": not a cubin");
        }
    }
}
