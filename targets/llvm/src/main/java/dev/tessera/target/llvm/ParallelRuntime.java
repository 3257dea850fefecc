package dev.tessera.target.llvm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The CPU thread pool behind {@code parallel} loops: one long-lived pool of daemon workers shared by
 * every kernel, reached from native code through the upcall {@code tessera_parallel_for(fn, closure,
 * min, extent)}. A call cuts the range into up to {@link #CHUNKS_PER_THREAD} chunks per thread
 * (the workers plus the calling thread), which the threads claim one at a time and run as
 * {@code fn(begin, end, closure)}, and waits for them all. A parallel loop met
 * inside a chunk (nested parallelism) runs its whole range inline on that thread.
 *
 * <p>The size is the system property {@code tessera.threads}, else the environment variable
 * {@code TESSERA_NUM_THREADS}, else the number of processors; {@link #setThreads} changes it.
 * No exception ever leaves an upcall (that would abort the JVM): it is recorded and rethrown by the
 * kernel call that started the loop, see {@link #runCollectingErrors}.
 */
public final class ParallelRuntime {
    private static final MethodHandle CHUNK; // (MemorySegment fn, long begin, long end, MemorySegment closure) void
    private static final MemorySegment UPCALL;
    private static final ThreadLocal<Boolean> IN_PARALLEL = ThreadLocal.withInitial(() -> false);
    private static final ThreadLocal<List<Throwable>> ERRORS = new ThreadLocal<>();
    private static final Object POOL_LOCK = new Object();
    private static volatile Pool pool;

    static {
        Linker linker = Linker.nativeLinker();
        CHUNK = linker.downcallHandle(FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(ParallelRuntime.class, "parallelFor",
                    MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class, long.class, long.class));
            UPCALL = linker.upcallStub(target,
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ParallelRuntime() {}

    /** The address native code calls as {@code tessera_parallel_for}. */
    static MemorySegment upcallStub() { return UPCALL; }

    /** The number of threads a parallel loop uses (workers plus the calling thread). */
    public static int threads() { return pool().size; }

    /** Replaces the pool by one of {@code n} threads; loops already running finish on the old one. */
    public static void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("thread count must be >= 1: " + n);
        synchronized (POOL_LOCK) {
            Pool old = pool;
            pool = new Pool(n);
            if (old != null) old.shutdown();
        }
    }

    private static Pool pool() {
        Pool p = pool;
        if (p != null) return p;
        synchronized (POOL_LOCK) {
            if (pool == null) pool = new Pool(defaultThreads());
            return pool;
        }
    }

    static int defaultThreads() {
        String s = System.getProperty("tessera.threads");
        if (s == null || s.isBlank()) s = System.getenv("TESSERA_NUM_THREADS");
        if (s != null && !s.isBlank()) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the processor count
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Runs {@code body} (a native kernel call) on this thread and rethrows, afterwards, the first
     * error any of its parallel loops recorded.
     */
    static void runCollectingErrors(Runnable body) {
        List<Throwable> outer = ERRORS.get();
        List<Throwable> errors = new ArrayList<>();
        ERRORS.set(errors);
        try {
            body.run();
        } finally {
            ERRORS.set(outer);
        }
        if (!errors.isEmpty()) {
            Throwable first = errors.get(0);
            IllegalStateException e = new IllegalStateException("parallel loop failed: " + first, first);
            for (int i = 1; i < errors.size(); i++) e.addSuppressed(errors.get(i));
            throw e;
        }
    }

    /** The upcall. Never throws. */
    @SuppressWarnings("unused")
    private static void parallelFor(MemorySegment fn, MemorySegment closure, long min, long extent) {
        List<Throwable> sink = ERRORS.get();
        try {
            if (extent <= 0) return;
            Pool p = pool();
            if (IN_PARALLEL.get() || p.size <= 1 || extent <= 1) {
                runChunk(fn, min, min + extent, closure, sink);
                return;
            }
            Job job = new Job(fn, closure, min, extent, (int) Math.min(extent, (long) CHUNKS_PER_THREAD * p.size), sink);
            // Helpers only: the calling thread claims chunks too, so a late worker delays nothing.
            for (int w = 0; w < Math.min(p.size - 1, job.chunks - 1); w++) p.submit(job::runChunks);
            IN_PARALLEL.set(true);
            try {
                job.runChunks();
            } finally {
                IN_PARALLEL.set(false);
            }
            // The closure lives on this thread's native stack: never return before every chunk is done.
            spinUntil(() -> job.done.getCount() == 0);
            boolean interrupted = false;
            while (true) {
                try {
                    job.done.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        } catch (Throwable t) {
            record(sink, t);
        }
    }

    /**
     * How long an idle thread spins before it sleeps: a worker waiting for the next loop, the calling
     * thread waiting for the last chunks. Kernels called back to back (and a kernel's successive
     * parallel loops) then find the workers awake instead of paying a wake-up each time. System
     * property {@code tessera.spin.us} (microseconds; 0 turns spinning off).
     */
    static final long SPIN_NS = 1000L * Long.getLong("tessera.spin.us", 200);

    private static void spinUntil(java.util.function.BooleanSupplier ready) {
        if (SPIN_NS <= 0 || ready.getAsBoolean()) return;
        long start = System.nanoTime();
        while (!ready.getAsBoolean() && System.nanoTime() - start < SPIN_NS) Thread.onSpinWait();
    }

    /**
     * Chunks per thread of a parallel loop: more chunks than threads, claimed one at a time by
     * whichever thread is free, keep the threads busy when one of them is slowed (another process on
     * its core, a late wake-up) or the iterations differ in cost.
     */
    static final int CHUNKS_PER_THREAD = 8;

    /** One parallel loop: its range cut into {@code chunks} nearly equal chunks, claimed in order. */
    private static final class Job {
        final MemorySegment fn, closure;
        final long min, extent;
        final int chunks;
        final List<Throwable> sink;
        final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        final CountDownLatch done;

        Job(MemorySegment fn, MemorySegment closure, long min, long extent, int chunks, List<Throwable> sink) {
            this.fn = fn;
            this.closure = closure;
            this.min = min;
            this.extent = extent;
            this.chunks = chunks;
            this.sink = sink;
            this.done = new CountDownLatch(chunks);
        }

        /** Claims and runs chunks until none is left. */
        void runChunks() {
            long base = extent / chunks, rest = extent % chunks;
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                long begin = min + c * base + Math.min(c, rest);
                long end = begin + base + (c < rest ? 1 : 0);
                try {
                    runChunk(fn, begin, end, closure, sink);
                } finally {
                    done.countDown();
                }
            }
        }
    }

    private static void runChunk(MemorySegment fn, long begin, long end, MemorySegment closure, List<Throwable> sink) {
        try {
            CHUNK.invokeExact(fn, begin, end, closure);
        } catch (Throwable t) {
            record(sink, t);
        }
    }

    private static void record(List<Throwable> sink, Throwable t) {
        if (sink != null) {
            synchronized (sink) {
                sink.add(t);
            }
        } else {
            System.err.println("tessera: error in a parallel loop outside a kernel call: " + t);
        }
    }

    /** A fixed set of daemon workers taking chunks from one queue. */
    private static final class Pool {
        final int size;
        final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
        final List<Thread> workers = new ArrayList<>();
        private static final Runnable STOP = () -> {};

        Pool(int size) {
            this.size = size;
            for (int i = 0; i < size - 1; i++) {
                Thread t = new Thread(this::work, "tessera-worker-" + i);
                t.setDaemon(true);
                t.start();
                workers.add(t);
            }
        }

        void submit(Runnable r) {
            queue.add(r);
        }

        void shutdown() {
            for (int i = 0; i < workers.size(); i++) queue.add(STOP);
        }

        private void work() {
            IN_PARALLEL.set(true);
            while (true) {
                Runnable r;
                try {
                    spinUntil(() -> !queue.isEmpty());
                    r = queue.take();
                } catch (InterruptedException e) {
                    continue;
                }
                if (r == STOP) return;
                try {
                    r.run();
                } catch (Throwable t) {
                    System.err.println("tessera: worker error: " + t);
                }
            }
        }
    }
}
