package dev.tessera.target.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shape of matmul's GPU schedule ({@code Operator.applyGpuSchedule}) as the generated code
 * shows it: the launch, the shared memory, and an inner loop of nothing but shared loads and
 * multiply-adds. Its values are checked on a device by the OpenCL differential tests.
 */
class MatmulGpuScheduleTest {
    /** An H100 as the CUDA driver describes it. */
    static final Target H100 = new Target("cuda", "NVIDIA H100 80GB HBM3", "", 128, 132,
            new Target.GpuLimits("sm_90", 1024, List.of(1024L, 1024L, 64L), List.of(2147483647L, 65535L, 65535L), 48 * 1024, 32));

    static DeviceProgram program(String op, String shape, boolean symbolic, DType dtype) {
        Operator o = Operators.get(op);
        OperatorInstance inst = symbolic ? o.buildSymbolic(o.parseShape(shape), dtype) : o.build(o.parseShape(shape), dtype);
        Schedule s = Schedule.create(inst.outputs());
        o.applyGpuSchedule(s);
        return Lower.lowerForGpu(s, op);
    }

    /** The body of the first loop over k steps in a kernel's source. */
    static String kStepLoop(String source) {
        int start = source.indexOf("for (long long k_outer");
        assertTrue(start >= 0, source);
        int open = source.indexOf('{', start), depth = 0;
        for (int i = open; i < source.length(); i++) {
            if (source.charAt(i) == '{') depth++;
            if (source.charAt(i) == '}' && --depth == 0) return source.substring(open + 1, i);
        }
        throw new AssertionError("unbalanced braces");
    }

    /** Whether the host program picks one of two kernels by a condition on the shape. */
    static boolean choosesAtLaunch(HostStep s) {
        return switch (s) {
            case HostStep.If i -> i.then() instanceof HostStep.Let || i.then() instanceof HostStep.Launch;
            case HostStep.Let l -> choosesAtLaunch(l.body());
            case HostStep.Sequence q -> q.steps().stream().anyMatch(MatmulGpuScheduleTest::choosesAtLaunch);
            case HostStep.Allocate a -> choosesAtLaunch(a.body());
            case HostStep.Launch l -> false;
        };
    }

    static int count(String text, String what) { return text.split(java.util.regex.Pattern.quote(what), -1).length - 1; }

    @Test
    void a4096SquareMatmulRuns128By128TilesOf256ThreadsWith8KiBOfSharedMemory() {
        DeviceProgram p = program("matmul", "4096,4096,4096", false, DType.F32);
        assertEquals(1, p.kernels().size());
        GpuKernel k = p.kernels().get(0);
        assertEquals(List.of(256L, 1L, 1L), k.block());
        assertEquals("[32, 32, 1]", k.grid().toString());
        assertEquals(2 * 128 * 8 * 4, k.sharedBytes());
        LaunchLimits.check(p, H100);
    }

    @Test
    void smallMatricesAndF64Take64By64Tiles() {
        GpuKernel small = program("matmul", "67,45,33", false, DType.F32).kernels().get(0);
        assertEquals(List.of(256L, 1L, 1L), small.block());
        assertEquals("[1, 2, 1]", small.grid().toString());
        GpuKernel f64 = program("matmul", "4096,4096,4096", false, DType.F64).kernels().get(0);
        assertEquals("[64, 64, 1]", f64.grid().toString());
        assertEquals(2 * 64 * 8 * 8, f64.sharedBytes());
        GpuKernel batched = program("batch_matmul", "3,256,256,64", false, DType.F32).kernels().get(0);
        assertEquals("[2, 2, 3]", batched.grid().toString());
    }

    @Test
    void aDeviceWithFewerThreadsPerBlockIsToldWhichLimitTheTileExceeds() {
        Target small = new Target("opencl", "small GPU", "", 128, 4,
                new Target.GpuLimits("OpenCL C 1.2", 128, List.of(128L, 128L, 64L), List.of(65535L, 65535L, 65535L), 48 * 1024, 32));
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> LaunchLimits.check(program("matmul", "4096,4096,4096", false, DType.F32), small));
        assertTrue(e.getMessage().contains("uses 256 threads per block") && e.getMessage().contains("limit of 128 threads per block"), e.getMessage());
    }

    @Test
    void theInnerLoopIsSharedLoadsAndMultiplyAddsWithoutGuardsWhenTheShapeDividesTheTiles() {
        String cuda = new CudaSource().generate(program("matmul", "4096,4096,4096", false, DType.F32));
        assertTrue(cuda.contains("__shared__ __align__(16) float A_cache[1024];"), cuda);
        assertTrue(cuda.contains("__shared__ __align__(16) float B_cache[1024];"), cuda);
        assertTrue(cuda.contains("float matmul_acc[64];"), cuda);
        String loop = kStepLoop(cuda);
        assertFalse(loop.contains("if ("), loop);
        // The loads' thread-to-element divisions depend on the thread alone (the CUDA compiler hoists them out of the
        // loop); the multiply-adds after the first barrier address shared memory with no integer arithmetic but a base.
        String compute = loop.substring(loop.indexOf("__syncthreads();"));
        assertFalse(compute.contains("tsr_floor"), compute);
        // 8 k values x an 8 x 8 register tile, each one multiply-add of two shared values.
        assertEquals(512, count(loop, "] * B_cache["), loop);
        assertEquals(512, count(loop, "= (matmul_acc["), loop);
        // The block's threads load a k step of each panel (4 elements each), then one barrier; one more before the next step.
        assertEquals(4, count(loop, "A_cache[((((i0 * 8LL)"), loop);
        assertEquals(2, count(loop, "__syncthreads();"), loop);
    }

    @Test
    void aSymbolicRowCountGetsTheGuardFreeKernelWhenItFillsWholeBlocks() {
        DeviceProgram p = program("matmul", "4096,4096,4096", true, DType.F32);
        assertEquals(2, p.kernels().size());
        assertTrue(choosesAtLaunch(p.host()), p.host().toString());
        String cuda = new CudaSource().generate(p);
        String fast = kStepLoop(cuda.substring(cuda.indexOf("matmul_kernel0")));
        assertFalse(fast.contains("if ("), fast);
        assertEquals(512, count(fast, "] * B_cache["), fast);
        String general = cuda.substring(cuda.indexOf("matmul_kernel1"));
        assertTrue(general.contains("< matmul_acc_i_extent"), general);
    }
}
