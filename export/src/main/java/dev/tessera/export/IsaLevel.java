package dev.tessera.export;

import dev.tessera.TesseraUserError;
import dev.tessera.target.llvm.LlvmObjectEmitter;
import java.util.List;
import java.util.Map;

/**
 * A CPU level an export carries code for: the LLVM CPU name, the suffix its symbols get, the GCC
 * {@code __builtin_cpu_supports} test the dispatcher uses, and extra LLVM function attributes.
 */
public record IsaLevel(String name, String symbolSuffix, String cpuTest, Map<String, String> functionAttributes) {
    /** The levels an export carries unless told otherwise. */
    public static final List<String> DEFAULT = List.of("x86-64-v3", "x86-64-v4");

    /** The level named as LLVM names it: x86-64, x86-64-v2, x86-64-v3 or x86-64-v4. */
    public static IsaLevel of(String name) {
        if (!LlvmObjectEmitter.X86_64_LEVELS.contains(name))
            throw new TesseraUserError("unknown ISA level '" + name + "'; legal levels: " + String.join(", ", LlvmObjectEmitter.X86_64_LEVELS));
        String suffix = name.replace('-', '_');
        // x86-64-v4 tunes for 256-bit vectors by default; explicit 512-bit vectors are the point of it.
        Map<String, String> attrs = name.equals("x86-64-v4")
                ? Map.of("prefer-vector-width", "512", "min-legal-vector-width", "512")
                : Map.of();
        String test = name.equals("x86-64") ? "1" : "__builtin_cpu_supports(\"" + name + "\")";
        return new IsaLevel(name, suffix, test, attrs);
    }
}
