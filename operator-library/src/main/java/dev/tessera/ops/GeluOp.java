package dev.tessera.ops;

import dev.tessera.ir.Expr;
import java.util.List;
import java.util.Map;

/**
 * GELU over an [M, N] array, f32. The attribute {@code approximate} is PyTorch's: {@code none}
 * (default) computes the exact {@code x/2 * (1 + erf(x / sqrt 2))}, {@code tanh} the approximation
 * {@code x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))}.
 */
public final class GeluOp extends ElementwiseUnaryOp {
    private static final List<Attribute> ATTRIBUTES = List.of(new Attribute("approximate", List.of("none", "tanh"),
            "none (exact, erf-based) or tanh (the tanh approximation), as PyTorch's gelu"));

    private final Activation activation;

    public GeluOp() { this(Activation.GELU); }

    private GeluOp(Activation activation) { this.activation = activation; }

    @Override public String name() { return "gelu"; }
    @Override public List<Attribute> attributes() { return ATTRIBUTES; }
    @Override public Map<String, String> attributeValues() { return Map.of("approximate", activation == Activation.GELU ? "none" : "tanh"); }

    @Override public GeluOp withAttributes(Map<String, String> values) {
        return new GeluOp(Attribute.resolve(this, values).get("approximate").equals("tanh") ? Activation.GELU_TANH : Activation.GELU);
    }

    @Override Expr apply(Expr x) { return activation.apply(x); }
    @Override double flopsPerElement() { return activation.flops(); }
}
