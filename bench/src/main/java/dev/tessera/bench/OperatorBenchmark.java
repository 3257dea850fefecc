package dev.tessera.bench;

import dev.tessera.target.llvm.ParallelRuntime;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of Tessera's operators under their default schedules: one kernel call per
 * invocation on prepared native buffers. {@code workload} is an id of the workload table or
 * {@code OPERATOR:SHAPE} with {@code x} between the sizes (JMH splits parameter lists on commas),
 * e.g. {@code matmul:512x512x512}; a workload whose operator is not registered fails its own trial only.
 * Run with {@code bench/jmh} (e.g. {@code bench/jmh -p workload=gemm-1024,softmax -p threads=1,2}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xss16m"})
public class OperatorBenchmark {
    /** The workload ids of the built-in table (kept equal to it by WorkloadTableTest). */
    @Param({"gemm-1024", "gemm-2048", "gemm-awkward", "conv-56", "conv-28", "conv-14", "conv-7",
            "conv-56-direct", "conv-28-direct", "conv-14-direct", "conv-7-direct",
            "conv-56-winograd", "conv-28-winograd", "conv-14-winograd", "conv-7-winograd",
            "conv-56-winograd-f4", "conv-28-winograd-f4", "softmax", "layernorm", "caps-route",
            "caps-conv-n1-s2", "caps-conv-n1-s1", "caps-conv-n16-s2", "caps-conv-n16-s1"})
    public String workload;

    @Param("2")
    public int threads;

    private PreparedKernel kernel;

    @Setup(Level.Trial)
    public void prepare() {
        ParallelRuntime.setThreads(threads);
        Workload w = WorkloadTable.builtIn().select(workload).get(0);
        kernel = PreparedKernel.prepare(w.operator(), w.shape());
    }

    @Benchmark
    public void call() {
        kernel.call();
    }

    @TearDown(Level.Trial)
    public void close() {
        if (kernel != null) kernel.close();
    }
}
