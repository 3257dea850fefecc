package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;
import java.util.Arrays;
import java.util.List;

/** The elementwise activations an operator epilogue can apply, by their attribute names. */
enum Activation {
    /** The identity. */
    NONE("none"),
    /** {@code max(x, 0)}. */
    RELU("relu"),
    /** The exact GELU, {@code x/2 * (1 + erf(x / sqrt 2))} (PyTorch's default). */
    GELU("gelu"),
    /** The tanh approximation, {@code x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))} (PyTorch's approximate='tanh'). */
    GELU_TANH("gelu_tanh");

    final String attributeName;

    Activation(String attributeName) { this.attributeName = attributeName; }

    /** The activation applied to {@code x}, in x's dtype. */
    Expr apply(Expr x) {
        return switch (this) {
            case NONE -> x;
            case RELU -> Te.max(x, Te.constLike(0, x));
            case GELU -> x.mul(0.5).mul(Te.erf(x.mul(Math.sqrt(0.5))).add(1.0));
            case GELU_TANH -> x.mul(0.5).mul(Te.tanh(x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1.0));
        };
    }

    /** Floating-point operations per element (a transcendental counts as one). */
    int flops() {
        return switch (this) {
            case NONE -> 0;
            case RELU -> 1;
            case GELU -> 5;
            case GELU_TANH -> 9;
        };
    }

    static Activation named(String name) {
        return Arrays.stream(values()).filter(a -> a.attributeName.equals(name)).findFirst().orElseThrow();
    }

    static List<String> names(Activation... as) { return Arrays.stream(as).map(a -> a.attributeName).toList(); }
}
