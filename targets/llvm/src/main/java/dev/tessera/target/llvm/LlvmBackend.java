package dev.tessera.target.llvm;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.target.Backend;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The CPU backend: LLVM IR built through the C API, optimized with {@code default<O3>} for the host
 * CPU and JIT-compiled by ORC LLJIT. Registered for {@link java.util.ServiceLoader} under the name
 * {@code "llvm"}.
 */
public final class LlvmBackend implements Backend {
    private static final ConcurrentHashMap<String, LlvmKernel> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong HITS = new AtomicLong(), MISSES = new AtomicLong();

    @Override public String name() { return "llvm"; }

    @Override
    public Optional<Target> hostTarget() {
        return Optional.of(LlvmJit.get().hostTarget());
    }

    /** Compiles for this process. The JIT always targets the host; {@code t} must be an llvm target. */
    @Override
    public LlvmKernel compile(LoweredFunc f, Target t) {
        checkTarget(t);
        String symbol = LlvmJit.uniqueSymbol(f.name());
        LlvmJit.Compiled c = LlvmJit.get().compile(symbol, ctx -> LlvmCodegen.generate(ctx, f, symbol));
        return new LlvmKernel(f, symbol, c);
    }

    /**
     * Compiles once per process per {@code cacheKey} (and target): later calls with the same key
     * return the same kernel without building the LoweredFunc. The key must identify the kernel
     * (e.g. a workload hash plus the schedule trace).
     */
    public CompiledKernel compile(String cacheKey, Supplier<LoweredFunc> func, Target t) {
        String key = t.fingerprint() + "|" + cacheKey;
        LlvmKernel k = CACHE.get(key);
        if (k != null) {
            HITS.incrementAndGet();
            return k;
        }
        boolean[] compiled = {false};
        k = CACHE.computeIfAbsent(key, unused -> {
            compiled[0] = true;
            return compile(func.get(), t);
        });
        (compiled[0] ? MISSES : HITS).incrementAndGet();
        return k;
    }

    /** How often {@link #compile(String, Supplier, Target)} found its key cached, process-wide. */
    public static long cacheHits() { return HITS.get(); }
    /** How often {@link #compile(String, Supplier, Target)} had to compile, process-wide. */
    public static long cacheMisses() { return MISSES.get(); }

    /** The optimized LLVM IR of the kernel for {@code t}. */
    @Override
    public String source(LoweredFunc f, Target t) {
        return source(f, t, true);
    }

    /** The LLVM IR of the kernel for {@code t}, before ({@code optimized == false}) or after {@code default<O3>}. */
    public String source(LoweredFunc f, Target t, boolean optimized) {
        checkTarget(t);
        return LlvmJit.get().source(t, optimized, ctx -> LlvmCodegen.generate(ctx, f, f.name()));
    }

    private void checkTarget(Target t) {
        if (!t.kind().equals(name()))
            throw new TesseraUserError("the llvm backend compiles for targets of kind 'llvm', got '" + t.kind() + "'");
    }
}
