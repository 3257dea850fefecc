package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.lower.IRPrinter;
import dev.tessera.lower.Lower;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.CpuSketch;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The CPU automatic space: sketch rules per definition, points that lower and compute the reference's values, mutations that keep tiles exact. */
class AutomaticSpaceTest {
    static final Target AVX512 = new Target("llvm", "test", "+avx512f", 512, 2);

    /** C = A·B as one stage whose reduction is the output, then a ReLU epilogue over it plus a bias: the forms a user writes. */
    public static final class MatmulBiasRelu implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() {
            Tensor a = Te.placeholder("a", DType.F32, 24, 20), b = Te.placeholder("b", DType.F32, 20, 32), bias = Te.placeholder("bias", DType.F32, 32);
            Axis k = Te.reduceAxis("k", 20);
            Tensor prod = Te.compute("prod", List.of(Te.c(24), Te.c(32)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
            Tensor biased = Te.compute("biased", List.of(Te.c(24), Te.c(32)), List.of("i", "j"), v -> prod.at(v.get(0), v.get(1)).add(bias.at(v.get(1))));
            Tensor relu = Te.compute("relu", List.of(Te.c(24), Te.c(32)), List.of("i", "j"), v -> Te.max(biased.at(v.get(0), v.get(1)), Te.f32(0)));
            return List.of(relu);
        }
    }

    /** A plain matmul whose reduction stage is the output. */
    public static final class SingleStageMatmul implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() {
            Tensor a = Te.placeholder("a", DType.F32, 16, 12), b = Te.placeholder("b", DType.F32, 12, 48);
            Axis k = Te.reduceAxis("k", 12);
            return List.of(Te.compute("mm", List.of(Te.c(16), Te.c(48)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k)));
        }
    }

    /** Two products summed by one elementwise output: the output can take one product's tile, the other accumulates on its own. */
    public static final class TwoProducts implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() {
            Tensor a = Te.placeholder("a", DType.F32, 8, 6), b = Te.placeholder("b", DType.F32, 6, 20);
            Tensor c = Te.placeholder("c", DType.F32, 8, 5), d = Te.placeholder("d", DType.F32, 5, 20);
            Axis k = Te.reduceAxis("k", 6), l = Te.reduceAxis("l", 5);
            Tensor ab = Te.compute("ab", List.of(Te.c(8), Te.c(20)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
            Tensor cd = Te.compute("cd", List.of(Te.c(8), Te.c(20)), List.of("i", "j"), v -> Te.sum(c.at(v.get(0), l.var()).mul(d.at(l.var(), v.get(1))), l));
            return List.of(Te.compute("both", List.of(Te.c(8), Te.c(20)), List.of("i", "j"), v -> ab.at(v.get(0), v.get(1)).add(cd.at(v.get(0), v.get(1)))));
        }
    }

    @Test void theRulesTileReductionsWithReuseIntoTheirConsumersAndInlineTheStagesBetween() {
        assertEquals(List.of("multi-level tiling of matmul_acc in matmul, packable [A, B]"),
                CpuSketch.of(Operators.get("matmul").build(new long[] {64, 64, 64}).outputs(), 512, 2).describe());
        assertEquals(List.of("multi-level tiling of conv2d_gemm.local in conv2d_gemm (cache_write), packable [conv2d_cols, weight]",
                        "placement of conv2d_pad (inline, root or at its consumer)", "placement of conv2d_cols (inline, root or at its consumer)",
                        "root conv2d"),
                CpuSketch.of(Operators.get("conv2d").build(new long[] {1, 3, 7, 6, 4, 3, 3, 2, 1}).outputs(), 512, 2).describe());
        assertEquals(List.of("multi-level tiling of prod in relu, packable [a, b]", "inline biased"), CpuSketch.of(new MatmulBiasRelu().get(), 512, 2).describe());
        assertEquals(List.of("multi-level tiling of mm.local in mm (cache_write), packable [a, b]"), CpuSketch.of(new SingleStageMatmul().get(), 512, 2).describe());
        assertEquals(List.of("multi-level tiling of ab in both, packable [a, b]", "multi-level tiling of cd.local in cd (cache_write), packable [c, d]"),
                CpuSketch.of(new TwoProducts().get(), 512, 2).describe());
        List<String> softmax = CpuSketch.of(Operators.get("softmax").build(new long[] {8, 64}).outputs(), 512, 2).describe();
        assertTrue(softmax.stream().anyMatch(r -> r.startsWith("reduction ") && r.endsWith("(rfactor possible)")), softmax.toString());
    }

    @Test void aSketchPointGivesTheHandWrittenMatmulKernel() {
        // The template's default (4 x 4-vector register tile, column panels in parallel, B packed per panel) as a point of the sketch.
        OperatorInstance inst = Operators.get("matmul").build(new long[] {1024, 1024, 1024});
        Map<String, Long> p = new TreeMap<>();
        p.put(CpuSketch.MARK, 1L);
        long[] i = {1, 256, 1, 4}, j = {16, 1, 1, 64};
        for (int l = 0; l < 4; l++) {
            p.put("matmul_acc:i:S" + l, i[l]);
            p.put("matmul_acc:j:S" + l, j[l]);
        }
        p.put("matmul:order0", 1L); // j's outer loop first: column panels
        p.put("matmul:parallel", 1L);
        p.put("matmul_acc:pack:B", 1L); // at the parallel panel loop
        String ir = IRPrinter.print(Lower.lower(CpuSketch.of(inst.outputs(), 512, 2).apply(p), "matmul"));
        String template = IRPrinter.print(Lower.lower(defaultSchedule(inst), "matmul"));
        for (String line : List.of("parallel for (j.outer, 0, 16) {", "allocate B.cache[f32 * 65536] {", "allocate matmul_acc[f32 * 256] {",
                "matmul_acc[ramp(240, 1, 16)] = x16(0f)", "for (k, 0, 1024) {")) {
            assertTrue(ir.contains(line), line + " in\n" + ir);
            assertTrue(template.contains(line), line + " in the template's\n" + template);
        }
        // 16 accumulator vectors, each updated once per k: the register tile is fully unrolled and vectorized.
        String k = ir.substring(ir.indexOf("for (k, 0, 1024) {"));
        assertEquals(16, k.substring(0, k.indexOf("}")).lines().filter(l -> l.contains("matmul_acc[ramp(")).count(), k);
    }

    private static Schedule defaultSchedule(OperatorInstance inst) {
        Schedule s = Schedule.create(inst.outputs());
        Operators.get("matmul").applyDefaultSchedule(s);
        return s;
    }

    @Test void mutationsKeepEveryTileExactAndEveryPointApplies() {
        OperatorInstance inst = Operators.get("conv2d").build(new long[] {1, 64, 56, 56, 64, 3, 3, 1, 1});
        CpuSketch sketch = CpuSketch.of(inst.outputs(), 512, 2);
        Random rnd = new Random(4);
        Map<String, Long> p = sketch.sample(rnd);
        Map<String, Long> extents = Map.of("n", 1L, "f", 64L, "p", 56L * 56L);
        for (int i = 0; i < 300; i++) {
            p = sketch.mutate(p, rnd);
            for (var e : extents.entrySet()) {
                String key = "conv2d_gemm.local:" + e.getKey();
                assertEquals(e.getValue(), p.get(key + ":S0") * p.get(key + ":S1") * p.get(key + ":S2") * p.get(key + ":S3"), key + " in " + p);
            }
            sketch.apply(p); // raises if a primitive rejects the point
        }
    }

    @Test void sampledRegisterTilesFitTheVectorRegisters() {
        OperatorInstance inst = Operators.get("matmul").build(new long[] {1024, 1024, 1024});
        for (int bits : new int[] {512, 256}) {
            CpuSketch sketch = CpuSketch.of(inst.outputs(), bits, 2);
            Random rnd = new Random(bits);
            for (int i = 0; i < 100; i++) {
                Map<String, Long> p = sketch.sample(rnd);
                long lanes = bits / 32, vectors = p.get("matmul_acc:i:S3") * ((p.get("matmul_acc:j:S3") + lanes - 1) / lanes);
                assertTrue(vectors <= (bits == 512 ? 28 : 12), vectors + " accumulator vectors in " + p);
            }
        }
    }

    @Test void everyPointKeepsEveryCoreBusy() {
        // The fused parallel loop has at least one iteration per core, however the outer tiles were drawn.
        for (String op : List.of("matmul:1024,1024,1024", "conv2d:1,64,56,56,64,3,3,1,1")) {
            String[] spec = op.split(":");
            OperatorInstance inst = Operators.get(spec[0]).build(java.util.Arrays.stream(spec[1].split(",")).mapToLong(Long::parseLong).toArray());
            CpuSketch sketch = CpuSketch.of(inst.outputs(), 512, 4);
            Random rnd = new Random(8);
            for (int i = 0; i < 40; i++) {
                Map<String, Long> p = sketch.sample(rnd);
                String ir = IRPrinter.print(Lower.lower(sketch.apply(p), "k"));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("parallel for \\([^,]+, 0, (\\d+)\\)").matcher(ir);
                assertTrue(m.find(), "no parallel loop for " + p);
                do assertTrue(Long.parseLong(m.group(1)) >= 4, m.group() + " for " + p); while (m.find());
            }
        }
    }

    @Test void pointsOfEveryOperatorComputeTheReferenceValues() {
        // A differential test of the sketch rules: a few points per operator (its first test shape), compiled by LLVM and checked against the reference.
        Measurer.Options fast = new Measurer.Options(0, 1, 60_000);
        List<String> failures = new ArrayList<>();
        int measured = 0;
        try (Measurer m = new InProcessMeasurer(fast)) {
            for (Operator op : Operators.all()) {
                TuningTask task = TuningTask.operator(op.name(), Map.of(), op.parseShape(op.testShapes().get(0)), null);
                measured += check(task, m, op.name().equals("capsule_routing") ? 1 : 2, failures);
            }
            for (Class<? extends Supplier<List<Tensor>>> custom : List.of(MatmulBiasRelu.class, SingleStageMatmul.class, TwoProducts.class, TunerTest.RowEnergy.class))
                measured += check(TuningTask.custom(custom), m, 3, failures);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + measured + " points failed:\n" + String.join("\n", failures));
        assertEquals(2 * Operators.all().size() - 1 + 12, measured);
    }

    private static int check(TuningTask task, Measurer m, int points, List<String> failures) {
        OperatorInstance inst = task.build();
        AutomaticSpace space = new AutomaticSpace(inst.outputs(), Target.host());
        Random rnd = new Random(task.op().hashCode());
        int n = 0;
        for (int i = 0; i < points; i++) {
            Candidate c = space.sample(rnd);
            // later samples of a small sketch may repeat a point and come from RandomSchedules instead
            if (i == 0 && !CpuSketch.isPoint(c.knobs())) failures.add(task.op() + ": the sketch could not schedule a sample");
            Measurer.Outcome o = m.measure(task, Target.host(), c.trace());
            n++;
            if (o.error() != null) failures.add(task.op() + " " + c.knobs() + ": " + o.error());
        }
        return n;
    }

    @Test void aCandidateWithoutSketchParametersIsMutatedOnItsTrace() {
        // A record of an older log (a RandomSchedules trace, no parameters) stays a trace: one factor or annotation of it changes.
        OperatorInstance inst = Operators.get("matmul").build(new long[] {16, 16, 16});
        AutomaticSpace space = new AutomaticSpace(inst.outputs(), AVX512);
        Schedule s = Schedule.create(inst.outputs());
        s.stage("matmul").vectorize(s.stage("matmul").split("j", 8).inner());
        Candidate m = space.mutate(new Candidate(s.trace(), Map.of()), new Random(1));
        assertTrue(m.knobs().isEmpty(), m.knobs().toString());
        assertTrue(!m.trace().equals(s.trace()) && m.trace().size() >= 1, m.trace().toString());
    }
}
