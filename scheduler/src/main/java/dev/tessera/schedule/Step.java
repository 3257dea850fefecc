package dev.tessera.schedule;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * One schedule primitive as recorded in a trace. Replaying the steps of a trace on the compute
 * definition rebuilds the schedule; the trace is what tuning logs store and the autotuner mutates.
 * Axes and stages are named, so a trace is plain data.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "step")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Step.Split.class, name = "split"),
        @JsonSubTypes.Type(value = Step.Fuse.class, name = "fuse"),
        @JsonSubTypes.Type(value = Step.Reorder.class, name = "reorder"),
        @JsonSubTypes.Type(value = Step.Tile.class, name = "tile"),
        @JsonSubTypes.Type(value = Step.Vectorize.class, name = "vectorize"),
        @JsonSubTypes.Type(value = Step.Unroll.class, name = "unroll"),
        @JsonSubTypes.Type(value = Step.Parallel.class, name = "parallel"),
        @JsonSubTypes.Type(value = Step.ComputeAt.class, name = "compute_at"),
        @JsonSubTypes.Type(value = Step.ComputeInline.class, name = "compute_inline"),
        @JsonSubTypes.Type(value = Step.ComputeRoot.class, name = "compute_root"),
        @JsonSubTypes.Type(value = Step.Rfactor.class, name = "rfactor"),
        @JsonSubTypes.Type(value = Step.CacheRead.class, name = "cache_read"),
        @JsonSubTypes.Type(value = Step.CacheWrite.class, name = "cache_write"),
        @JsonSubTypes.Type(value = Step.Prepack.class, name = "prepack"),
        @JsonSubTypes.Type(value = Step.Specialize.class, name = "specialize"),
        @JsonSubTypes.Type(value = Step.StorageAlign.class, name = "storage_align"),
        @JsonSubTypes.Type(value = Step.ReorderStorage.class, name = "reorder_storage"),
        @JsonSubTypes.Type(value = Step.Prefetch.class, name = "prefetch"),
        @JsonSubTypes.Type(value = Step.Bind.class, name = "bind"),
        @JsonSubTypes.Type(value = Step.GpuTile.class, name = "gpu_tile"),
        @JsonSubTypes.Type(value = Step.SetScope.class, name = "set_scope"),
})
public sealed interface Step {
    /** The stage the step applies to. */
    String stage();

    /**
     * Splits {@code axis} into {@code <axis>.outer} and {@code <axis>.inner}: by {@code factor} (the
     * inner extent) when {@code factor > 0}, else into {@code nparts} outer iterations.
     */
    record Split(String stage, String axis, long factor, long nparts, TailStrategy tail) implements Step {}

    /** Fuses two adjacent axes (outer first) into {@code <outer>.<inner>.fused}. */
    record Fuse(String stage, String outer, String inner) implements Step {}

    /** Puts the named axes in this order, in the positions they occupy now. */
    record Reorder(String stage, List<String> order) implements Step {
        public Reorder { order = List.copyOf(order); }
    }

    /** Splits x and y and orders the loops x.outer, y.outer, x.inner, y.inner. */
    record Tile(String stage, String x, String y, long xFactor, long yFactor, TailStrategy tail) implements Step {}

    record Vectorize(String stage, String axis) implements Step {}

    record Unroll(String stage, String axis) implements Step {}

    record Parallel(String stage, String axis) implements Step {}

    /** Computes the stage inside the loop {@code axis} of {@code consumer}, over the region that loop iteration needs. */
    record ComputeAt(String stage, String consumer, String axis) implements Step {}

    /** Substitutes the stage's definition into its consumers. */
    record ComputeInline(String stage) implements Step {}

    /** Computes the whole stage before its consumers (the default placement). */
    record ComputeRoot(String stage) implements Step {}

    /**
     * Factors the reduction loop {@code axis} out into a new stage {@code <stage>.rf} that keeps it as
     * a spatial (innermost) dimension and reduces over the rest; the stage then reduces over
     * {@code axis} alone. Splitting {@code k} by 16 and factoring {@code k.inner} gives 16 independent
     * partial results that vectorize. Factoring the same stage again makes {@code <stage>.rf1}, and so on.
     */
    record Rfactor(String stage, String axis) implements Step {}

    /**
     * Makes a copy stage {@code <tensor>.cache} of {@code tensor} and has {@code readers} read it
     * instead. {@link #stage()} is the tensor's name.
     */
    record CacheRead(String tensor, List<String> readers) implements Step {
        public CacheRead { readers = List.copyOf(readers); }
        @Override public String stage() { return tensor; }
    }

    /**
     * Declares kernel input {@code tensor} constant across calls (a weight) and packs it into a new
     * layout once, ahead of calls: a stage {@code <tensor>.packed} that every stage reading the
     * tensor reads instead. The layout splits dimensions of the tensor (named {@code i0, i1, ...})
     * by the factors of {@code splits} into {@code <dim>.outer} and {@code <dim>.inner} (zero-padded
     * where a factor does not divide), and lays the resulting dimensions out in {@code order},
     * outermost first; an empty order means every outer, then the unsplit dimensions, then every
     * inner (column panels of B [K, N] split on {@code i1}: {@code [i1.outer, i0, i1.inner]}).
     * {@code tensor} may also name a stage computed from constant inputs alone (no splits, no
     * order): that stage is then computed once, ahead of calls, as it stands.
     * {@link #stage()} is the tensor's name.
     */
    record Prepack(String tensor, List<LayoutSplit> splits, List<String> order) implements Step {
        public Prepack {
            splits = List.copyOf(splits);
            order = List.copyOf(order);
        }
        @Override public String stage() { return tensor; }
    }

    /** One split of a {@link Prepack} layout: storage dimension {@code dim} into panels of {@code factor}. */
    record LayoutSplit(String dim, long factor) {}

    /**
     * Moves the stage's definition into a new stage {@code <stage>.local} and makes the stage a copy
     * of it, so the computation can accumulate in a small tile (registers) placed inside the copy's loops.
     */
    record CacheWrite(String stage) implements Step {}

    /**
     * Adds a fast path to the kernel of output {@code stage} for calls where the shape variable
     * {@code shapeVar} is a multiple of {@code divisor}: there the loops are lowered knowing it, so
     * the guards of splits by a factor of {@code divisor} disappear; other calls take the general path.
     */
    record Specialize(String stage, String shapeVar, long divisor) implements Step {}

    /**
     * Pads the storage of the stage's spatial dimension {@code axis} so that its stride (in
     * elements) is {@code factor * n + offset}: rows of a staged tile then start on cache-line or
     * vector boundaries ({@code offset} 0), or deliberately off them to avoid set conflicts.
     */
    record StorageAlign(String stage, String axis, long factor, long offset) implements Step {}

    /**
     * Lays out the stage's storage with its spatial dimensions in {@code order}, outermost first,
     * instead of the order of its definition (Halide's {@code reorder_storage}): the last one named
     * is contiguous. The loops and the values are unchanged; a tile vectorized along a dimension
     * that is not the definition's last then reads and writes dense vectors.
     */
    record ReorderStorage(String stage, List<String> order) implements Step {
        public ReorderStorage { order = List.copyOf(order); }
    }

    /**
     * At the top of each iteration of loop {@code axis}, prefetches the elements of {@code tensor}
     * that the iteration {@code distance} steps later reads (one cache-line hint per access).
     */
    record Prefetch(String stage, String tensor, String axis, long distance) implements Step {}

    /**
     * Binds loop {@code axis} to a GPU index, {@code thread} being one of {@code blockIdx.x|y|z}
     * (the loop's iterations become blocks, or OpenCL work-groups) or {@code threadIdx.x|y|z} (the
     * threads of a block, work-items of a group). Binding a reduction loop to a thread index makes
     * the threads of a block reduce together (a cross-thread reduction).
     */
    record Bind(String stage, String axis, String thread) implements Step {}

    /**
     * GPU tiling: tiles {@code x} by {@code xFactor} and {@code y} by {@code yFactor} as
     * {@link Tile} does, then binds {@code y.outer} to {@code blockIdx.x}, {@code x.outer} to
     * {@code blockIdx.y}, {@code y.inner} to {@code threadIdx.x} and {@code x.inner} to
     * {@code threadIdx.y}: the second axis is the fast one, as the innermost storage dimension
     * should be for coalesced access. With {@code y} null it splits {@code x} alone and binds its
     * outer and inner loops to {@code blockIdx.x} and {@code threadIdx.x}.
     */
    record GpuTile(String stage, String x, String y, long xFactor, long yFactor) implements Step {}

    /**
     * Where the stage's storage lives on a GPU: {@code global} (device memory), {@code shared}
     * (one copy per block, visible to its threads: CUDA {@code __shared__}, OpenCL {@code __local})
     * or {@code local} (one copy per thread: registers). Without it, a stage computed inside a
     * thread loop is local, one computed inside a block loop is shared, and the rest are global.
     */
    record SetScope(String stage, String scope) implements Step {}
}
