package dev.tessera.lower;

import dev.tessera.lower.ir.LoweredFunc;
import java.util.List;

/**
 * A kernel whose schedule prepacks constant inputs, lowered for calls that pack once and run many
 * times: one pack function per prepacked stage (its buffers: the constant inputs it reads, then the
 * packed buffer it writes whole), and the kernel that takes the packed buffers as inputs in place
 * of the constants. Buffers match across functions by tensor name.
 */
public record PrepackedProgram(List<LoweredFunc> packs, LoweredFunc kernel) {
    public PrepackedProgram { packs = List.copyOf(packs); }
}
