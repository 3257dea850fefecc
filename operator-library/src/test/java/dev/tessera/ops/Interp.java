package dev.tessera.ops;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.IntImm;
import dev.tessera.lower.interp.ReferenceInterpreter;
import dev.tessera.lower.interp.TensorValue;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs operator instances on the reference interpreter, for the definition tests. */
final class Interp {
    private Interp() {}

    /** Seeded random inputs (uniform in [-1, 1)) of the instance's input shapes and dtypes. */
    static Map<Tensor, TensorValue> randomInputs(OperatorInstance inst) {
        Map<Tensor, TensorValue> in = new LinkedHashMap<>();
        for (int i = 0; i < inst.inputs().size(); i++) {
            Tensor t = inst.inputs().get(i);
            in.put(t, TensorValue.random(t.dtype(), 100 + i, shape(t)));
        }
        return in;
    }

    /** Inputs with the given values, in input order. */
    static Map<Tensor, TensorValue> inputs(OperatorInstance inst, double[]... values) {
        Map<Tensor, TensorValue> in = new LinkedHashMap<>();
        for (int i = 0; i < inst.inputs().size(); i++) {
            Tensor t = inst.inputs().get(i);
            in.put(t, TensorValue.of(t.dtype(), values[i], shape(t)));
        }
        return in;
    }

    /** The first output, evaluated on these inputs. */
    static TensorValue run(OperatorInstance inst, Map<Tensor, TensorValue> in) {
        return ReferenceInterpreter.run(inst.outputs(), in).get(inst.output());
    }

    /** The concrete shape of a tensor of a concrete instance. */
    static long[] shape(Tensor t) {
        return t.shape().stream().mapToLong(e -> ((IntImm) e).value()).toArray();
    }

    /** The data of input {@code i}. */
    static double[] data(OperatorInstance inst, Map<Tensor, TensorValue> in, int i) {
        return in.get(inst.inputs().get(i)).data();
    }

    /** Every element within tolerance of the expected values, in the output's dtype and shape. */
    static void assertClose(OperatorInstance inst, TensorValue got, double[] want, double rtol, double atol) {
        got.assertAllClose(TensorValue.of(inst.output().dtype(), want, shape(inst.output())), rtol, atol);
    }
}
