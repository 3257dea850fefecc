package dev.tessera.cli;

import static dev.tessera.cli.CliTest.tessera;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The options that configure an operator: --dtype, --attr, --knob (with --schedule tuned), and `tessera ops OP`. */
class OperatorOptionsCliTest {

    @Test void opsListsDtypesAndAttributesAndDescribesOneOperator() {
        CliTest.Run all = tessera("ops");
        assertEquals(0, all.exit(), all.err());
        assertTrue(all.out().lines().anyMatch(l -> l.startsWith("dense ") && l.contains("f32,f64") && l.contains("activation=none|relu|gelu")), all.out());
        assertTrue(all.out().lines().anyMatch(l -> l.startsWith("pool2d ") && l.contains("N,C,H,W,KH,KW,stride,pad") && l.contains("pool_type=max|avg")), all.out());
        assertTrue(all.out().contains("N,C,H,W,F,KH,KW,stride,pad,dilation,groups"), all.out());
        CliTest.Run one = tessera("ops", "matmul");
        assertEquals(0, one.exit(), one.err());
        assertTrue(one.out().contains("--dtype f32|f64   (default f32)"), one.out());
        assertTrue(one.out().contains("--knob tile_rows=1|2|4|6|8   (default 4)"), one.out());
        assertTrue(!one.out().contains("alternatives"), one.out());
        CliTest.Run conv = tessera("ops", "conv2d");
        assertEquals(0, conv.exit(), conv.err());
        assertTrue(conv.out().contains("  alternatives for 1,64,56,56,64,3,3,1,1: conv2d_winograd[output_tile=2], conv2d_winograd[output_tile=4]   (the same result"),
                conv.out());
        assertTrue(!conv.out().contains("alternatives for 1,256,14,14,512,3,3,2,1"), "a stride-2 layer has none: " + conv.out());
    }

    @Test void benchInF64WithAnAttribute() throws Exception {
        CliTest.Run r = tessera("bench", "dense", "--shape", "20,36,9", "--dtype", "f64", "--attr", "activation=relu", "--json", "--repeats", "2",
                "--warmup", "0", "--jit-repeats", "0");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out().trim());
        assertEquals("dense", j.get("operator").asText());
        assertEquals("f64", j.get("dtype").asText());
        assertEquals("relu", j.get("attributes").get("activation").asText());
        assertTrue(j.get("max_abs_error").asDouble() < 1e-12, r.out());
        assertEquals(20 * 36, j.get("checked_points").asInt());
        // f64 moves 8-byte elements: A, B, bias and Y.
        double bytes = 8.0 * (20 * 9 + 9 * 36 + 36 + 20 * 36);
        assertEquals(bytes / (j.get("median_ms").asDouble() * 1e6), j.get("gbps").asDouble(), 1e-9);
    }

    @Test void lowerShowsTheDtypeAndTheEpilogue() {
        CliTest.Run r = tessera("lower", "dense", "--shape", "8,16,4", "--dtype", "f64", "--attr", "activation=relu");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("func dense(A: f64[8, 4], B: f64[4, 16], bias: f64[16], dense: f64[8, 16])"), r.out());
        assertTrue(r.out().contains("max("), "relu in the output stage: " + r.out());
    }

    @Test void knobsSelectTheTunedSchedule() {
        CliTest.Run t = tessera("trace", "matmul", "--shape", "32,32,32", "--knob", "tile_rows=6", "--knob", "pack_b=0");
        assertEquals(0, t.exit(), t.err());
        assertTrue(t.out().contains("\"axis\":\"i\",\"factor\":6"), t.out());
        assertFalse(t.out().contains("cache_read"), t.out());
        CliTest.Run d = tessera("trace", "matmul", "--shape", "32,32,32", "--schedule", "tuned");
        assertEquals(tessera("trace", "matmul", "--shape", "32,32,32").out(), d.out(), "tuned without knobs is the default schedule");
    }

    @Test void badDtypesAttributesAndKnobsAreMessages() {
        CliTest.Run dtype = tessera("bench", "conv2d", "--dtype", "f64");
        assertEquals(2, dtype.exit());
        assertTrue(dtype.err().contains("error: conv2d does not support dtype f64; supported dtypes: f32"), dtype.err());
        CliTest.Run unknownDtype = tessera("bench", "matmul", "--dtype", "f128");
        assertEquals(2, unknownDtype.exit());
        assertTrue(unknownDtype.err().contains("unknown dtype 'f128'"), unknownDtype.err());
        CliTest.Run attr = tessera("lower", "dense", "--shape", "4,4,4", "--attr", "activation=swish");
        assertEquals(2, attr.exit());
        assertTrue(attr.err().contains("dense: activation=swish is not legal; legal values: none, relu, gelu (default none)"), attr.err());
        CliTest.Run noAttrs = tessera("lower", "matmul", "--shape", "4,4,4", "--attr", "activation=relu");
        assertEquals(2, noAttrs.exit());
        assertTrue(noAttrs.err().contains("matmul has no attributes"), noAttrs.err());
        CliTest.Run knob = tessera("lower", "matmul", "--shape", "4,4,4", "--knob", "tile_rows=5");
        assertEquals(2, knob.exit());
        assertTrue(knob.err().contains("knob tile_rows = 5 is not one of its choices [1, 2, 4, 6, 8]"), knob.err());
        CliTest.Run mixed = tessera("lower", "matmul", "--shape", "4,4,4", "--knob", "tile_rows=2", "--schedule", "naive");
        assertEquals(2, mixed.exit());
        assertTrue(mixed.err().contains("cannot be combined with --schedule naive"), mixed.err());
    }
}
