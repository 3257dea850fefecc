package dev.tessera.target;

import java.util.ServiceLoader;

/**
 * A description of the device a kernel is compiled for: the target kind (the backend name, e.g.
 * {@code "llvm"}), the CPU name and feature string as LLVM spells them, the widest vector register
 * in bits and the number of cores. Passes and the autotuner read these capabilities.
 */
public record Target(String kind, String cpu, String features, int vectorBits, int cores) {
    public Target {
        if (kind == null || kind.isEmpty()) throw new IllegalArgumentException("target needs a kind");
        if (cpu == null) cpu = "generic";
        if (features == null) features = "";
        if (vectorBits < 64) throw new IllegalArgumentException("vector width must be >= 64 bits: " + vectorBits);
        if (cores < 1) throw new IllegalArgumentException("cores must be >= 1: " + cores);
    }

    /**
     * The machine this JVM runs on. The CPU name and features come from the first {@link Backend}
     * that can probe the host (the LLVM backend asks {@code LLVMGetHostCPUName}/{@code Features});
     * without one, a generic x86-64 description with SSE-width vectors.
     */
    public static Target host() {
        for (Backend b : ServiceLoader.load(Backend.class, Target.class.getClassLoader())) {
            var t = b.hostTarget();
            if (t.isPresent()) return t.get();
        }
        return new Target("llvm", "generic", "", 128, Runtime.getRuntime().availableProcessors());
    }

    /** The vector width implied by an LLVM feature string: 512 with avx512f, 256 with avx/avx2, else 128. */
    public static int vectorBitsOf(String features) {
        String f = "," + features + ",";
        if (f.contains(",+avx512f,")) return 512;
        if (f.contains(",+avx2,") || f.contains(",+avx,")) return 256;
        return 128;
    }

    /** Whether the feature string enables a feature, e.g. {@code hasFeature("avx2")}. */
    public boolean hasFeature(String name) {
        return ("," + features + ",").contains(",+" + name + ",");
    }

    /** A short stable identity for caches and tuning logs. */
    public String fingerprint() {
        return kind + ":" + cpu + ":" + Integer.toHexString(features.hashCode()) + ":" + vectorBits + ":" + cores;
    }
}
