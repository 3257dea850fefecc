package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.target.gpu.DeviceRuntime.DeviceBuffer;
import dev.tessera.target.gpu.DeviceRuntime.DeviceModule;
import dev.tessera.target.gpu.DeviceRuntime.KernelArg;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Runs real kernels on the first OpenCL device (PoCL in CI); skipped with the reason where there is none. */
class OpenClRuntimeTest {
    private static final String ADD = """
            __kernel void add(__global const float* a, __global const float* b, __global float* c, long n) {
                long i = get_global_id(0);
                if (i < n) c[i] = a[i] + b[i];
            }
            """;

    // Each work-group reverses its slice of the input through local memory.
    private static final String REVERSE = """
            #define GROUP 64
            __kernel void reverse_groups(__global const int* in, __global int* out) {
                __local int tile[GROUP];
                int l = get_local_id(0);
                int base = get_group_id(0) * GROUP;
                tile[l] = in[base + l];
                barrier(CLK_LOCAL_MEM_FENCE);
                out[base + l] = tile[GROUP - 1 - l];
            }
            """;

    private OpenClRuntime rt;
    private Arena arena;

    @BeforeEach
    void open() {
        var reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> reason.orElse(""));
        rt = OpenClRuntime.open("");
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        if (arena != null) arena.close();
        if (rt != null) rt.close();
    }

    private MemorySegment floats(float[] values) {
        return arena.allocateFrom(ValueLayout.JAVA_FLOAT, values);
    }

    @Test
    void targetDescribesTheDevice() {
        var t = rt.target();
        assertAll(
                () -> assertEquals("opencl", t.kind()),
                () -> assertEquals(rt.device().name(), t.cpu()),
                () -> assertTrue(t.isGpu()),
                () -> assertTrue(t.gpu().arch().startsWith("OpenCL C "), t.gpu().arch()),
                () -> assertTrue(t.gpu().maxThreadsPerBlock() >= 1),
                () -> assertTrue(t.gpu().sharedMemoryBytes() > 0),
                () -> assertTrue(OpenClRuntime.devices().contains(rt.device())));
    }

    @Test
    void addOverCoveringGridMatchesJava() {
        int n = 1000;
        float[] a = new float[n], b = new float[n];
        var random = new Random(7);
        for (int i = 0; i < n; i++) {
            a[i] = random.nextFloat();
            b[i] = random.nextFloat() * 100;
        }
        // c is bigger than n and pre-filled, so a missing guard or an over-write shows up.
        float[] sentinel = new float[n + 24];
        java.util.Arrays.fill(sentinel, -1f);
        try (DeviceModule m = rt.build(ADD, List.of("add"));
             DeviceBuffer da = rt.allocate(4L * n); DeviceBuffer db = rt.allocate(4L * n);
             DeviceBuffer dc = rt.allocate(4L * sentinel.length)) {
            rt.copyToDevice(floats(a), da);
            rt.copyToDevice(floats(b), db);
            rt.copyToDevice(floats(sentinel), dc);
            // 16 groups of 64 = 1024 work-items for 1000 elements.
            rt.launch(m, "add", List.of(new KernelArg.Buffer(da), new KernelArg.Buffer(db), new KernelArg.Buffer(dc),
                    new KernelArg.Int64(n)), new long[] {16, 1, 1}, new long[] {64, 1, 1});
            rt.synchronize();
            // A heap segment goes through the staging path of copyToHost.
            float[] c = new float[sentinel.length];
            rt.copyToHost(dc, MemorySegment.ofArray(c));
            for (int i = 0; i < n; i++) assertEquals(a[i] + b[i], c[i], 0f, "element " + i);
            for (int i = n; i < c.length; i++) assertEquals(-1f, c[i], "element " + i + " beyond n was written");
        }
    }

    @Test
    void localMemoryAndBarrierReverseEachGroup() {
        int groups = 8, group = 64, n = groups * group;
        int[] in = new int[n];
        for (int i = 0; i < n; i++) in[i] = i * 3 + 1;
        try (DeviceModule m = rt.build(REVERSE, List.of("reverse_groups"));
             DeviceBuffer din = rt.allocate(4L * n); DeviceBuffer dout = rt.allocate(4L * n)) {
            rt.copyToDevice(MemorySegment.ofArray(in), din);
            rt.launch(m, "reverse_groups", List.of(new KernelArg.Buffer(din), new KernelArg.Buffer(dout)),
                    new long[] {groups, 1, 1}, new long[] {group, 1, 1});
            var out = arena.allocate(ValueLayout.JAVA_INT, n);
            rt.copyToHost(dout, out);
            for (int g = 0; g < groups; g++)
                for (int l = 0; l < group; l++)
                    assertEquals(in[g * group + group - 1 - l], out.getAtIndex(ValueLayout.JAVA_INT, g * group + l),
                            "group " + g + " item " + l);
        }
    }

    @Test
    void buildErrorCarriesTheCompilerLog() {
        String broken = """
                __kernel void f(__global float* x) {
                    x[0] = undeclared_thing;
                }
                """;
        var e = assertThrows(TesseraUserError.class, () -> rt.build(broken, List.of("f")));
        assertTrue(e.getMessage().contains("undeclared_thing"), e.getMessage());
        assertTrue(e.getMessage().contains(">   2 | "), "numbered source excerpt marks line 2: " + e.getMessage());
    }

    @Test
    void unknownKernelNameListsTheProgramsKernels() {
        var e = assertThrows(TesseraUserError.class, () -> rt.build(ADD, List.of("sub")));
        assertTrue(e.getMessage().contains("'sub'") && e.getMessage().contains("[add]"), e.getMessage());
        try (DeviceModule m = rt.build(ADD, List.of("add"))) {
            var launch = assertThrows(TesseraUserError.class, () -> rt.launch(m, "mul", List.of(),
                    new long[] {1, 1, 1}, new long[] {1, 1, 1}));
            assertTrue(launch.getMessage().contains("'mul'") && launch.getMessage().contains("[add]"), launch.getMessage());
        }
    }

    @Test
    void tooManyThreadsPerBlockNamesTheDeviceLimit() {
        int limit = rt.target().gpu().maxThreadsPerBlock();
        try (DeviceModule m = rt.build(ADD, List.of("add")); DeviceBuffer x = rt.allocate(4)) {
            var args = List.<KernelArg>of(new KernelArg.Buffer(x), new KernelArg.Buffer(x), new KernelArg.Buffer(x),
                    new KernelArg.Int64(0));
            var e = assertThrows(TesseraUserError.class, () -> rt.launch(m, "add", args,
                    new long[] {1, 1, 1}, new long[] {Math.min(limit, rt.target().gpu().maxBlockDims().get(0)), 2, 1}));
            assertTrue(e.getMessage().contains("at most " + limit), e.getMessage());
            var zero = assertThrows(TesseraUserError.class, () -> rt.launch(m, "add", args,
                    new long[] {0, 1, 1}, new long[] {1, 1, 1}));
            assertTrue(zero.getMessage().contains("at least 1"), zero.getMessage());
        }
    }

    @Test
    void closedBufferInALaunchIsAUserError() {
        try (DeviceModule m = rt.build(ADD, List.of("add")); DeviceBuffer live = rt.allocate(16)) {
            DeviceBuffer gone = rt.allocate(16);
            gone.close();
            var e = assertThrows(TesseraUserError.class, () -> rt.launch(m, "add", List.of(new KernelArg.Buffer(live),
                    new KernelArg.Buffer(gone), new KernelArg.Buffer(live), new KernelArg.Int64(4)),
                    new long[] {1, 1, 1}, new long[] {4, 1, 1}));
            assertTrue(e.getMessage().contains("closed") && e.getMessage().contains("argument 1"), e.getMessage());
            var copy = assertThrows(TesseraUserError.class, () -> rt.copyToHost(gone, arena.allocate(16)));
            assertTrue(copy.getMessage().contains("closed"), copy.getMessage());
        }
    }

    @Test
    void valueWhereTheKernelTakesABufferIsAUserErrorNotACrash() {
        try (DeviceModule m = rt.build(ADD, List.of("add")); DeviceBuffer x = rt.allocate(16)) {
            var e = assertThrows(TesseraUserError.class, () -> rt.launch(m, "add", List.of(new KernelArg.Int64(1),
                    new KernelArg.Buffer(x), new KernelArg.Buffer(x), new KernelArg.Buffer(x)),
                    new long[] {1, 1, 1}, new long[] {4, 1, 1}));
            assertTrue(e.getMessage().contains("parameter 0") && e.getMessage().contains("__global"), e.getMessage());
        }
    }

    @Test
    void hostSegmentLargerThanTheBufferIsAUserError() {
        try (DeviceBuffer small = rt.allocate(8)) {
            var e = assertThrows(TesseraUserError.class, () -> rt.copyToDevice(arena.allocate(16), small));
            assertTrue(e.getMessage().contains("16") && e.getMessage().contains("8"), e.getMessage());
        }
    }

    @Test
    void selectorMatchingNoDeviceListsTheDevices() {
        var e = assertThrows(TesseraUserError.class, () -> OpenClRuntime.open("no-such-device-xyz"));
        assertTrue(e.getMessage().contains("no-such-device-xyz"), e.getMessage());
        assertTrue(e.getMessage().contains(rt.device().name()), "lists the devices: " + e.getMessage());
        assertTrue(e.getMessage().contains("pocl-opencl-icd"), e.getMessage());
    }

    @Test
    void selectorByTypeAndNameFindsTheDevice() {
        String type = rt.device().type().split("\\+")[0];
        try (var byType = OpenClRuntime.open(type);
             var byName = OpenClRuntime.open(rt.device().name().substring(0, 3).toUpperCase())) {
            assertTrue(byType.device().type().contains(type));
            assertTrue(byName.device().name().toLowerCase().contains(rt.device().name().substring(0, 3).toLowerCase())
                    || byName.device().platform().toLowerCase().contains(rt.device().name().substring(0, 3).toLowerCase()));
        }
    }

    @Test
    void timeMillisIsPositiveForARealLaunch() {
        int n = 1 << 20;
        try (DeviceModule m = rt.build(ADD, List.of("add"));
             DeviceBuffer a = rt.allocate(4L * n); DeviceBuffer b = rt.allocate(4L * n); DeviceBuffer c = rt.allocate(4L * n)) {
            var args = List.<KernelArg>of(new KernelArg.Buffer(a), new KernelArg.Buffer(b), new KernelArg.Buffer(c),
                    new KernelArg.Int64(n));
            double ms = rt.timeMillis(() -> rt.launch(m, "add", args, new long[] {n / 64, 1, 1}, new long[] {64, 1, 1}));
            assertTrue(ms > 0 && ms < 60_000, "time " + ms + " ms");
        }
    }

    @Test
    void closeFreesOpenBuffersAndModulesAndIsIdempotent() {
        DeviceBuffer leaked = rt.allocate(1024);
        rt.build(ADD, List.of("add"));
        assertEquals(0, rt.allocate(0).bytes() - 1, "allocate(0) gives one byte");
        assertEquals(3, rt.openObjects());
        rt.close();
        assertEquals(0, rt.openObjects());
        assertDoesNotThrow(rt::close);
        assertDoesNotThrow(leaked::close);
        var e = assertThrows(TesseraUserError.class, () -> rt.allocate(4));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void devicesListIsNotEmptyWhereOpenClIsAvailable() {
        assertFalse(OpenClRuntime.devices().isEmpty());
        assertTrue(OpenClRuntime.devices().getFirst().toString().contains(": "));
    }
}
