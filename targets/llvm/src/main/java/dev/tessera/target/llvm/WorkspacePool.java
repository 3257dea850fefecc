package dev.tessera.target.llvm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The JIT's allocator of large kernel temporaries (a packed weight, a padded image), after TVM's
 * workspace pool: a freed block is kept for the next call that asks for the same size instead of
 * going back to libc, which may return its pages to the system and fault them in again on the next
 * call (9.4 MiB of packed conv2d weights cost about 3 ms a call that way). Native code reaches it
 * through the upcalls {@code tessera_alloc(bytes)} and {@code tessera_free(ptr, bytes)}; kernels
 * call them only for temporaries of at least {@link LlvmCodegen#POOLED_BYTES} (smaller ones use
 * libc directly). At most {@link #CACHE_BYTES} stay cached; beyond that a freed block goes back to libc.
 */
public final class WorkspacePool {
    /** The most bytes kept in the pool between calls. */
    public static final long CACHE_BYTES = 1L << 30;

    private static final MethodHandle ALIGNED_ALLOC, FREE;
    private static final MemorySegment ALLOC_UPCALL, FREE_UPCALL;
    private static final Map<Long, ArrayDeque<Long>> FREE_BLOCKS = new HashMap<>();
    private static long cachedBytes;

    static {
        Linker linker = Linker.nativeLinker();
        ALIGNED_ALLOC = linker.downcallHandle(linker.defaultLookup().find("aligned_alloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        FREE = linker.downcallHandle(linker.defaultLookup().find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            ALLOC_UPCALL = linker.upcallStub(lookup.findStatic(WorkspacePool.class, "allocate", MethodType.methodType(long.class, long.class)),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Arena.global());
            FREE_UPCALL = linker.upcallStub(lookup.findStatic(WorkspacePool.class, "release", MethodType.methodType(void.class, long.class, long.class)),
                    FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private WorkspacePool() {}

    /** The address native code calls as {@code tessera_alloc}. */
    static MemorySegment allocUpcall() { return ALLOC_UPCALL; }

    /** The address native code calls as {@code tessera_free}. */
    static MemorySegment freeUpcall() { return FREE_UPCALL; }

    /** A 64-byte aligned block of {@code bytes} (a multiple of 64): a cached one of that size, else a new one; 0 when out of memory. */
    public static long allocate(long bytes) {
        synchronized (FREE_BLOCKS) {
            ArrayDeque<Long> blocks = FREE_BLOCKS.get(bytes);
            if (blocks != null && !blocks.isEmpty()) {
                cachedBytes -= bytes;
                return blocks.pop();
            }
        }
        try {
            return (long) ALIGNED_ALLOC.invokeExact(64L, bytes);
        } catch (Throwable e) {
            return 0; // an upcall must not throw: native code would see the JVM end
        }
    }

    /** Takes back a block from {@link #allocate} of {@code bytes}: kept for the next request of that size while the cache has room. */
    public static void release(long address, long bytes) {
        if (address == 0) return;
        synchronized (FREE_BLOCKS) {
            if (cachedBytes + bytes <= CACHE_BYTES) {
                FREE_BLOCKS.computeIfAbsent(bytes, b -> new ArrayDeque<>()).push(address);
                cachedBytes += bytes;
                return;
            }
        }
        try {
            FREE.invokeExact(address);
        } catch (Throwable e) {
            // an upcall must not throw; a block that cannot be freed is lost, nothing else
        }
    }

    /** Bytes held in the pool now, for tests. */
    static long cachedBytes() {
        synchronized (FREE_BLOCKS) {
            return cachedBytes;
        }
    }
}
