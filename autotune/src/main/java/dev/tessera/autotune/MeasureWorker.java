package dev.tessera.autotune;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Step;
import dev.tessera.target.Backend;
import dev.tessera.target.Target;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The measurement worker process: reads one {@link Request} per line on stdin, measures it with
 * {@link KernelMeasurement} on the device of the requested kind (the host CPU, or the GPU backend's
 * device, opened once per worker), and answers one line prefixed {@value #PREFIX} on stdout (anything else
 * a native library prints is ignored by the parent). Started by {@link WorkerProcessMeasurer}.
 *
 * <p>Test hook: the system property {@code tessera.autotune.inject} = {@code hang:N} or
 * {@code crash:N} makes this worker's N-th measurement request (reference-only requests do not
 * count) sleep forever or halt the JVM, to exercise the parent's timeout and crash handling.
 */
public final class MeasureWorker {
    static final String PREFIX = "@@tessera-measure ";

    /**
     * One measurement request: the task, the kind and fingerprint of the target to measure on (the
     * worker finds that device itself and refuses to measure on another), the trace and the options;
     * with {@code referenceOnly}, no trace is measured: the worker computes and keeps the task's
     * reference values ({@link ExpectedOutputs}) and answers an outcome with neither timing nor error.
     */
    record Request(TuningTask task, String targetKind, String targetFingerprint, List<Step> trace, Measurer.Options options, boolean referenceOnly) {}

    private MeasureWorker() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = dev.tessera.schedule.TraceJson.mapper();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // keep stray prints off the protocol channel
        String inject = System.getProperty("tessera.autotune.inject", "");
        Map<String, OperatorInstance> built = new HashMap<>();
        Map<String, Target> targets = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int served = 0;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            Measurer.Outcome outcome;
            try {
                Request req = mapper.readValue(line, Request.class);
                if (!req.referenceOnly()) {
                    served++;
                    if (inject.equals("hang:" + served)) Thread.sleep(Long.MAX_VALUE);
                    if (inject.equals("crash:" + served)) Runtime.getRuntime().halt(134);
                }
                OperatorInstance inst = built.computeIfAbsent(mapper.writeValueAsString(req.task()), k -> req.task().build());
                Target target = targets.computeIfAbsent(req.targetKind(), kind -> Backend.byName(kind).presentTarget());
                if (!target.fingerprint().equals(req.targetFingerprint()))
                    outcome = Measurer.Outcome.failed(TuningRecord.ErrorCode.RUNTIME_ERROR, "the worker's " + req.targetKind() + " device is "
                            + target.fingerprint() + ", not the tuned target " + req.targetFingerprint());
                else if (req.referenceOnly())
                    outcome = KernelMeasurement.prepareReference(inst);
                else
                    outcome = KernelMeasurement.run(inst, target, req.trace(), req.options());
            } catch (OutOfMemoryError e) {
                built.clear();
                outcome = Measurer.Outcome.failed(TuningRecord.ErrorCode.OUT_OF_MEMORY, String.valueOf(e));
            } catch (RuntimeException | java.io.IOException e) {
                outcome = Measurer.Outcome.failed(TuningRecord.ErrorCode.RUNTIME_ERROR, String.valueOf(e));
            }
            out.println(PREFIX + mapper.writeValueAsString(outcome));
        }
    }
}
