package dev.tessera.lower;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.schedule.LoopAxis;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

class VectorizeLoopsTest {
    /**
     * A copy over (y, x) fused into one pixel loop whose 16-lane chunks cross row ends: y and x are
     * the pixel divided and reduced by the row width, so the address y*56 + x is the pixel itself.
     * The accesses must be dense vectors, not gathers and scatters of 16 computed addresses.
     */
    @Test
    void fusedRowsSplitIntoVectorsStayDense() {
        Tensor a = Te.placeholder("A", DType.F32, 8, 56, 56);
        Tensor b = Te.compute("B", List.of(Te.c(8), Te.c(56), Te.c(56)), List.of("c", "y", "x"),
                v -> a.at(v.get(0), v.get(1), v.get(2)).mul(Te.f32(2)));
        Schedule sch = Schedule.create(b);
        Stage st = sch.stage(b);
        LoopAxis pixels = st.fuse("y", "x");
        st.vectorize(st.split(pixels, 16).inner());
        String ir = IRPrinter.print(Lower.lower(sch, "copy").body());
        assertTrue(ir.contains("B[ramp((c*3136) + (y.x.fused.outer*16), 1, 16)] = A[ramp((c*3136) + (y.x.fused.outer*16), 1, 16)] * x16(2f)"), ir);
        assertFalse(ir.contains("/x16(56)"), ir);
    }
}
