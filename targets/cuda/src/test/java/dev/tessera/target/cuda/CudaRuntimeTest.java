package dev.tessera.target.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.target.gpu.DeviceRuntime.DeviceBuffer;
import dev.tessera.target.gpu.DeviceRuntime.KernelArg;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The CUDA runtime: a clear error where there is no GPU; where there is one, kernels run and
 * their results, timings and misuse errors are checked. Execution tests are skipped, with the
 * reason, on machines without a GPU or without a CUDA compiler.
 */
class CudaRuntimeTest {
    private static final List<String> KERNELS = List.of("add", "block_sum", "warp_sum");

    @Test
    void openWithoutAGpuSaysWhy() {
        var reason = CudaRuntime.unavailableReason();
        assumeTrue(reason.isPresent(), "this machine has a CUDA GPU");
        var error = assertThrows(TesseraUserError.class, () -> CudaRuntime.open(0));
        assertEquals(reason.get(), error.getMessage());
        assertTrue(error.getMessage().contains("use --target opencl or llvm"), error.getMessage());
    }

    private static CudaRuntime openGpu() {
        var noGpu = CudaRuntime.unavailableReason();
        assumeTrue(noGpu.isEmpty(), () -> "skipped: " + noGpu.orElseThrow());
        var noCompiler = CudaCompiler.unavailableReason();
        assumeTrue(noCompiler.isEmpty(), () -> "skipped: " + noCompiler.orElseThrow());
        return CudaRuntime.open(0);
    }

    private static MemorySegment floats(Arena arena, int n, IntToDoubleFunction value) {
        MemorySegment s = arena.allocate(JAVA_FLOAT, n);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, (float) value.applyAsDouble(i));
        return s;
    }

    private static DeviceBuffer upload(CudaRuntime cuda, MemorySegment host) {
        DeviceBuffer buffer = cuda.allocate(host.byteSize());
        cuda.copyToDevice(host, buffer);
        return buffer;
    }

    private static long[] dims(long x) {
        return new long[] {x, 1, 1};
    }

    @Test
    void describesTheDevice() {
        try (var cuda = openGpu()) {
            var gpu = cuda.target().gpu();
            assertEquals("cuda", cuda.target().kind());
            assertTrue(gpu.arch().matches("sm_\\d+"), gpu.arch());
            assertEquals(32, gpu.warpSize());
            assertTrue(gpu.maxThreadsPerBlock() >= 1024 && gpu.sharedMemoryBytes() >= 48 * 1024, gpu.toString());
        }
    }

    @Test
    void addsVectors() {
        int n = 1000; // not a multiple of the block size, so the guard matters
        try (var cuda = openGpu(); var arena = Arena.ofConfined()) {
            var module = cuda.build(Kernels.SOURCE, KERNELS);
            var a = upload(cuda, floats(arena, n, i -> i));
            var b = upload(cuda, floats(arena, n, i -> 2 * i + 0.5));
            var c = cuda.allocate(4L * n);
            cuda.launch(module, "add", List.of(new KernelArg.Buffer(a), new KernelArg.Buffer(b),
                    new KernelArg.Buffer(c), new KernelArg.Int64(n)), dims((n + 255) / 256), dims(256));
            cuda.synchronize();
            MemorySegment result = arena.allocate(JAVA_FLOAT, n);
            cuda.copyToHost(c, result);
            for (int i = 0; i < n; i++) assertEquals(3 * i + 0.5f, result.getAtIndex(JAVA_FLOAT, i), "c[" + i + "]");
        }
    }

    @Test
    void reducesThroughSharedMemoryAndWarpShuffles() {
        int n = 512;
        try (var cuda = openGpu(); var arena = Arena.ofConfined()) {
            var module = cuda.build(Kernels.SOURCE, KERNELS);
            var in = upload(cuda, floats(arena, n, i -> i % 7));
            var blockSums = cuda.allocate(4L * 2);
            var warpSums = cuda.allocate(4L * (n / 32));
            List<KernelArg> blockArgs = List.of(new KernelArg.Buffer(in), new KernelArg.Buffer(blockSums), new KernelArg.Int64(n));
            List<KernelArg> warpArgs = List.of(new KernelArg.Buffer(in), new KernelArg.Buffer(warpSums), new KernelArg.Int64(n));
            cuda.launch(module, "block_sum", blockArgs, dims(2), dims(256));
            cuda.launch(module, "warp_sum", warpArgs, dims(n / 128), dims(128));
            MemorySegment blocks = arena.allocate(JAVA_FLOAT, 2), warps = arena.allocate(JAVA_FLOAT, n / 32);
            cuda.copyToHost(blockSums, blocks);
            cuda.copyToHost(warpSums, warps);
            for (int block = 0; block < 2; block++)
                assertEquals(expectedSum(block * 256, 256), blocks.getAtIndex(JAVA_FLOAT, block), "block " + block);
            for (int warp = 0; warp < n / 32; warp++)
                assertEquals(expectedSum(warp * 32, 32), warps.getAtIndex(JAVA_FLOAT, warp), "warp " + warp);
        }
    }

    private static float expectedSum(int from, int count) {
        int sum = 0;
        for (int i = from; i < from + count; i++) sum += i % 7;
        return sum; // small integers: exact in float whatever the summation order
    }

    @Test
    void timesLaunchesWithEvents() {
        int n = 1 << 20;
        try (var cuda = openGpu()) {
            var module = cuda.build(Kernels.SOURCE, KERNELS);
            var a = cuda.allocate(4L * n);
            var c = cuda.allocate(4L * n);
            List<KernelArg> args = List.of(new KernelArg.Buffer(a), new KernelArg.Buffer(a), new KernelArg.Buffer(c), new KernelArg.Int64(n));
            double millis = cuda.timeMillis(() -> {
                for (int i = 0; i < 10; i++) cuda.launch(module, "add", args, dims(n / 256), dims(256));
            });
            assertTrue(millis > 0, "elapsed " + millis + " ms");
        }
    }

    @Test
    void misuseIsAUserError() {
        try (var cuda = openGpu(); var arena = Arena.ofConfined()) {
            var module = cuda.build(Kernels.SOURCE, KERNELS);
            var buffer = cuda.allocate(16);
            buffer.close();
            buffer.close(); // a second close is harmless
            var closed = assertThrows(TesseraUserError.class, () -> cuda.copyToHost(buffer, arena.allocate(16)));
            assertTrue(closed.getMessage().contains("closed device buffer"), closed.getMessage());
            List<KernelArg> args = List.of(new KernelArg.Buffer(buffer), new KernelArg.Buffer(buffer),
                    new KernelArg.Buffer(buffer), new KernelArg.Int64(4));
            var launchClosed = assertThrows(TesseraUserError.class, () -> cuda.launch(module, "add", args, dims(1), dims(4)));
            assertTrue(launchClosed.getMessage().contains("closed device buffer"), launchClosed.getMessage());

            var live = cuda.allocate(16);
            List<KernelArg> liveArgs = List.of(new KernelArg.Buffer(live), new KernelArg.Buffer(live),
                    new KernelArg.Buffer(live), new KernelArg.Int64(4));
            var tooMany = assertThrows(TesseraUserError.class,
                    () -> cuda.launch(module, "add", liveArgs, dims(1), new long[] {32, 32, 2}));
            assertTrue(tooMany.getMessage().contains("maxThreadsPerBlock"), tooMany.getMessage());

            var tooSmall = assertThrows(TesseraUserError.class, () -> cuda.copyToDevice(arena.allocate(32), live));
            assertTrue(tooSmall.getMessage().contains("32 bytes"), tooSmall.getMessage());

            var unknown = assertThrows(TesseraUserError.class, () -> cuda.build(Kernels.SOURCE, List.of("add", "mul")));
            assertTrue(unknown.getMessage().contains("'mul'") && unknown.getMessage().contains("[add, mul]"), unknown.getMessage());
        }
    }
}
