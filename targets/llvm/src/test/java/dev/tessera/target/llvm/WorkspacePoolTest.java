package dev.tessera.target.llvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The pool of large kernel temporaries: a freed block serves the next request of its size, within the cache's bound. */
class WorkspacePoolTest {
    @Test void aFreedBlockIsReusedForTheSameSizeAndIsAligned() {
        long bytes = 3 * 1024 * 1024 + 64 * 7; // a size no other test asks for
        long a = WorkspacePool.allocate(bytes);
        assertNotEquals(0, a);
        assertEquals(0, a % 64);
        long before = WorkspacePool.cachedBytes();
        WorkspacePool.release(a, bytes);
        assertEquals(before + bytes, WorkspacePool.cachedBytes());
        assertEquals(a, WorkspacePool.allocate(bytes)); // the same block, not a fresh one
        assertEquals(before, WorkspacePool.cachedBytes());
        long other = WorkspacePool.allocate(bytes); // the cache holds none of this size now: a new block
        assertNotEquals(a, other);
        WorkspacePool.release(a, bytes);
        WorkspacePool.release(other, bytes);
        assertTrue(WorkspacePool.cachedBytes() <= WorkspacePool.CACHE_BYTES);
    }

    @Test void blocksBeyondTheCacheBoundGoBackToLibc() {
        long bytes = WorkspacePool.CACHE_BYTES / 2 + 64; // two of them do not fit the cache
        long a = WorkspacePool.allocate(bytes), b = WorkspacePool.allocate(bytes);
        long before = WorkspacePool.cachedBytes();
        WorkspacePool.release(a, bytes);
        WorkspacePool.release(b, bytes);
        assertTrue(WorkspacePool.cachedBytes() - before <= bytes, "at most one of the two is kept");
        assertTrue(WorkspacePool.cachedBytes() <= WorkspacePool.CACHE_BYTES);
        WorkspacePool.release(0, bytes); // a null block is ignored
    }

    /** A kernel whose temporary is large enough for the pool (a padded conv2d input) computes the same as the reference, call after call. */
    @Test void kernelsWithPooledTemporariesGiveTheSameResultOnEveryCall() {
        dev.tessera.ops.Operator op = dev.tessera.ops.Operators.get("conv2d");
        long[] shape = op.parseShape("1,64,40,40,16,3,3,1,1"); // padded input: 64 x 42 x 42 floats = 451 KiB
        dev.tessera.ops.OperatorInstance inst = op.build(shape);
        dev.tessera.schedule.Schedule s = dev.tessera.schedule.Schedule.create(inst.outputs());
        op.applyDefaultSchedule(s);
        dev.tessera.target.CompiledKernel k = dev.tessera.target.Kernels.compile(s, "conv2d", dev.tessera.target.Target.host());
        dev.tessera.target.KernelArguments args = dev.tessera.target.KernelArguments.seeded(inst.inputs(), inst.outputs());
        java.util.List<dev.tessera.target.HostBuffer> b = args.buffers();
        dev.tessera.target.HostBuffer out = b.get(b.size() - 1);
        long empty = WorkspacePool.cachedBytes();
        k.call(b);
        assertTrue(WorkspacePool.cachedBytes() - empty >= 64 * 42 * 42 * 4, "the padded input came from the pool and went back to it");
        double[] first = new double[(int) out.elementCount()];
        for (int i = 0; i < first.length; i++) first[i] = out.get(i);
        // On one thread, so that the blocks of the per-iteration temporaries (the column panels) are never
        // live at once: on two, the pool grows to as many as the threads happened to overlap, which varies.
        int threads = ParallelRuntime.threads();
        ParallelRuntime.setThreads(1);
        try {
            k.call(b);
            long cached = WorkspacePool.cachedBytes();
            for (int call = 0; call < 3; call++) {
                for (int i = 0; i < first.length; i++) out.set(i, Double.NaN);
                k.call(b);
                for (int i = 0; i < first.length; i++) assertEquals(first[i], out.get(i), 0.0, "call " + call + " element " + i);
                assertEquals(cached, WorkspacePool.cachedBytes(), "the pool lends the same blocks every call");
            }
        } finally {
            ParallelRuntime.setThreads(threads);
        }
        dev.tessera.lower.interp.ReferenceInterpreter ref = new dev.tessera.lower.interp.ReferenceInterpreter(inst.outputs(), args.inputValues());
        long[] dims = dev.tessera.target.KernelArguments.constantShape(inst.outputs().get(0));
        for (long flat = 0; flat < first.length; flat += 97)
            assertEquals(ref.evaluateAt(inst.outputs().get(0), dev.tessera.target.KernelArguments.unflatten(flat, dims)), first[(int) flat], 1e-4);
    }
}
