package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Reducer;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.GpuSchedules;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.gpu.CudaSource;
import dev.tessera.target.gpu.OpenClSource;
import dev.tessera.lower.Lower;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reductions shared by the threads of a block (a reduction loop bound to a threadIdx): each thread
 * folds its share, then the partials are combined across threads (a local-memory tree in OpenCL,
 * warp shuffles in CUDA) and one result written. Run on the OpenCL device and compared with the
 * reference interpreter; the CUDA source is checked for its shuffles.
 */
class CrossThreadReductionTest {
    static OpenClBackend backend;
    static Target target;

    @BeforeAll
    static void device() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        backend = new OpenClBackend();
        target = backend.runtime().target();
    }

    /** Row sums, one block per row, {@code threads} threads sharing each row. */
    static Schedule rowSum(Tensor a, long threads) {
        Axis k = Te.reduceAxis("k", a.shape().get(1));
        Tensor b = Te.compute("b", List.of(a.shape().get(0)), i -> Te.sum(a.at(i.get(0), k.var()), k));
        Schedule s = Schedule.create(List.of(b));
        Stage st = s.stage(b);
        st.bind(st.leafAxes().get(0), "blockIdx.x");
        Stage.Parts p = st.split(st.leafAxes().get(1), threads);
        st.bind(p.inner(), "threadIdx.x");
        return s;
    }

    @Test
    void rowSumsAcrossThreadsMatchTheReference() {
        for (long threads : new long[] {1, 7, 32, 64, 256}) {
            for (long cols : new long[] {1, 100, 1000}) {
                Tensor a = Te.placeholder("a", DType.F32, 9, cols);
                Schedule s = rowSum(a, threads);
                CompiledKernel k = backend.compile(s, "row_sum", target);
                assertNull(ReferenceCheck.firstMismatch(List.of(a), s.outputs(), k, -1, threads * 1000 + cols),
                        threads + " threads, " + cols + " columns");
            }
        }
    }

    @Test
    void softmaxWithBlockPerRowMatchesTheReference() {
        // max and sum computed per block in shared memory, each shared by the block's 64 threads.
        OperatorInstance inst = Operators.get("softmax").build(new long[] {5, 300});
        Schedule s = Schedule.create(inst.outputs());
        List<Stage> stages = s.stages();
        Stage out = stages.get(stages.size() - 1);
        out.bind(out.leafAxes().get(0), "blockIdx.x");
        Stage.Parts cols = out.split(out.leafAxes().get(1), 64);
        out.bind(cols.inner(), "threadIdx.x");
        for (Stage st : stages) {
            if (st == out) continue;
            if (!st.isReduction()) { st.computeInline(); continue; }
            st.computeAt(out, out.leafAxes().get(0));
            LoopAxis k = st.leafAxes().stream().filter(LoopAxis::isReduce).findFirst().orElseThrow();
            Stage.Parts p = st.split(k, 64);
            st.bind(p.inner(), "threadIdx.x");
        }
        CompiledKernel k = backend.compile(s, "softmax", target);
        assertNull(ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, -1, 3));
        String ocl = new OpenClSource().generate(Lower.lowerForGpu(s, "softmax"));
        assertTrue(ocl.contains("barrier(CLK_LOCAL_MEM_FENCE)"), ocl);
        String cuda = new CudaSource().generate(Lower.lowerForGpu(s, "softmax"));
        assertTrue(cuda.contains("__shfl_xor_sync(0xffffffffu, "), cuda);
    }

    @Test
    void argmaxAcrossThreadsKeepsIndexAndValueTogether() {
        // A tuple reducer: each combine reads both values of the other thread's (index, value) pair.
        Tensor x = Te.placeholder("x", DType.F32, 6, 77);
        Axis k = Te.reduceAxis("k", 77);
        Reducer argmax = Reducer.of("argmax", List.of(DType.I64, DType.F32),
                (a, b) -> List.of(Te.select(b.get(1).gt(a.get(1)), b.get(0), a.get(0)), Te.max(a.get(1), b.get(1))),
                List.of(Te.c(-1), Te.lowest(DType.F32)));
        List<Tensor> out = Te.computeMulti("argmax", List.of(Te.c(6)), List.of("i"),
                v -> Te.reduce(argmax, List.of(k.var(), x.at(v.get(0), k.var())), List.of(k), IntImm.bool(true)));
        Schedule s = Schedule.create(out);
        Stage st = s.stage(out.get(0));
        st.bind(st.leafAxes().get(0), "blockIdx.x");
        Stage.Parts p = st.split(st.leafAxes().get(1), 16);
        st.bind(p.inner(), "threadIdx.x");
        CompiledKernel kernel = backend.compile(s, "argmax", target);
        assertNull(ReferenceCheck.firstMismatch(List.of(x), out, kernel, -1, 5));
    }

    @Test
    void aSpatialLoopInsideTheReductionIsRefused() {
        Tensor a = Te.placeholder("a", DType.F32, 8, 64);
        Axis k = Te.reduceAxis("k", a.shape().get(1));
        Tensor b = Te.compute("b", List.of(a.shape().get(0)), i -> Te.sum(a.at(i.get(0), k.var()), k));
        Schedule s = Schedule.create(List.of(b));
        Stage st = s.stage(b);
        LoopAxis row = st.leafAxes().get(0);
        Stage.Parts p = st.split(st.leafAxes().get(1), 32);
        st.bind(p.inner(), "threadIdx.x");
        st.reorder(p.outer(), row, p.inner()); // rows now run inside the reduction's serial loop
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> Lower.lowerForGpu(s, "row_sum"));
        assertTrue(e.getMessage().contains("reorder them outside the reduction loops"), e.getMessage());
    }

    @Test
    void reductionAxesCannotBeBoundToBlocks() {
        Tensor a = Te.placeholder("a", DType.F32, 8, 64);
        Axis k = Te.reduceAxis("k", a.shape().get(1));
        Tensor b = Te.compute("b", List.of(a.shape().get(0)), i -> Te.sum(a.at(i.get(0), k.var()), k));
        Stage st = Schedule.create(List.of(b)).stage(b);
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> st.bind(st.leafAxes().get(1), "blockIdx.x"));
        assertTrue(e.getMessage().contains("blocks would race") && e.getMessage().contains("bind it to a threadIdx"), e.getMessage());
        assertEquals(2, st.leafAxes().size());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"softmax", "log_softmax", "layernorm", "reduce_sum", "reduce_mean", "reduce_max"})
    void blockPerRowSchedulesMatchTheReference(String name) {
        Operator op = Operators.get(name);
        for (String shape : op.testShapes()) {
            for (boolean symbolic : new boolean[] {false, true}) {
                OperatorInstance inst = symbolic ? op.buildSymbolic(op.parseShape(shape)) : op.build(op.parseShape(shape));
                Schedule s = Schedule.create(inst.outputs());
                GpuSchedules.blockPerRow(s);
                CompiledKernel k = backend.compile(s, name, target);
                for (long lead : symbolic ? new long[] {1, 7} : new long[] {-1})
                    assertNull(ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), k, lead, 11), name + " " + shape + " lead " + lead);
            }
        }
    }
}
