package dev.tessera.target;

import dev.tessera.lower.Workload;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Schedule to callable kernel, through the backend of the target's kind, with a process-wide
 * compile cache: the same (compute definition, schedule trace, target) compiles once per process.
 */
public final class Kernels {
    private static final ConcurrentHashMap<String, CompiledKernel> CACHE = new ConcurrentHashMap<>();
    private static final AtomicLong HITS = new AtomicLong(), MISSES = new AtomicLong();

    private Kernels() {}

    /** Lowers and compiles a schedule for the target, or returns the kernel compiled for it before. */
    public static CompiledKernel compile(Schedule schedule, String name, Target target) {
        String key = target.fingerprint() + "\n" + name + "\n" + Workload.describe(schedule.outputs()) + TraceJson.write(schedule.trace());
        CompiledKernel k = CACHE.get(key);
        if (k != null) {
            HITS.incrementAndGet();
            return k;
        }
        Backend backend = Backend.byName(target.kind());
        k = CACHE.computeIfAbsent(key, unused -> {
            MISSES.incrementAndGet();
            return backend.compile(schedule, name, target);
        });
        return k;
    }

    /** Lowers and compiles without consulting or filling the cache (to measure compile time). */
    public static CompiledKernel compileUncached(Schedule schedule, String name, Target target) {
        return Backend.byName(target.kind()).compile(schedule, name, target);
    }

    /** How often {@link #compile} found its kernel cached, process-wide. */
    public static long cacheHits() { return HITS.get(); }

    /** How often {@link #compile} compiled, process-wide. */
    public static long cacheMisses() { return MISSES.get(); }
}
