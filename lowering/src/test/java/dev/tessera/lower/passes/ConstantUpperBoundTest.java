package dev.tessera.lower.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Var;
import dev.tessera.lower.Lower;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code BoundsInference.constantUpperBound}, which storage sizes and unrolled loops rely on. Cases
 * found by the operator library's differential runs (random schedules of batch_matmul, conv2d,
 * dense, layernorm, ...).
 */
class ConstantUpperBoundTest {
    @Test
    void aProductOrMinimumWithoutConstantBoundsHasNone() {
        Var x = Var.index("x"), y = Var.index("y");
        assertNull(BoundsInference.constantUpperBound(Te.mul(x, y)));
        assertNull(BoundsInference.constantUpperBound(Te.mul(x, Te.c(4))));
        assertNull(BoundsInference.constantUpperBound(Te.min(x, y)));
    }

    @Test
    void aProductOfBoundedNonNegativeFactorsIsBounded() {
        Var x = Var.index("x");
        assertEquals(12L, BoundsInference.constantUpperBound(Te.mul(Te.min(x, Te.c(3)), Te.c(4))));
        assertEquals(12L, BoundsInference.constantUpperBound(Te.mul(Te.c(3), Te.c(4))));
        assertEquals(3L, BoundsInference.constantUpperBound(Te.min(x, Te.c(3))));
        assertEquals(3L, BoundsInference.constantUpperBound(Te.min(Te.c(3), x)));
    }

    /** The trip count of a split loop, {@code (min(x, 64) * 8 + 255) / 256}, is at most 2; a negative or symbolic divisor bounds nothing. */
    @Test
    void aFloorDivisionByAPositiveConstantIsBounded() {
        Var x = Var.index("x");
        assertEquals(2L, BoundsInference.constantUpperBound(Te.div(Te.add(Te.mul(Te.min(x, Te.c(64)), Te.c(8)), Te.c(255)), Te.c(256))));
        assertEquals(-1L, BoundsInference.constantUpperBound(Te.div(Te.min(x, Te.c(-3)), Te.c(4))));
        assertNull(BoundsInference.constantUpperBound(Te.div(Te.min(x, Te.c(3)), Te.c(-4))));
        assertNull(BoundsInference.constantUpperBound(Te.div(Te.min(x, Te.c(3)), x)));
    }

    /**
     * A region extent clamped to [0, 1] times a constant: {@code min(max(x - 1, 0), 1) * 5} is at
     * most 5. Fails today: max(e, 0) is not recognized as non-negative unless e itself is, so the
     * product has no constant bound.
     */
    @Test
    void aClampedExtentTimesAConstantIsBounded() {
        Var x = Var.index("x");
        assertEquals(5L, BoundsInference.constantUpperBound(Te.mul(Te.min(Te.max(Te.sub(x, Te.c(1)), Te.c(0)), Te.c(1)), Te.c(5))));
    }

    /**
     * The same, end to end (batch_matmul with a symbolic batch, a random schedule's trace reduced to
     * what matters): the accumulator is computed per batch and fuses (b, i), so the region of the
     * packed A it reads is {@code (b extent, clamped to [0, 1]) * 5} rows, and unrolling that loop of
     * the cache stage fails with "no constant upper bound" although it is at most 5.
     */
    @Test
    void anUnrolledCacheLoopUnderAFusedSymbolicBatchLowers() {
        Var batch = Te.shapeVar("B");
        Tensor a = Te.placeholder("A", DType.F32, batch, Te.c(5), Te.c(7));
        Tensor b = Te.placeholder("B", DType.F32, batch, Te.c(7), Te.c(19));
        Axis k = Te.reduceAxis("k", 7);
        Tensor acc = Te.compute("batch_matmul_acc", List.of(batch, Te.c(5), Te.c(19)), List.of("b", "i", "j"),
                v -> Te.sum(a.at(v.get(0), v.get(1), k.var()).mul(b.at(v.get(0), k.var(), v.get(2))), k));
        Tensor c = Te.compute("batch_matmul", List.of(batch, Te.c(5), Te.c(19)), List.of("b", "i", "j"), v -> acc.at(v.get(0), v.get(1), v.get(2)));
        String trace = "[{\"step\":\"cache_write\",\"stage\":\"batch_matmul\"},{\"step\":\"cache_read\",\"tensor\":\"A\",\"readers\":[\"batch_matmul_acc\"]},"
                + "{\"step\":\"split\",\"stage\":\"batch_matmul\",\"axis\":\"i\",\"factor\":3,\"nparts\":0,\"tail\":\"guard\"},"
                + "{\"step\":\"compute_at\",\"stage\":\"batch_matmul_acc\",\"consumer\":\"batch_matmul.local\",\"axis\":\"b\"},"
                + "{\"step\":\"fuse\",\"stage\":\"batch_matmul_acc\",\"outer\":\"b\",\"inner\":\"i\"},{\"step\":\"unroll\",\"stage\":\"A.cache\",\"axis\":\"i1\"}]";
        Lower.lower(Schedule.replay(List.of(c), TraceJson.read(trace)), "batch_matmul");
    }
}
