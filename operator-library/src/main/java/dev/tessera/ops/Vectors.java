package dev.tessera.ops;

import dev.tessera.ir.DType;
import dev.tessera.schedule.Stage;

/**
 * Vector widths of the default CPU schedules: one 512-bit (AVX-512) register, 16 f32 or 8 f64
 * lanes. Knobs count widths in vectors, so one knob value means the same register budget in every
 * dtype.
 */
final class Vectors {
    /** Bytes of one vector register. */
    static final int REGISTER_BYTES = 64;

    private Vectors() {}

    /** Lanes of one vector register of this element type. */
    static long lanes(DType t) { return REGISTER_BYTES / t.bytes(); }

    /** Lanes of one vector register of the stage's (first) output type. */
    static long lanes(Stage s) { return lanes(s.op().outputs().get(0).dtype()); }
}
