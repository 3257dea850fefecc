package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.GpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.KernelArguments;
import dev.tessera.target.gpu.DeviceRuntime;
import dev.tessera.target.gpu.DeviceRuntime.DeviceBuffer;
import dev.tessera.target.gpu.GpuBackend;
import dev.tessera.target.gpu.GpuCompiledKernel;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The measuring side of the GPU comparison ({@code bench/gpu/compare}): Tessera's kernel for a
 * workload under its operator's GPU schedule ({@code Operator.applyGpuSchedule}), timed with the
 * device's events on buffers resident on the device under the {@link Timing} protocol, its outputs
 * copied back and checked against the reference interpreter on sampled points, and its inputs and
 * outputs written as raw little-endian float32 files for the peer script, which checks every output
 * against a float64 PyTorch computation ({@link #withPeerCheck}). An output off by more than the
 * workload's tolerance makes the figure "failed" with the error in its message.
 */
public final class GpuHarness {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How to measure.
     *
     * @param checkPoints   output points compared with the reference interpreter (all of a smaller output)
     * @param checkBudgetMs how long that comparison may take before it stops early
     * @param dataDir       where to write each workload's inputs and outputs for the peers, or null for nowhere
     */
    public record Options(Timing.Protocol protocol, int checkPoints, double checkBudgetMs, Path dataDir) {}

    /**
     * Tessera's figure for a workload, and the {@code data} object that tells the peer script where
     * the workload's files are (null when none were written).
     */
    public record Run(Figure figure, ObjectNode data) {}

    private GpuHarness() {}

    /**
     * The largest absolute error an output may have, relative to the reference's largest magnitude
     * (plus that much absolute): float32 accumulation over K terms for a matrix product, a few ulps
     * for the row operators and the routing.
     */
    public static double tolerance(Workload w) {
        return switch (w.kind()) {
            case "gemm" -> 2e-7 * Math.max(64, Long.parseLong(w.shape().split(",")[2]));
            default -> 1e-5;
        };
    }

    /** Whether an error is within the workload's tolerance of a reference whose largest magnitude is {@code scale}. */
    static boolean withinTolerance(Workload w, double error, double scale) {
        return Double.isFinite(error) && error <= tolerance(w) * (1 + Math.abs(scale));
    }

    /** Measures Tessera on one workload; a failure of any kind gives a non-ok figure with the reason. */
    public static Run tessera(Workload w, GpuBackend backend, Options o) {
        Operator op;
        try {
            op = Operators.configured(w.operator());
        } catch (TesseraUserError e) {
            return new Run(Figure.notAvailable(w.id(), Report.TESSERA, e.getMessage()), null);
        }
        try {
            long[] args = op.parseShape(w.shape());
            OperatorInstance inst = op.build(args);
            Schedule s = Schedule.create(inst.outputs());
            op.applyGpuSchedule(s);
            DeviceRuntime rt = backend.runtime();
            long t0 = System.nanoTime();
            GpuCompiledKernel k = (GpuCompiledKernel) backend.compile(s, op.name(), rt.target());
            double compileMs = (System.nanoTime() - t0) / 1e6;
            try (KernelArguments a = KernelArguments.seeded(inst.inputs(), inst.outputs())) {
                List<HostBuffer> host = a.buffers();
                List<DeviceBuffer> device = new ArrayList<>();
                Timing.Stats stats;
                try {
                    for (int i = 0; i < host.size(); i++) {
                        DeviceBuffer d = rt.allocate(Math.max(1, host.get(i).segment().byteSize()));
                        device.add(d);
                        if (i < inst.inputs().size()) rt.copyToDevice(host.get(i).segment(), d);
                    }
                    stats = Timing.measure(calls -> k.timeOnDevice(device, new long[0], calls), o.protocol());
                    for (int i = inst.inputs().size(); i < host.size(); i++) rt.copyToHost(device.get(i), host.get(i).segment());
                } finally {
                    for (DeviceBuffer d : device) d.close();
                }
                PreparedKernel.Check check = PreparedKernel.check(inst, a.inputValues(), host, o.checkPoints(), o.checkBudgetMs());
                ObjectNode data = o.dataDir() == null ? null : write(o.dataDir().resolve(w.id()), inst, host);
                int kernels = k.program().kernels().size();
                String note = String.format(Locale.ROOT, "%s, its GPU schedule, %d kernel%s (compiled in %.0f ms); %s check of %d points",
                        op.name(), kernels, kernels == 1 ? "" : "s", compileMs,
                        check.complete() ? "reference interpreter" : "reference interpreter (stopped at the time budget)", check.checkedPoints());
                Figure f = Figure.ok(w.id(), Report.TESSERA, stats, check.maxAbsError(), check.checkedPoints(), op.flops(args), op.bytes(args), note);
                // The sampled check's scale: the outputs' own largest magnitude stands in for the reference's.
                if (!withinTolerance(w, check.maxAbsError(), largestMagnitude(host.subList(inst.inputs().size(), host.size()))))
                    f = wrongAnswer(f, check.maxAbsError(), "the reference interpreter on " + check.checkedPoints() + " sampled points", tolerance(w));
                return new Run(f, data);
            }
        } catch (Throwable e) {
            // An unsupported shape, a compile or launch error, even running out of device memory: record it and go on.
            return new Run(Figure.failed(w.id(), Report.TESSERA, e.getClass().getSimpleName() + ": " + e.getMessage()), null);
        }
    }

    /**
     * Folds the peer script's check of Tessera's outputs (every output against a float64 PyTorch
     * computation from the same inputs) into Tessera's figure: the larger error is kept, and one over
     * the tolerance fails the figure. Without a check in the answer the figure is returned as it is.
     */
    public static Figure withPeerCheck(Workload w, Figure tessera, JsonNode answer) {
        JsonNode c = answer.path("tessera_check");
        if (!tessera.isOk() || c.isMissingNode()) return tessera;
        JsonNode e = c.path("max_abs_error");
        double error = e.isNumber() ? e.asDouble() : Double.POSITIVE_INFINITY;
        double scale = c.path("max_abs_reference").asDouble(0);
        String against = c.path("reference").asText("float64 PyTorch") + ", all " + c.path("points").asLong() + " outputs";
        Figure f = new Figure(tessera.workload(), tessera.target(), tessera.status(), tessera.message(), tessera.stats(),
                Math.max(tessera.maxAbsError(), error), tessera.checkedPoints(), tessera.flops(), tessera.bytes(),
                tessera.note() + "; " + against + ": max abs error " + ReportWriter.sci(error));
        return withinTolerance(w, error, scale) ? f : wrongAnswer(f, error, against, tolerance(w));
    }

    private static Figure wrongAnswer(Figure f, double error, String against, double tolerance) {
        String why = String.format(Locale.ROOT, "WRONG ANSWER: max abs error %s against %s, over the tolerance %s x (1 + max |reference|); timed %s ms",
                ReportWriter.sci(error), against, ReportWriter.sci(tolerance), ReportWriter.num(f.medianMs()));
        return new Figure(f.workload(), f.target(), Figure.Status.FAILED, why, f.stats(), f.maxAbsError(), f.checkedPoints(), f.flops(), f.bytes(), f.note());
    }

    private static double largestMagnitude(List<HostBuffer> outputs) {
        double m = 0;
        for (HostBuffer b : outputs) for (long i = 0; i < b.elementCount(); i++) m = Math.max(m, Math.abs(b.get(i)));
        return m;
    }

    /** Writes every input and output as {@code <tensor>.f32} into {@code dir}; returns the request's {@code data} object naming them. */
    private static ObjectNode write(Path dir, OperatorInstance inst, List<HostBuffer> host) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) throw new IllegalStateException("the peer files are little-endian; this machine is not");
        Files.createDirectories(dir);
        ObjectNode data = JSON.createObjectNode();
        data.put("dir", dir.toAbsolutePath().toString());
        ArrayNode inputs = data.putArray("inputs"), outputs = data.putArray("outputs");
        List<Tensor> tensors = new ArrayList<>(inst.inputs());
        tensors.addAll(inst.outputs());
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (!t.dtype().equals(DType.F32)) throw new IllegalStateException("the peer files are float32; " + t.name() + " is " + t.dtype());
            try (FileChannel ch = FileChannel.open(dir.resolve(t.name() + ".f32"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                var bytes = host.get(i).segment().asByteBuffer();
                while (bytes.hasRemaining()) ch.write(bytes);
            }
            ArrayNode entry = (i < inst.inputs().size() ? inputs : outputs).addArray();
            entry.add(t.name());
            ArrayNode shape = entry.addArray();
            for (long d : KernelArguments.constantShape(t)) shape.add(d);
        }
        return data;
    }

    /**
     * The device-to-device bandwidth of Tessera's own copy kernel ({@code dst[i] = src[i]} under the
     * default GPU schedule) over {@code elements} float32 elements, in GB/s of bytes read plus written.
     */
    public static double copyKernelGbps(GpuBackend backend, long elements, Timing.Protocol protocol) {
        Tensor src = Te.placeholder("src", DType.F32, Te.c(elements));
        Tensor dst = Te.compute("dst", List.of(Te.c(elements)), List.of("i"), v -> src.at(v.get(0)));
        Schedule s = Schedule.create(dst);
        GpuSchedules.applyDefault(s);
        DeviceRuntime rt = backend.runtime();
        GpuCompiledKernel k = (GpuCompiledKernel) backend.compile(s, "copy", rt.target());
        try (DeviceBuffer a = rt.allocate(4 * elements); DeviceBuffer b = rt.allocate(4 * elements)) {
            Timing.Stats stats = Timing.measure(calls -> k.timeOnDevice(List.of(a, b), new long[0], calls), protocol);
            return 8.0 * elements / (stats.medianMs() * 1e6);
        }
    }
}
