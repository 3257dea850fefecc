package dev.tessera.lower.ir;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Reducer;
import dev.tessera.schedule.LoopKind;
import java.util.List;

/**
 * A reduction across the threads of a block, then a write of its result. Thread {@code t < extent}
 * of the {@code thread} dimension has left its partial values at index {@code t} of each buffer of
 * {@code partials} (one buffer per value of {@code reducer}); this statement combines the
 * {@code extent} partials with {@code reducer} into index 0 and runs {@code update}, which reads
 * them there (typically folding them into the reduction's output).
 *
 * <p>It comes from a reduction loop bound to a thread index (see
 * {@link dev.tessera.lower.passes.ScheduleToLoops}) and sits right after that loop. In sequential
 * semantics (the loop interpreter) it is the fold it describes. On a GPU,
 * {@link dev.tessera.lower.passes.LowerCrossThreadReductions} gives each thread its partial in a
 * register (the buffers become one-element local arrays) and {@code scratch}, one shared array per
 * value as large as the block, for the code generator's combining tree or warp shuffles; there every
 * thread of the block executes the statement and ends with the combined values in its partials.
 */
public record CrossThreadReduce(Reducer reducer, List<BufferRef> partials, LoopKind thread, long extent,
                                List<BufferRef> scratch, Stmt update) implements Stmt {
    public CrossThreadReduce {
        partials = List.copyOf(partials);
        scratch = List.copyOf(scratch);
        if (partials.size() != reducer.arity()) throw new IllegalArgumentException("one partial buffer per reducer value");
        if (!scratch.isEmpty() && scratch.size() != reducer.arity()) throw new IllegalArgumentException("one scratch buffer per reducer value");
        if (!thread.isGpuThread()) throw new IllegalArgumentException("a cross-thread reduction runs over a thread index, got " + thread);
        if (extent < 1) throw new IllegalArgumentException("extent must be positive");
    }
}
