package dev.tessera.target;

import java.util.ServiceLoader;

/**
 * A description of the device a kernel is compiled for: the target kind (the backend name, e.g.
 * {@code "llvm"}, {@code "cuda"}, {@code "opencl"}), the CPU name and feature string as LLVM spells
 * them (for a GPU: the device name and its architecture, e.g. {@code sm_90}), the widest vector
 * register in bits, the number of cores (for a GPU: its compute units) and, for a GPU, its
 * {@link GpuLimits}. Passes and the autotuner read these capabilities.
 */
public record Target(String kind, String cpu, String features, int vectorBits, int cores, GpuLimits gpu) {
    /** A CPU target. */
    public Target(String kind, String cpu, String features, int vectorBits, int cores) {
        this(kind, cpu, features, vectorBits, cores, null);
    }

    /**
     * What a GPU allows one kernel launch: threads per block (work-group size) in all and per
     * dimension, shared (OpenCL: local) memory per block in bytes, the warp (sub-group) width, and
     * the architecture the code is compiled for ({@code sm_90}, or an OpenCL version).
     */
    public record GpuLimits(String arch, int maxThreadsPerBlock, java.util.List<Long> maxBlockDims,
                            java.util.List<Long> maxGridDims, long sharedMemoryBytes, int warpSize) {
        public GpuLimits {
            maxBlockDims = java.util.List.copyOf(maxBlockDims);
            maxGridDims = java.util.List.copyOf(maxGridDims);
            if (maxBlockDims.size() != 3 || maxGridDims.size() != 3)
                throw new IllegalArgumentException("block and grid limits need three dimensions");
            if (maxThreadsPerBlock < 1 || warpSize < 1 || sharedMemoryBytes < 0)
                throw new IllegalArgumentException("bad GPU limits: " + maxThreadsPerBlock + " threads, warp " + warpSize);
        }
    }

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

    /** Whether this is a GPU target (it has {@link GpuLimits}). */
    public boolean isGpu() { return gpu != null; }

    /** A short stable identity for caches and tuning logs. */
    public String fingerprint() {
        return kind + ":" + cpu + ":" + Integer.toHexString(features.hashCode()) + ":" + vectorBits + ":" + cores
                + (gpu == null ? "" : ":" + gpu.arch() + ":" + gpu.maxThreadsPerBlock() + ":" + gpu.sharedMemoryBytes());
    }
}
