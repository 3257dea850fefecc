package dev.tessera.lower.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tessera.dsl.Te;
import dev.tessera.ir.Var;
import org.junit.jupiter.api.Test;

/**
 * {@code BoundsInference.constantUpperBound} on products and minima. Found by the operator
 * library's differential runs (conv2d, batch_matmul, dense, layernorm, ... under random schedules):
 * a product or a minimum whose operands have no constant bound makes the nested conditional of the
 * MUL or MIN case unbox a null (its branches mix {@code long} and {@code Long}), so lowering dies
 * with a NullPointerException instead of falling back to the symbolic bound.
 */
class ConstantUpperBoundTest {
    @Test
    void aProductWithoutConstantBoundsHasNone() {
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
}
