package dev.tessera.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Bad shapes, dtypes and attributes raise {@link TesseraUserError}s that say what is legal. */
class OperatorErrorsTest {
    private static String error(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(TesseraUserError.class, e).getMessage();
    }

    private static void build(String op, long... shape) { Operators.get(op).build(shape); }

    @Test
    void shapeArgumentCounts() {
        assertEquals("batch_matmul takes 4 shape arguments B,M,N,K, got 3: [2, 3, 4]", error(() -> build("batch_matmul", 2, 3, 4)));
        assertTrue(error(() -> build("layernorm", 4)).startsWith("layernorm takes 2 shape arguments M,N, got 1"));
        assertEquals("conv2d takes 9 to 11 shape arguments N,C,H,W,F,KH,KW,stride,pad,dilation,groups (dilation and groups may be left out, "
                + "default 1), got 8: [1, 1, 4, 4, 1, 3, 3, 1]", error(() -> build("conv2d", 1, 1, 4, 4, 1, 3, 3, 1)));
        assertTrue(error(() -> build("depthwise_conv2d", 1, 1, 4, 4, 3, 3, 1)).startsWith(
                "depthwise_conv2d takes 8 or 9 shape arguments N,C,H,W,KH,KW,stride,pad,dilation (dilation may be left out, default 1), got 7"));
        assertTrue(error(() -> build("pool2d", 1, 1, 4, 4, 3, 3)).startsWith("pool2d takes 8 shape arguments N,C,H,W,KH,KW,stride,pad, got 6"));
    }

    @Test
    void shapeArgumentValues() {
        assertTrue(error(() -> build("transpose", 4, 0)).contains("transpose: shape argument N must be positive, got 0"));
        assertTrue(error(() -> build("conv2d", 1, 1, 4, 4, 1, 3, 3, 1, 0, 0, 1)).contains("shape argument dilation must be positive, got 0"));
        assertTrue(error(() -> build("conv2d_nhwc", 1, 1, 4, 4, 1, 3, 3, 0, 1)).contains("shape argument stride must be positive, got 0"));
        assertTrue(error(() -> build("depthwise_conv2d", 1, 1, 4, 4, 3, 3, 1, -1)).contains("shape argument pad must be non-negative, got -1"));
        assertEquals("conv2d: groups=3 must divide both the input channels C=6 and the output channels F=4",
                error(() -> build("conv2d", 1, 6, 8, 8, 4, 3, 3, 1, 1, 1, 3)));
        assertEquals("conv2d_nhwc: groups=2 must divide both the input channels C=3 and the output channels F=4",
                error(() -> build("conv2d_nhwc", 1, 3, 8, 8, 4, 3, 3, 1, 1, 1, 2)));
        assertEquals("conv2d_winograd computes 3x3 kernels with stride 1, dilation 1 and groups 1 (Winograd F(2x2, 3x3)); got a 3x3 kernel, "
                + "stride 2, dilation 1, groups 1: use conv2d for this shape", error(() -> build("conv2d_winograd", 1, 3, 8, 8, 4, 3, 3, 2, 1)));
        assertTrue(error(() -> build("conv2d_winograd", 1, 3, 8, 8, 4, 5, 5, 1, 2)).contains("got a 5x5 kernel"));
        assertEquals("conv2d: the 3x3 kernel (dilation 3, spanning 7x7) does not fit the padded 6x6 input (H=4, W=4, pad=1); "
                + "need dilation*(KH-1)+1 <= H + 2*pad and likewise for KW", error(() -> build("conv2d", 1, 1, 4, 4, 1, 3, 3, 1, 1, 3)));
        assertTrue(error(() -> build("depthwise_conv2d", 1, 2, 2, 2, 5, 5, 1, 1)).contains("the 5x5 kernel does not fit the padded 4x4 input"));
        assertTrue(error(() -> build("pool2d", 1, 2, 2, 2, 5, 5, 1, 1)).contains("the 5x5 window does not fit the padded 4x4 input"));
        assertEquals("pool2d: pad=2 must be smaller than the 2x2 window (pad < KH and pad < KW), or some windows would cover only padding",
                error(() -> build("pool2d", 1, 1, 8, 8, 2, 2, 2, 2)));
    }

    @Test
    void dtypes() {
        assertEquals("conv2d does not support dtype f64; supported dtypes: f32", error(() -> Operators.get("conv2d").build(new long[] {1, 1, 4, 4, 1, 3, 3, 1, 1}, DType.F64)));
        assertEquals("matmul does not support dtype f16; supported dtypes: f32, f64", error(() -> Operators.get("matmul").build(new long[] {4, 4, 4}, DType.F16)));
        assertEquals("layernorm does not support dtype i32; supported dtypes: f32",
                error(() -> Operators.get("layernorm").buildSymbolic(new long[] {4, 4}, DType.I32)));
    }

    @Test
    void attributes() {
        Operator dense = Operators.get("dense");
        assertEquals("dense: activation=tanh is not legal; legal values: none, relu, gelu (default none)",
                error(() -> dense.withAttributes(Map.of("activation", "tanh"))));
        assertEquals("dense has no attribute 'act'; its attributes: [activation=none|relu|gelu]", error(() -> dense.withAttributes(Map.of("act", "relu"))));
        assertEquals("matmul has no attributes; got activation=relu", error(() -> Operators.get("matmul").withAttributes(Map.of("activation", "relu"))));
        assertEquals("pool2d: pool_type=mean is not legal; legal values: max, avg (default max)",
                error(() -> Operators.get("pool2d").withAttributes(Map.of("pool_type", "mean"))));
        // Setting one attribute keeps the others; the registry's operator is unchanged.
        Operator relu = dense.withAttributes(Map.of("activation", "relu"));
        assertEquals(Map.of("activation", "relu"), relu.attributeValues());
        assertEquals(Map.of("activation", "relu"), relu.withAttributes(Map.of()).attributeValues());
        assertEquals("dense", Operators.get("dense").describe().replace("[activation=none]", ""));
        assertEquals(Map.of("broadcast", "column"), Operators.get("multiply").withAttributes(Map.of("broadcast", "column")).attributeValues());
        assertEquals("matmul", Operators.get("matmul").withAttributes(Map.of()).describe());
        // Descriptions, as describe() writes them
        assertEquals("conv2d_winograd[output_tile=4]", Operators.configured("conv2d_winograd[output_tile=4]").describe());
        assertEquals("dense[activation=relu]", Operators.configured(" dense[ activation = relu ] ").describe());
        assertEquals("conv2d", Operators.configured("conv2d").describe());
        assertEquals("conv2d_winograd: output_tile=3 is not legal; legal values: 2, 4 (default 2)",
                error(() -> Operators.configured("conv2d_winograd[output_tile=3]")));
        assertTrue(error(() -> Operators.configured("conv2d_winograd[output_tile]")).contains("'output_tile' is not ATTRIBUTE=VALUE"));
        assertTrue(error(() -> Operators.configured("conv2d_winograd[output_tile=4")).contains("is neither NAME nor NAME[ATTRIBUTE=VALUE,...]"));
        assertTrue(error(() -> Operators.configured("conv3d[x=1]")).startsWith("unknown operator 'conv3d'"));
        assertTrue(error(() -> Operators.configured("conv2d_winograd[output_tile=4]").build(new long[] {1, 3, 8, 8, 4, 3, 3, 2, 1}))
                .contains("(Winograd F(4x4, 3x3)); got a 3x3 kernel, stride 2"));
    }
}
