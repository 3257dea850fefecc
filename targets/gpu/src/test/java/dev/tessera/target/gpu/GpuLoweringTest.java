package dev.tessera.target.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.target.Target;
import dev.tessera.target.VectorizedCases;
import java.util.List;
import org.junit.jupiter.api.Test;

/** GPU lowering as a user sees it: launch shapes, memory scopes, barriers in the source, and the errors for schedules a GPU cannot run. */
class GpuLoweringTest {
    static final Target SMALL_GPU = new Target("opencl", "test GPU", "", 128, 4,
            new Target.GpuLimits("OpenCL C 1.2", 256, List.of(256L, 256L, 64L), List.of(65535L, 65535L, 65535L), 16 * 1024, 32));

    /** C = A * B with a 16 x 16 shared tile of B staged per block. */
    static Schedule tiledMatmul(int n, boolean stageB) {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(n), Te.c(n));
        Tensor b = Te.placeholder("B", DType.F32, Te.c(n), Te.c(n));
        var k = Te.reduceAxis("k", n);
        Tensor c = Te.compute("C", List.of(Te.c(n), Te.c(n)), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        Schedule s = Schedule.create(c);
        Stage cs = s.stage(c);
        Stage.Tiles t = cs.gpuTile("i", "j", 16, 16);
        if (stageB) {
            Stage bc = s.cacheRead(b, cs);
            Stage.Parts kp = cs.split("k", 16);
            cs.reorder(t.xOuter(), t.yOuter(), kp.outer(), t.xInner(), t.yInner(), kp.inner());
            bc.computeAt(cs, kp.outer());
            // The 16 x 16 tile is loaded by the consumer's 16 x 16 threads, one element each.
            Stage.Parts p = bc.split(bc.fuse(bc.leafAxes().get(0), bc.leafAxes().get(1)), 16);
            bc.bind(p.inner(), "threadIdx.x");
            bc.bind(p.outer(), "threadIdx.y");
        }
        return s;
    }

    @Test
    void gpuTileMakesTheGridAndTheBlock() {
        DeviceProgram p = Lower.lowerForGpu(tiledMatmul(64, false), "mm");
        assertEquals(1, p.kernels().size());
        GpuKernel k = p.kernels().get(0);
        assertEquals(List.of(16L, 16L, 1L), k.block());
        assertEquals("[4, 4, 1]", k.grid().toString());
    }

    @Test
    void aTileStagedPerBlockIsSharedAndFencedByBarriers() {
        DeviceProgram p = Lower.lowerForGpu(tiledMatmul(64, true), "mm");
        GpuKernel k = p.kernels().get(0);
        assertEquals(MemoryScope.SHARED, k.scratch().get(0).scope());
        assertEquals(256 * 4, k.sharedBytes());
        String cuda = new CudaSource().generate(p), opencl = new OpenClSource().generate(p);
        assertTrue(cuda.contains("__shared__ __align__(16) float B_cache[256];"), cuda);
        assertTrue(cuda.contains("__syncthreads();"), cuda);
        assertTrue(opencl.contains("__local float B_cache[256];"), opencl);
        assertTrue(opencl.contains("barrier(CLK_LOCAL_MEM_FENCE);"), opencl);
        // One barrier after the tile is loaded, one before the next iteration overwrites it.
        assertEquals(2, cuda.split("__syncthreads\\(\\);", -1).length - 1, cuda);
    }

    @Test
    void aBlockLargerThanTheDeviceAllowsNamesTheLimit() {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(1024));
        Tensor b = Te.compute("B", List.of(Te.c(1024)), List.of("i"), v -> a.at(v.get(0)).add(1f));
        Schedule s = Schedule.create(b);
        s.stage(b).gpuTile("i", 512);
        DeviceProgram p = Lower.lowerForGpu(s, "add1");
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> LaunchLimits.check(p, SMALL_GPU));
        assertTrue(e.getMessage().contains("512 threads per block") && e.getMessage().contains("limit of 256 threads per block"), e.getMessage());
    }

    @Test
    void sharedMemoryBeyondTheDeviceNamesTheLimit() {
        DeviceProgram p = Lower.lowerForGpu(tiledMatmul(64, true), "mm");
        Target tiny = new Target("opencl", "tiny", "", 128, 1,
                new Target.GpuLimits("OpenCL C 1.2", 256, List.of(256L, 256L, 64L), List.of(65535L, 65535L, 65535L), 512, 1));
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> LaunchLimits.check(p, tiny));
        assertTrue(e.getMessage().contains("1024 bytes in shared memory") && e.getMessage().contains("limit of 512 bytes"), e.getMessage());
    }

    @Test
    void aConstantGridBeyondTheDeviceIsRefusedBeforeAnyLaunch() {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(100_000), Te.c(4));
        Tensor b = Te.compute("B", List.of(Te.c(100_000), Te.c(4)), List.of("i", "j"), v -> a.at(v.get(0), v.get(1)).add(1f));
        Schedule s = Schedule.create(b);
        s.stage(b).gpuTile("i", "j", 1, 4); // 100000 rows of blocks on blockIdx.y
        DeviceProgram p = Lower.lowerForGpu(s, "add1");
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> LaunchLimits.check(p, SMALL_GPU));
        assertTrue(e.getMessage().contains("needs 100000 blocks in dimension y, more than the limit of 65535"), e.getMessage());
    }

    @Test
    void perThreadArraysBeyondTheLocalMemoryLimitAreRefused() {
        // Each thread computes the whole of B (20000 floats, 80 KB) in its own array before summing it.
        Tensor a = Te.placeholder("A", DType.F32, Te.c(20_000));
        Tensor b = Te.compute("B", List.of(Te.c(20_000)), List.of("k"), v -> a.at(v.get(0)).mul(2f));
        var k = Te.reduceAxis("r", 20_000);
        Tensor c = Te.compute("C", List.of(Te.c(64)), List.of("i"), v -> Te.sum(b.at(k.var()), k));
        Schedule s = Schedule.create(c);
        s.stage(c).gpuTile("i", 32);
        s.stage(b).computeAt(s.stage(c), "i.inner");
        DeviceProgram p = Lower.lowerForGpu(s, "sums");
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> LaunchLimits.check(p, SMALL_GPU));
        assertTrue(e.getMessage().contains("keeps 80000 bytes of arrays per thread, more than the limit of 65536 bytes of local memory per thread"), e.getMessage());
    }

    @Test
    void aStageWithoutBindingsSaysHowToBindIt() {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(64));
        Tensor b = Te.compute("B", List.of(Te.c(64)), List.of("i"), v -> a.at(v.get(0)).add(1f));
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> Lower.lowerForGpu(Schedule.create(b), "add1"));
        assertTrue(e.getMessage().contains("not bound to GPU blocks or threads") && e.getMessage().contains("gpu_tile"), e.getMessage());
    }

    @Test
    void blockLoopsInsideASerialLoopAreRejected() {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(64), Te.c(64));
        Tensor b = Te.compute("B", List.of(Te.c(64), Te.c(64)), List.of("i", "j"), v -> a.at(v.get(0), v.get(1)).add(1f));
        Schedule s = Schedule.create(b);
        s.stage(b).bind("j", "blockIdx.x");
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> Lower.lowerForGpu(s, "add1"));
        assertTrue(e.getMessage().contains("runs inside loop i") && e.getMessage().contains("outermost"), e.getMessage());
    }

    @Test
    void bindingErrorsListWhatIsLegal() {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(64));
        var k = Te.reduceAxis("k", 64);
        Tensor s = Te.compute("S", List.of(Te.c(1)), List.of("i"), v -> Te.sum(a.at(k.var()), k));
        Schedule sch = Schedule.create(s);
        TesseraUserError bad = assertThrows(TesseraUserError.class, () -> sch.stage(s).bind("i", "threadIdx.w"));
        assertTrue(bad.getMessage().contains("legal: blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x"), bad.getMessage());
        TesseraUserError red = assertThrows(TesseraUserError.class, () -> sch.stage(s).bind("k", "blockIdx.y"));
        assertTrue(red.getMessage().contains("reduction axis") && red.getMessage().contains("rfactor")
                && red.getMessage().contains("bind it to a threadIdx"), red.getMessage());
        sch.stage(s).bind("i", "blockIdx.x");
        TesseraUserError twice = assertThrows(TesseraUserError.class, () -> sch.stage(s).bind("i", "threadIdx.x"));
        assertTrue(twice.getMessage().contains("already bound to blockIdx.x"), twice.getMessage());
        TesseraUserError scope = assertThrows(TesseraUserError.class, () -> sch.stage(s).setScope("shared"));
        assertTrue(scope.getMessage().contains("is an output"), scope.getMessage());
    }

    /**
     * C[i] = B[i + 1] + B[i] with B = 2 A, C on 32 threads per block and B computed inside C's
     * thread loop: per thread unless set to shared memory, and then loaded by {@code bThreads}
     * threads of the block together when that is positive.
     */
    static Schedule stencil(boolean shared, long bThreads) {
        Tensor a = Te.placeholder("A", DType.F32, Te.c(65));
        Tensor b = Te.compute("B", List.of(Te.c(65)), List.of("i"), v -> a.at(v.get(0)).mul(2f));
        Tensor c = Te.compute("C", List.of(Te.c(64)), List.of("i"), v -> b.at(v.get(0).add(1)).add(b.at(v.get(0))));
        Schedule s = Schedule.create(c);
        Stage.Parts p = s.stage(c).gpuTile("i", 32);
        Stage bs = s.stage(b);
        bs.computeAt(s.stage(c), p.inner());
        if (shared) bs.setScope("shared");
        if (bThreads > 0) bs.bind(bs.split("i", bThreads).inner(), "threadIdx.x");
        return s;
    }

    @Test
    void aSharedStageInsideThreadLoopsHoldsTheWholeBlocksTile() {
        DeviceProgram p = Lower.lowerForGpu(stencil(true, 32), "f");
        GpuKernel k = p.kernels().get(0);
        assertEquals(List.of(32L, 1L, 1L), k.block());
        // What the block's 32 threads read (33 elements), not one thread's 2.
        assertEquals(MemoryScope.SHARED, k.scratch().get(0).scope());
        assertEquals(33, k.scratch().get(0).elements());
        String cuda = new CudaSource().generate(p);
        assertTrue(cuda.contains("__shared__ __align__(16) float B[33];"), cuda);
        // Loaded in two rounds of 32 threads, then one barrier before C reads it; none inside the loads.
        assertEquals(1, cuda.split("__syncthreads\\(\\);", -1).length - 1, cuda);
        int barrier = cuda.indexOf("__syncthreads();");
        assertTrue(cuda.lastIndexOf("B[", barrier) < barrier && cuda.indexOf("C[", barrier) > barrier, cuda);
    }

    @Test
    void aStageTheBlocksThreadsComputeTogetherMustBeShared() {
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> Lower.lowerForGpu(stencil(false, 32), "f"));
        assertTrue(e.getMessage().contains("runs inside another loop bound to threadIdx.x") && e.getMessage().contains("writes B in local memory")
                && e.getMessage().contains("set_scope(stage, \"shared\")"), e.getMessage());
    }

    @Test
    void aSharedTileNotEveryThreadReachesIsRejected() {
        // 64 loading threads make a block of 64, so C's loop of 32 runs on half of them: no barrier can sit inside it.
        TesseraUserError e = assertThrows(TesseraUserError.class, () -> Lower.lowerForGpu(stencil(true, 64), "f"));
        assertTrue(e.getMessage().contains("not every thread of the block reaches it"), e.getMessage());
    }

    // ---------------------------------------------------------------- vectors and 16-bit floats

    /** {@code B = 2 A + 1} on 1024 elements of {@code t}, each thread computing {@code lanes} neighbours as one vector. */
    static DeviceProgram vectorScale(DType t, int lanes) {
        Tensor a = Te.placeholder("A", t, 1024);
        Tensor b = Te.compute("B", List.of(Te.c(1024)), List.of("i"), v -> a.at(v.get(0)).mul(2).add(1));
        Schedule s = Schedule.create(b);
        Stage.Parts p = s.stage(b).split("i", lanes);
        s.stage(b).gpuTile(p.outer().name(), 64);
        s.stage(b).vectorize(p.inner());
        return Lower.lowerForGpu(s, "scale");
    }

    private static int count(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    @Test
    void aFourWideVectorLoadsAndStoresOneVector() {
        DeviceProgram p = vectorScale(DType.F32, 4);
        String cl = new OpenClSource().generate(p), cu = new CudaSource().generate(p);
        String base = "((i_outer_outer * 256L) + (i_outer_inner * 4L))";
        assertTrue(cl.contains("const float4 A_vec = vload4(0, A + " + base + ");"), cl);
        assertTrue(cl.contains("vstore4((float4)(((A_vec.s0 * 0x1.0p1f) + 0x1.0p0f), ((A_vec.s1 * 0x1.0p1f) + 0x1.0p0f), "), cl);
        String cuBase = base.replace("L)", "LL)");
        assertTrue(cu.contains("const float4 A_vec = *(const float4*)(A + " + cuBase + ");"), cu);
        assertTrue(cu.contains("*(float4*)(B + " + cuBase + ") = make_float4(((A_vec.x * 0x1.0p1f) + 0x1.0p0f), "), cu);
        assertEquals(0, count(cu, "A["), cu);
    }

    @Test
    void eightLanesAreTwoFloat4InCudaAndOneFloat8InOpenCl() {
        DeviceProgram p = vectorScale(DType.F32, 8);
        String cl = new OpenClSource().generate(p), cu = new CudaSource().generate(p);
        assertTrue(cl.contains("const float8 A_vec = vload8(0, A + ") && cl.contains("vstore8((float8)("), cl);
        assertTrue(cu.contains("const float4 A_lanes0_3 = *(const float4*)(A + ") && cu.contains("const float4 A_lanes4_7 = *(const float4*)(A + "), cu);
        assertEquals(2, count(cu, "= make_float4("), cu);
    }

    @Test
    void cudaVectorsNeedAnAlignedIndexOpenClVectorsDoNot() {
        // out[i] = x[i + 1] - x[i]: x[i + 1] starts one element past a multiple of four.
        VectorizedCases.Case c = VectorizedCases.offset();
        DeviceProgram p = Lower.lowerForGpu(c.schedule(), c.name());
        String cl = new OpenClSource().generate(p), cu = new CudaSource().generate(p);
        assertEquals(2, count(cl, "vload4(0, x + "), cl);
        assertEquals(1, count(cu, "*(const float4*)(x + "), cu);
        assertEquals(4, count(cu, "(x[("), cu); // x[i + 1] lane by lane
        assertEquals(1, count(cu, "= make_float4("), cu);
    }

    @Test
    void aVectorWithLanesOffPastTheEndIsOneVectorWhenEveryLaneIsOn() {
        VectorizedCases.Case c = VectorizedCases.tail();
        String cu = new CudaSource().generate(Lower.lowerForGpu(c.schedule(), c.name()));
        assertTrue(cu.contains("if (((((i_outer_outer * 64LL) + (i_outer_inner * 4LL)) + 3LL) < n)) {"), cu);
        assertTrue(cu.contains("const float4 x_vec = *(const float4*)(x + "), cu);
        assertTrue(cu.contains("} else {"), cu);
        // Otherwise each lane is written, and read, only when it is inside.
        assertTrue(cu.contains("if (((((i_outer_outer * 64LL) + (i_outer_inner * 4LL)) + 2LL) < n)) tail[(((i_outer_outer * 64LL) + (i_outer_inner * 4LL)) + 2LL)] = "), cu);
    }

    @Test
    void otherVectorWidthsAreUnrolled() {
        DeviceProgram p = vectorScale(DType.F32, 3);
        String cl = new OpenClSource().generate(p);
        assertEquals(0, count(cl, "vload") + count(cl, "vstore"), cl);
        assertEquals(3, count(cl, "B[i] = "), cl);
    }

    @Test
    void halfPrecisionIsComputedInFloatAndStoredAsItsBits() {
        DeviceProgram half = vectorScale(DType.F16, 4);
        String cu = new CudaSource().generate(half), cl = new OpenClSource().generate(half);
        assertTrue(cu.contains("scale_kernel0(unsigned short* __restrict__ A, unsigned short* __restrict__ B)"), cu);
        assertTrue(cu.contains("asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f));") && !cu.contains("#include"), cu);
        // Every operation rounds back to f16; the store converts the rounded float to its bits.
        assertTrue(cu.contains("tsr_f32_to_f16(tsr_round_f16(tsr_f16_to_f32(A_vec.x) * 0x1.0p1f) + 0x1.0p0f)"), cu);
        assertTrue(cu.contains("const ushort4 A_vec = *(const ushort4*)(A + "), cu);
        assertTrue(cl.contains("__global ushort* restrict A") && cl.contains("vstore_half_rte(f, 0, (half*)&h)") && !cl.contains("cl_khr_fp16"), cl);
        assertTrue(!cl.contains("bf16"), cl);
        String bf = new OpenClSource().generate(vectorScale(DType.BF16, 4));
        assertTrue(bf.contains("tsr_f32_to_bf16(tsr_round_bf16(tsr_bf16_to_f32(A_vec.s0) * 0x1.0p1f) + 0x1.0p0f)"), bf);
        assertTrue(bf.contains("return (ushort)((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);") && !bf.contains("vload_half"), bf);
    }

    @Test
    void tensorsNamedLikeVectorTypesAreRenamed() {
        Tensor a = Te.placeholder("float4", DType.F32, 64);
        Tensor b = Te.compute("vload4", List.of(Te.c(64)), List.of("i"), v -> a.at(v.get(0)).add(1f));
        Schedule s = Schedule.create(b);
        s.stage(b).gpuTile("i", 64);
        String cl = new OpenClSource().generate(Lower.lowerForGpu(s, "f"));
        assertTrue(cl.contains("__global float* restrict float4_, __global float* restrict vload4_)"), cl);
    }
}
