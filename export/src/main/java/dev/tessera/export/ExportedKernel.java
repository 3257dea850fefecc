package dev.tessera.export;

import dev.tessera.ir.DType;
import dev.tessera.lower.ir.LoweredFunc;

/**
 * A kernel ready to be written into a library: its name there, what it was built from (the request,
 * the configured operator's description, the shape text and dtype), the schedule trace used (JSON),
 * the lowered function, its C convention, and its role: {@link #KERNEL} (the whole operator), or,
 * for a schedule that prepacks constant inputs, {@link #PACK} (packs one of them) or
 * {@link #PREPACKED} (the operator over the packed copies); {@code note} says how they connect.
 */
public record ExportedKernel(String name, KernelRequest request, String operator, String shape, DType dtype,
                             String traceJson, LoweredFunc func, KernelAbi abi, String role, String note) {
    public static final String KERNEL = "kernel", PACK = "pack", PREPACKED = "prepacked";

    /** The symbol of this kernel's code for one ISA level, e.g. {@code mylib__matmul__x86_64_v3}. */
    public String symbol(String library, IsaLevel level) {
        return library + "__" + name + "__" + level.symbolSuffix();
    }
}
