package dev.tessera.target.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Numerics;
import dev.tessera.schedule.RandomGpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.Step;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HalfPrecisionCases;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.ReferenceCheck;
import dev.tessera.target.Target;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * f16 and bf16 on the OpenCL device (PoCL in CI): arithmetic rounded after every operation exactly
 * as the reference rounds it, conversions with their special values, and user-defined f16 and bf16
 * operators under random GPU schedules compared with the reference interpreter.
 */
class OpenClHalfPrecisionTest {
    static OpenClBackend backend;
    static Target target;

    @BeforeAll
    static void device() {
        Optional<String> reason = OpenClRuntime.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no OpenCL device: " + reason.orElse(""));
        backend = new OpenClBackend();
        target = backend.runtime().target();
    }

    /** One thread per element, or four neighbouring elements per thread as one vector. */
    static Schedule perThread(Tensor out, boolean vectorize) {
        Schedule s = Schedule.create(out);
        Stage st = s.stage(out);
        if (vectorize) {
            Stage.Parts p = st.split("i", 4);
            st.gpuTile(p.outer().name(), 16);
            st.vectorize(p.inner());
        } else {
            st.gpuTile("i", 32);
        }
        return s;
    }

    @ParameterizedTest(name = "{0}, vectorized {1}")
    @CsvSource({"f16, false", "f16, true", "bf16, false", "bf16, true"})
    void arithmeticRoundsAfterEveryOperation(String dtype, boolean vectorize) {
        DType t = DType.parse(dtype);
        int n = 64;
        Tensor a = Te.placeholder("a", t, n), b = Te.placeholder("b", t, n);
        // Two roundings, each to nearest even: (a + b), then its product with a.
        Tensor out = Te.compute("h", List.of(Te.c(n)), List.of("i"), v -> a.at(v.get(0)).add(b.at(v.get(0))).mul(a.at(v.get(0))));
        CompiledKernel k = backend.compile(perThread(out, vectorize), "h", target);
        double[] x = new double[n], y = new double[n];
        for (int i = 0; i < n; i++) { x[i] = 1 + i / 37.0; y[i] = 1e-3 * (i - 30) + (i % 5) * 300.123; }
        try (HostBuffer ha = HostBuffer.of(t, x, n); HostBuffer hb = HostBuffer.of(t, y, n); HostBuffer ho = HostBuffer.allocate(t, n)) {
            k.call(ha, hb, ho);
            for (int i = 0; i < n; i++) {
                float xa = (float) ha.get(i), yb = (float) hb.get(i);
                double sum = Numerics.roundTo(xa + yb, t);
                double want = Numerics.roundTo((float) sum * xa, t);
                assertEquals(want, ho.get(i), t + " element " + i + ": (" + xa + " + " + yb + ") * " + xa);
            }
        }
    }

    @Test
    void conversionsRoundToNearestEvenAndKeepSpecialValues() {
        float[] xs = {
                1.00048828125f, 1.00146484375f, // f16 ties (1 + 2^-11, 1 + 3 * 2^-11)
                1.00390625f, 1.01171875f,       // bf16 ties
                65519f, 65520f, 70000f, -70000f, 3.4e38f, // the f16 maximum and beyond, the bf16 maximum and beyond
                0x1p-24f, 0x1p-25f, 0x1.8p-25f, 1e-40f, // f16 subnormals, a tie to zero, a float subnormal
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0.1f, -2.7182817f};
        int n = xs.length;
        Tensor x = Te.placeholder("x", DType.F32, n);
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            // Rounded to t and widened back to f32: both conversions.
            Tensor narrow = Te.compute("narrow", List.of(Te.c(n)), List.of("i"), v -> Te.cast(t, x.at(v.get(0))));
            Tensor wide = Te.compute("wide", List.of(Te.c(n)), List.of("i"), v -> Te.cast(DType.F32, narrow.at(v.get(0))));
            Schedule s = Schedule.create(List.of(narrow, wide));
            s.stage(narrow).gpuTile("i", 8);
            s.stage(wide).gpuTile("i", 8);
            CompiledKernel k = backend.compile(s, "convert", target);
            try (HostBuffer in = HostBuffer.ofFloats(xs, n); HostBuffer hn = HostBuffer.allocate(t, n); HostBuffer hw = HostBuffer.allocate(DType.F32, n)) {
                k.call(in, hn, hw);
                for (int i = 0; i < n; i++) {
                    double want = Numerics.roundTo(xs[i], t);
                    assertEquals(want, hn.get(i), t + "(" + xs[i] + ")");
                    assertEquals(want, hw.get(i), "f32(" + t + "(" + xs[i] + "))");
                }
            }
        }
    }

    static Stream<String> cases() {
        return HalfPrecisionCases.all().stream().map(HalfPrecisionCases.Case::name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void userDefinedOperatorsMatchTheReferenceUnderRandomGpuSchedules(String name) {
        int compiled = 0, vectorized = 0;
        for (long seed = 0; compiled < 8; seed++) {
            assertTrue(seed < 80, name + ": lowering rejected too many samples");
            HalfPrecisionCases.Case c = HalfPrecisionCases.all().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            Schedule s = RandomGpuSchedules.sample(c.outputs(), seed);
            CompiledKernel k;
            try {
                k = backend.compile(s, name, target);
            } catch (TesseraUserError e) {
                continue; // a sample lowering rejects (a shared tile of symbolic size, a reader outside the loop)
            }
            for (long rows : new long[] {5, 33}) {
                String problem = ReferenceCheck.firstMismatch(c.inputs(), c.outputs(), k, rows, seed, c.toleranceScale());
                if (problem != null) throw new AssertionError(name + " seed " + seed + " rows " + rows + ": " + problem + "\n  trace: " + TraceJson.write(s.trace()));
            }
            compiled++;
            if (s.trace().stream().anyMatch(step -> step instanceof Step.Vectorize)) vectorized++;
        }
        System.out.printf("%s: %d random GPU schedules (%d vectorized) matched the reference%n", name, compiled, vectorized);
    }
}
