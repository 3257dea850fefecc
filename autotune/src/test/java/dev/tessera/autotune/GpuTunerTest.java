package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.lower.Lower;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.target.Backend;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import dev.tessera.target.opencl.OpenClRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tuning on a GPU target: the automatic GPU space, the device's fingerprint in the records, resume, and apply-best on a GPU. */
class GpuTunerTest {
    static final TuningTask MATMUL = TuningTask.operator("matmul", Map.of(), new long[] {16, 16, 8}, "f32");
    /** A GPU described, not present: lowering and launch limits need no device. */
    static final Target SMALL_GPU = new Target("opencl", "test GPU", "", 128, 4,
            new Target.GpuLimits("OpenCL C 1.2", 64, List.of(64L, 64L, 64L), List.of(65535L, 65535L, 65535L), 2048, 32));

    static Target openClDevice() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        return Backend.byName("opencl").presentTarget();
    }

    @Test void aGpuRunSearchesGpuSchedulesAndRecordsTheDevice(@TempDir Path dir) {
        Target device = openClDevice();
        Path log = dir.resolve("gpu.jsonl");
        Tuner.Options opts = new Tuner.Options("evolutionary", 11, 3, false, List.of(), 4, -1);
        Tuner.Result r;
        try (Measurer m = new InProcessMeasurer(TunerTest.FAST)) {
            r = Tuner.run(MATMUL, device, log, opts, m, null, TunerTest.QUIET);
        }
        assertEquals(11, r.trials());
        List<TuningRecord> recs = TuningLog.read(log).records();
        assertEquals(11, recs.size());
        for (TuningRecord rec : recs) {
            assertEquals(device.fingerprint(), rec.target().fingerprint());
            assertEquals("opencl", rec.target().kind());
            assertEquals(device.gpu(), rec.target().gpu(), "the device's limits are in the record");
            assertTrue(rec.trace().stream().anyMatch(s -> s instanceof Step.GpuTile || s instanceof Step.Bind), "a GPU schedule: " + rec.trace());
            assertEquals("evolutionary", rec.provenance().strategy(), "one space on a GPU: no /automatic suffix");
        }
        assertTrue(recs.stream().allMatch(TuningRecord::ok), "every GPU candidate computes the reference's values: "
                + recs.stream().filter(x -> !x.ok()).map(TuningRecord::error).toList());
        // The winner, rebuilt from its record, runs correctly on the device.
        OperatorInstance inst = MATMUL.build();
        Schedule best = Schedule.replay(inst.outputs(), r.best().trace());
        var kernel = Backend.byName("opencl").compile(best, "best", device);
        assertNull(ReferenceCheck.firstMismatch(inst.inputs(), inst.outputs(), kernel, 1, 7));
    }

    @Test void aGpuRunResumesInTheWorkerProcess(@TempDir Path dir) {
        Target device = openClDevice();
        Tuner.Options opts = Tuner.Options.of("random", 3, 5);
        Path whole = dir.resolve("whole.jsonl"), killed = dir.resolve("killed.jsonl");
        try (WorkerProcessMeasurer m = new WorkerProcessMeasurer(TunerTest.FAST)) {
            Tuner.run(MATMUL, device, whole, opts, m, null, TunerTest.QUIET);
            assertEquals(2, Tuner.run(MATMUL, device, killed, opts.stoppingAfter(2), m, null, TunerTest.QUIET).measured());
            Tuner.Result resumed = Tuner.run(MATMUL, device, killed, opts.resuming(), m, null, TunerTest.QUIET);
            assertEquals(1, resumed.measured(), "only the missing trial is measured");
            assertEquals(1, m.workersStarted(), "one worker measured everything on the device");
        }
        assertEquals(TunerTest.traces(whole), TunerTest.traces(killed), "same trials as an uninterrupted run");
        assertTrue(TuningLog.read(killed).records().stream().allMatch(x -> x.ok() && x.target().fingerprint().equals(device.fingerprint())),
                TuningLog.read(killed).records().toString());
    }

    @Test void candidatesBeyondTheDevicesLaunchLimitsAreSkippedBeforeMeasurement(@TempDir Path dir) {
        List<List<Step>> measured = new ArrayList<>();
        Measurer recording = new Measurer() {
            @Override public Outcome measure(TuningTask task, Target target, List<Step> trace) {
                measured.add(trace);
                return new Outcome(new TuningRecord.Timing(1000 + measured.size(), 1000, 2000, 1), null);
            }
        };
        Tuner.Result r = Tuner.run(MATMUL, SMALL_GPU, dir.resolve("t.jsonl"), new Tuner.Options("evolutionary", 16, 2, false, List.of(), 4, -1), recording, null, TunerTest.QUIET);
        assertEquals(16, r.trials());
        assertTrue(r.invalid() > 0, "random GPU schedules use up to 256 threads per block; this device allows 64");
        OperatorInstance inst = MATMUL.build();
        for (List<Step> trace : measured) {
            DeviceProgram p = Lower.lowerForGpu(Schedule.replay(inst.outputs(), trace), "check");
            for (GpuKernel k : p.kernels()) assertTrue(k.threadsPerBlock() <= 64 && k.sharedBytes() <= 2048, k.name() + " " + k.block() + " " + trace);
        }
        var e = assertThrows(TesseraUserError.class, () -> Tuner.run(MATMUL, SMALL_GPU, dir.resolve("x.jsonl"),
                new Tuner.Options("random", 2, 0, false, List.of(), 4, -1, "template"), recording, null, TunerTest.QUIET));
        assertTrue(e.getMessage().contains("template spaces are CPU-only"), e.getMessage());
    }

    @Test void applyBestOnAGpuTakesThisDevicesRecordThenACompatibleDevicesAndNeverACpusOne() {
        Operator op = Operators.get("matmul");
        OperatorInstance inst = op.build(new long[] {16, 16, 8});
        String hash = dev.tessera.lower.Workload.hash(inst.outputs());
        List<Step> gpuTrace = tiled(4, 16);
        TuningRecord here = gpuRecord(hash, SMALL_GPU, gpuTrace, 500, 0);
        Target sibling = new Target("opencl", "another GPU", "", 128, 8, SMALL_GPU.gpu());
        TuningRecord compatible = gpuRecord(hash, sibling, tiled(2, 8), 100, 1);
        TuningRecord cpu = TuningLogTest.record(hash, Target.host().fingerprint(), 10, 2);
        // Faster, but 16 x 16 threads: more than this device's 64 per block.
        TuningRecord tooBig = gpuRecord(hash, sibling, tiled(16, 16), 50, 3);
        List<String> warnings = new ArrayList<>();

        ApplyBest.Choice c = ApplyBest.choose(op, inst, DType.F32, SMALL_GPU, List.of(cpu, compatible, here, tooBig), warnings::add);
        assertEquals(ApplyBest.Source.EXACT_TARGET, c.source());
        assertEquals(gpuTrace, c.schedule().trace());
        assertTrue(c.message().endsWith("measured on this target"), c.message());

        c = ApplyBest.choose(op, inst, DType.F32, SMALL_GPU, List.of(cpu, compatible, tooBig), warnings::add);
        assertEquals(ApplyBest.Source.COMPATIBLE_TARGET, c.source());
        assertEquals(compatible, c.record(), "the faster record does not fit this device");
        assertTrue(warnings.get(0).contains("compatible target (another GPU (opencl OpenCL C 1.2, 64 threads/block"), warnings.get(0));

        c = ApplyBest.choose(op, inst, DType.F32, SMALL_GPU, List.of(cpu), warnings::add);
        assertEquals(ApplyBest.Source.DEFAULT_SCHEDULE, c.source());
        assertEquals("no usable tuning record for matmul on this or a compatible target; using the default GPU schedule", c.message());
        Schedule gpuDefault = Schedule.create(inst.outputs());
        op.applyGpuSchedule(gpuDefault);
        assertEquals(gpuDefault.trace(), c.schedule().trace(), "the operator's GPU schedule");
        assertNotNull(Lower.lowerForGpu(c.schedule(), "default"));
    }

    /** matmul tiled x by y onto blocks and threads, each thread accumulating its element. */
    static List<Step> tiled(long x, long y) {
        return List.of(new Step.GpuTile("matmul", "i", "j", x, y), new Step.ComputeAt("matmul_acc", "matmul", "j.inner"));
    }

    static TuningRecord gpuRecord(String hash, Target t, List<Step> trace, long medianNs, int trial) {
        var workload = new TuningWorkload("matmul", List.of(16L, 16L, 8L), "f32", Map.of(), hash, 4096);
        return new TuningRecord(1, workload, TuningRecord.TargetInfo.of(t), trace, new TuningRecord.Timing(medianNs, medianNs, medianNs, 3), null,
                new TuningRecord.Provenance("random", 1, trial, Map.of()), "2026-01-01T00:00:00Z", Version.TESSERA);
    }
}
