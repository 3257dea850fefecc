package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Tensor;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link Operator#alternatives}: each alternative of each operator takes the same inputs and gives
 * the same outputs as the operator, on the reference interpreter, for the operator's test shapes;
 * conv2d offers Winograd exactly where Winograd computes it.
 */
class OperatorAlternativesTest {
    /** F(4x4, 3x3) rounds more than the direct sum (its transforms have entries up to 8). */
    private static final double TOLERANCE = 1e-4;

    @Test void everyAlternativeComputesTheOperatorsOutputsFromTheSameInputs() {
        List<String> compared = new ArrayList<>();
        for (Operator op : Operators.all())
            for (String shape : op.testShapes()) {
                long[] args = op.checkShape(op.parseShape(shape));
                for (Operator alt : op.alternatives(args)) {
                    assertNotSame(op, alt);
                    OperatorInstance inst = op.build(op.parseShape(shape)), other = alt.build(op.parseShape(shape));
                    assertEquals(shapes(inst.inputs()), shapes(other.inputs()), alt.describe() + " takes " + op.name() + "'s inputs");
                    assertEquals(shapes(inst.outputs()), shapes(other.outputs()), alt.describe() + " gives " + op.name() + "'s outputs");
                    Map<Tensor, TensorValue> in = Interp.randomInputs(inst), otherIn = new LinkedHashMap<>();
                    for (int i = 0; i < inst.inputs().size(); i++) otherIn.put(other.inputs().get(i), in.get(inst.inputs().get(i)));
                    Map<Tensor, TensorValue> want = ReferenceInterpreter.run(inst.outputs(), in), got = ReferenceInterpreter.run(other.outputs(), otherIn);
                    for (int o = 0; o < inst.outputs().size(); o++) {
                        double[] w = want.get(inst.outputs().get(o)).data(), g = got.get(other.outputs().get(o)).data();
                        for (int p = 0; p < w.length; p++)
                            assertEquals(w[p], g[p], TOLERANCE * (1 + Math.abs(w[p])), alt.describe() + " on " + shape + " at " + p);
                    }
                    compared.add(op.name() + " " + shape + " by " + alt.describe());
                }
            }
        assertTrue(compared.contains("conv2d 1,8,14,14,16,3,3,1,1 by conv2d_winograd[output_tile=2]"), compared.toString());
        assertTrue(compared.contains("conv2d 1,8,14,14,16,3,3,1,1 by conv2d_winograd[output_tile=4]"), compared.toString());
    }

    @Test void conv2dOffersWinogradForThreeByThreeStrideOneLayersOnly() {
        Operator conv = Operators.get("conv2d");
        assertEquals(List.of("conv2d_winograd[output_tile=2]", "conv2d_winograd[output_tile=4]"),
                conv.alternatives(conv.checkShape(conv.parseShape("1,64,56,56,64,3,3,1,1"))).stream().map(Operator::describe).toList());
        assertEquals(2, conv.alternatives(conv.checkShape(conv.parseShape("4,3,9,9,5,3,3,1,0"))).size(), "any padding and batch");
        for (String other : List.of("1,256,14,14,512,3,3,2,1", "1,64,56,56,64,1,1,1,0", "1,64,56,56,64,5,5,1,2", "1,8,9,9,8,3,3,1,2,2,1",
                "1,8,9,9,8,3,3,1,1,1,2"))
            assertTrue(conv.alternatives(conv.checkShape(conv.parseShape(other))).isEmpty(), other);
        for (Operator op : Operators.all())
            if (!op.name().equals("conv2d"))
                for (String shape : op.defaultShapes()) assertFalse(op.alternatives(op.checkShape(op.parseShape(shape))).contains(op), op.name());
    }

    private static List<List<Object>> shapes(List<Tensor> ts) {
        return ts.stream().map(t -> List.<Object>of(t.dtype().toString(), t.shape().toString())).toList();
    }
}
