package dev.tessera.lower.device;

/** Where a buffer lives on a GPU: device memory, one copy per block, or one copy per thread. */
public enum MemoryScope {
    GLOBAL, SHARED, LOCAL;

    /** The scope named by {@code set_scope} ({@code global}, {@code shared}, {@code local}). */
    public static MemoryScope of(String name) { return valueOf(name.toUpperCase(java.util.Locale.ROOT)); }
}
