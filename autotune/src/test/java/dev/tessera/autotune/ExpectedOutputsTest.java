package dev.tessera.autotune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.Backend;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The reference values a candidate is checked against are computed once per workload, and the check stays as strict. */
class ExpectedOutputsTest {
    static final Measurer.Options FAST = new Measurer.Options(0, 1, 60_000);

    /** C = adjust(A·B) over 16×12 · 12×16: 256 output points, all checked. */
    static List<Tensor> product(BiFunction<List<dev.tessera.ir.Var>, Expr, Expr> adjust) {
        Tensor a = Te.placeholder("A", DType.F32, 16, 12), b = Te.placeholder("B", DType.F32, 12, 16);
        Axis k = Te.reduceAxis("k", 12);
        Tensor sum = Te.compute("S", List.of(Te.c(16), Te.c(16)), List.of("i", "j"), v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        Tensor c = Te.compute("C", List.of(Te.c(16), Te.c(16)), List.of("i", "j"), v -> adjust.apply(v, sum.at(v.get(0), v.get(1))));
        return List.of(c);
    }

    public static final class Product implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() { return product((v, sum) -> sum); }
    }

    /** Like {@link Product} but one larger everywhere: the same inputs, shapes and dtype, another definition. */
    public static final class ProductPlusOne implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() { return product((v, sum) -> Te.add(sum, Te.f32(1))); }
    }

    /** Like {@link Product} but wrong at C[15, 15] alone. */
    public static final class ProductWrongInOneCorner implements Supplier<List<Tensor>> {
        @Override public List<Tensor> get() {
            return product((v, sum) -> Te.select(Te.and(Te.eq(v.get(0), Te.c(15)), Te.eq(v.get(1), Te.c(15))), Te.add(sum, Te.f32(0.5)), sum));
        }
    }

    static CompiledKernel compileDefault(Class<? extends Supplier<List<Tensor>>> definition) {
        OperatorInstance inst = TuningTask.custom(definition).build();
        return Backend.byName("llvm").compile(Schedule.create(inst.outputs()), "candidate", Target.host());
    }

    static Measurer.Outcome measure(Class<? extends Supplier<List<Tensor>>> workload, Class<? extends Supplier<List<Tensor>>> kernelDefinition) {
        try (CompiledKernel kernel = compileDefault(kernelDefinition)) {
            return KernelMeasurement.measureCompiled(TuningTask.custom(workload).build(), kernel, FAST);
        }
    }

    @Test void aWrongKernelIsStillCaughtWhenTheExpectedValuesComeFromTheCache() {
        assertNull(measure(Product.class, Product.class).error(), "a correct kernel passes (and fills the cache)");
        long computed = ExpectedOutputs.computedCount();

        Measurer.Outcome wrongOnePoint = measure(Product.class, ProductWrongInOneCorner.class);
        assertEquals(TuningRecord.ErrorCode.WRONG_ANSWER, wrongOnePoint.error().code());
        assertTrue(wrongOnePoint.error().message().startsWith("output C[15, 15] = "), wrongOnePoint.error().message());

        Measurer.Outcome wrongEverywhere = measure(Product.class, ProductPlusOne.class);
        assertEquals(TuningRecord.ErrorCode.WRONG_ANSWER, wrongEverywhere.error().code());
        assertTrue(wrongEverywhere.error().message().startsWith("output C[0, 0] = "), wrongEverywhere.error().message());

        assertNull(measure(Product.class, Product.class).error());
        assertEquals(computed, ExpectedOutputs.computedCount(), "every check after the first reused the cached reference values");
    }

    @Test void twoWorkloadsOfTheSameShapesInOneProcessEachKeepTheirOwnExpectedValues() {
        OperatorInstance product = TuningTask.custom(Product.class).build(), plusOne = TuningTask.custom(ProductPlusOne.class).build();
        assertEquals(ExpectedOutputs.key(product), ExpectedOutputs.key(TuningTask.custom(Product.class).build()), "the key is structural");
        assertNotEquals(ExpectedOutputs.key(product), ExpectedOutputs.key(plusOne));

        // alternate the workloads: keyed by shapes alone, the second would be judged by the first's values
        assertNull(measure(Product.class, Product.class).error());
        assertNull(measure(ProductPlusOne.class, ProductPlusOne.class).error(), "a correct kernel of the second workload passes");
        long computed = ExpectedOutputs.computedCount();
        assertEquals(TuningRecord.ErrorCode.WRONG_ANSWER, measure(ProductPlusOne.class, Product.class).error().code());
        assertNull(measure(Product.class, Product.class).error());
        assertEquals(computed, ExpectedOutputs.computedCount(), "both workloads stay cached");
    }
}
