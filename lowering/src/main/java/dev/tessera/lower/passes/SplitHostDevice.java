package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Tensor;
import dev.tessera.dsl.Te;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuIndex;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Splits a lowered function into host steps and GPU kernels. Each loop nest at the top level (a
 * stage computed at root) becomes one kernel: its loops bound to block indices must be outermost
 * and make the grid; its loops bound to thread indices (constant extents) make the block, each
 * dimension as large as its largest loop. Intermediate stages computed at root live in global
 * memory, allocated by the host; stages computed inside a kernel live in shared memory when placed
 * outside the thread loops and in local (per-thread) memory inside them, unless {@code set_scope}
 * says otherwise. A stage set to shared memory inside thread loops holds the tile of the whole block
 * (see {@link BoundsInference}); its loops bound to the enclosing thread indices split its
 * iterations among the block's threads (cooperative fetching). Because every thread of a block runs the code outside its thread loops, a write
 * to shared or global memory there is guarded so that one thread makes it.
 */
public final class SplitHostDevice {
    private SplitHostDevice() {}

    public static DeviceProgram apply(LoweredFunc f, Schedule schedule) {
        Map<String, MemoryScope> declared = new HashMap<>();
        Set<String> scalars = new HashSet<>();
        for (Stage st : schedule.stages()) {
            for (Tensor t : st.op().outputs()) {
                if (st.scope() != null) declared.put(t.name(), MemoryScope.of(st.scope()));
                if (st.op().axes().isEmpty()) scalars.add(t.name());
            }
        }
        Splitter s = new Splitter(f, declared, scalars);
        HostStep host = s.host(f.body(), List.of());
        return new DeviceProgram(f, host, s.kernels);
    }

    private static final class Splitter {
        final LoweredFunc func;
        final Map<String, MemoryScope> declared;
        final List<GpuKernel> kernels = new ArrayList<>();
        final List<BufferRef> globals = new ArrayList<>();
        final Set<Var> hostVars = new HashSet<>();

        final Set<String> scalars;

        /** The partial results of cross-thread reductions: one register per thread (see {@link LowerCrossThreadReductions}). */
        final Set<BufferRef> partials = java.util.Collections.newSetFromMap(new IdentityHashMap<>());

        Splitter(LoweredFunc func, Map<String, MemoryScope> declared, Set<String> scalars) {
            this.func = func;
            this.declared = declared;
            this.scalars = scalars;
            hostVars.addAll(func.shapeParams());
            new StmtVisitor() {
                @Override public void visit(Stmt x) {
                    if (x instanceof CrossThreadReduce r) partials.addAll(r.partials());
                    super.visit(x);
                }
            }.visit(func.body());
        }

        HostStep host(Stmt s, List<LetStmt> lets) {
            return switch (s) {
                case Block b -> new HostStep.Sequence(b.stmts().stream().map(x -> host(x, lets)).toList());
                case LetStmt l -> {
                    hostVars.add(l.var());
                    List<LetStmt> inner = new ArrayList<>(lets);
                    inner.add(l);
                    yield new HostStep.Let(l.var(), l.value(), host(l.body(), inner));
                }
                case IfThenElse i -> new HostStep.If(i.cond(), host(i.then(), lets), i.otherwise() == null ? null : host(i.otherwise(), lets));
                // A cross-thread reduction's partials live in registers of one kernel's threads.
                case Allocate a when partials.contains(a.buffer()) -> new HostStep.Launch(kernel(s, lets));
                case CrossThreadReduce r -> new HostStep.Launch(kernel(s, lets));
                case Allocate a -> {
                    MemoryScope scope = declared.get(a.buffer().name());
                    if (scope != null && scope != MemoryScope.GLOBAL)
                        throw new TesseraUserError("set_scope(" + a.buffer().name() + ", " + scope.name().toLowerCase() + "): "
                                + a.buffer().name() + " is computed at root, so every block reads it and it lives in global memory; "
                                + "compute_at it inside a block loop (shared) or a thread loop (local) of its consumer");
                    globals.add(a.buffer());
                    yield new HostStep.Allocate(a.buffer(), a.size(), host(a.body(), lets));
                }
                case For f -> new HostStep.Launch(kernel(s, lets));
                case Store st -> new HostStep.Launch(kernel(s, lets));
                case Prefetch p -> new HostStep.Sequence(List.of());
                case Barrier b -> throw new IllegalStateException("barriers are inserted into kernels after the split");
                case Provide p -> throw new IllegalStateException("the device split runs after storage flattening");
                case Realize r -> throw new IllegalStateException("the device split runs after storage flattening");
            };
        }

        GpuKernel kernel(Stmt root, List<LetStmt> lets) {
            Launch launch = new Launch();
            launch.scan(root, false, Set.of(), null);
            boolean hasBlocks = launch.grid[0] != null || launch.grid[1] != null || launch.grid[2] != null;
            // A stage with no spatial loop (a scalar) has nothing to spread over threads: one thread computes it.
            if (!hasBlocks && !launch.hasThreads() && !scalars.containsAll(storedNames(root)))
                throw new TesseraUserError("the loops that compute " + String.join(", ", storedNames(root)) + " are not bound to GPU blocks or threads; "
                        + "on a GPU target every stage computed at root needs bind(axis, \"blockIdx.x\") and bind(axis, \"threadIdx.x\") "
                        + "on its loops, or gpu_tile");
            Map<BufferRef, GpuKernel.ScopedBuffer> scratch = new IdentityHashMap<>();
            List<GpuKernel.ScopedBuffer> scratchOrder = new ArrayList<>();
            Stmt body = launch.rewrite(root, Set.of(), scratch, scratchOrder);
            for (int i = lets.size() - 1; i >= 0; i--) body = new LetStmt(lets.get(i).var(), lets.get(i).value(), body);

            Set<BufferRef> used = new LinkedHashSet<>();
            Set<Var> vars = new HashSet<>();
            new StmtVisitor() {
                @Override public void visit(Stmt s) {
                    if (s instanceof Store st) used.add(st.buffer());
                    super.visit(s);
                }
                @Override public void visit(Expr e) {
                    if (e instanceof Load l) used.add(l.buffer());
                    if (e instanceof Var v) vars.add(v);
                    super.visit(e);
                }
            }.visit(body);
            List<BufferRef> buffers = new ArrayList<>();
            for (LoweredFunc.BufferParam p : func.buffers()) if (used.contains(p.buffer())) buffers.add(p.buffer());
            for (BufferRef g : globals) if (used.contains(g)) buffers.add(g);
            List<Var> shapes = func.shapeParams().stream().filter(vars::contains).toList();
            List<Expr> grid = new ArrayList<>();
            for (int d = 0; d < 3; d++) grid.add(launch.grid[d] == null ? Te.c(1) : launch.grid[d]);
            List<Long> block = List.of(launch.block[0], launch.block[1], launch.block[2]);
            GpuKernel k = new GpuKernel(func.name() + "_kernel" + kernels.size(), buffers, shapes, grid, block, scratchOrder, body);
            kernels.add(k);
            return k;
        }

        /** The grid and block of one kernel, and the rewrite of its body once they are known. */
        final class Launch {
            final Expr[] grid = new Expr[3];
            final String[] gridLoop = new String[3];
            final long[] block = {1, 1, 1};

            boolean hasThreads() { return block[0] > 1 || block[1] > 1 || block[2] > 1 || anyThreadLoop; }
            boolean anyThreadLoop;

            /** Checks the loop structure and sizes the launch. {@code inside} names the first non-block loop around {@code s}. */
            void scan(Stmt s, boolean underThread, Set<Integer> threadDims, String inside) {
                switch (s) {
                    case For f when f.kind().isGpuBlock() -> {
                        int d = f.kind().gpuDimension();
                        String where = "loop " + f.var().name() + " (bound to " + f.kind().threadTag() + ")";
                        if (inside != null)
                            throw new TesseraUserError(where + " runs inside loop " + inside + "; the loops bound to blocks must be the outermost "
                                    + "loops of a stage computed at root (reorder them outermost, or bind " + inside + " to a block index too)");
                        if (grid[d] != null)
                            throw new TesseraUserError(where + ": loop " + gridLoop[d] + " of the same kernel is already bound to "
                                    + f.kind().threadTag() + "; a stage computed inside a block loop runs within that block: bind its loops to threads");
                        for (Var v : Exprs.vars(f.extent()))
                            if (!hostVars.contains(v))
                                throw new TesseraUserError(where + ": its extent " + f.extent() + " depends on " + v.name()
                                        + ", which only the kernel knows; the grid must be known at launch (bind loops whose extent depends on the shape only)");
                        if (!Exprs.vars(f.min()).stream().allMatch(v -> hostVars.contains(v) || isBlockLoopVar(v)))
                            throw new IllegalStateException(where + ": its start depends on kernel values: " + f.min());
                        grid[d] = f.extent();
                        gridLoop[d] = f.var().name();
                        blockLoopVars.add(f.var());
                        scan(f.body(), underThread, threadDims, inside);
                    }
                    case For f when f.kind().isGpuThread() -> {
                        int d = f.kind().gpuDimension();
                        String where = "loop " + f.var().name() + " (bound to " + f.kind().threadTag() + ")";
                        // A loop bound to a thread index inside another bound to the same one is a stage the block's
                        // threads compute together (cooperative fetching); rewrite() checks it writes shared memory only.
                        Long n = Exprs.constInt(f.extent());
                        if (n == null)
                            throw new TesseraUserError(where + ": its extent " + f.extent() + " is not a constant; the threads of a block are fixed at launch: "
                                    + "split the loop by a constant factor and bind the inner loop");
                        block[d] = Math.max(block[d], n);
                        anyThreadLoop = true;
                        Set<Integer> dims = new HashSet<>(threadDims);
                        dims.add(d);
                        scan(f.body(), true, dims, inside == null ? f.var().name() : inside);
                    }
                    case For f -> scan(f.body(), underThread, threadDims, inside == null ? f.var().name() : inside);
                    case LetStmt l -> scan(l.body(), underThread, threadDims, inside);
                    case IfThenElse i -> {
                        scan(i.then(), underThread, threadDims, inside);
                        if (i.otherwise() != null) scan(i.otherwise(), underThread, threadDims, inside);
                    }
                    case Block b -> b.stmts().forEach(x -> scan(x, underThread, threadDims, inside));
                    case Allocate a -> {
                        underThreadLoop.put(a.buffer(), underThread);
                        scan(a.body(), underThread, threadDims, inside);
                    }
                    case Store st -> {}
                    case Prefetch p -> {}
                    case Barrier b -> {}
                    case CrossThreadReduce r -> scan(r.update(), underThread, threadDims, inside);
                    case Provide p -> throw new IllegalStateException("the device split runs after storage flattening");
                    case Realize r -> throw new IllegalStateException("the device split runs after storage flattening");
                }
            }

            final Set<Var> blockLoopVars = new HashSet<>();
            final Map<BufferRef, Boolean> underThreadLoop = new IdentityHashMap<>();

            boolean isBlockLoopVar(Var v) { return blockLoopVars.contains(v); }

            /**
             * Hoists the kernel's scratch arrays out of the body and guards the writes to memory
             * that threads share where the enclosing loops do not tell the threads apart.
             */
            Stmt rewrite(Stmt s, Set<Integer> threadDims, Map<BufferRef, GpuKernel.ScopedBuffer> scratch, List<GpuKernel.ScopedBuffer> order) {
                return switch (s) {
                    case For f -> {
                        Set<Integer> dims = threadDims;
                        if (f.kind().isGpuThread() && threadDims.contains(f.kind().gpuDimension())) checkCooperative(f, scratch);
                        if (f.kind().isGpuThread()) {
                            dims = new HashSet<>(threadDims);
                            dims.add(f.kind().gpuDimension());
                        }
                        Stmt body = rewrite(f.body(), dims, scratch, order);
                        yield body == f.body() ? f : new For(f.var(), f.min(), f.extent(), f.kind(), body);
                    }
                    case LetStmt l -> {
                        Stmt body = rewrite(l.body(), threadDims, scratch, order);
                        yield body == l.body() ? l : new LetStmt(l.var(), l.value(), body);
                    }
                    case IfThenElse i -> new IfThenElse(i.cond(), rewrite(i.then(), threadDims, scratch, order),
                            i.otherwise() == null ? null : rewrite(i.otherwise(), threadDims, scratch, order));
                    case Block b -> Block.of(b.stmts().stream().map(x -> rewrite(x, threadDims, scratch, order)).toList());
                    case Allocate a -> {
                        GpuKernel.ScopedBuffer sb = scoped(a);
                        // Loop partitioning copies bodies, so one buffer can be allocated in several places: declare it once.
                        GpuKernel.ScopedBuffer seen = scratch.get(a.buffer());
                        if (seen == null) {
                            scratch.put(a.buffer(), sb);
                            order.add(sb);
                        } else if (sb.elements() > seen.elements()) {
                            scratch.put(a.buffer(), sb);
                            order.set(order.indexOf(seen), sb);
                        }
                        yield rewrite(a.body(), threadDims, scratch, order);
                    }
                    case Store st -> {
                        GpuKernel.ScopedBuffer sb = scratch.get(st.buffer());
                        if (sb != null && sb.scope() == MemoryScope.LOCAL) yield st;
                        Expr oneThread = null;
                        for (int d = 0; d < 3; d++) {
                            if (block[d] <= 1 || threadDims.contains(d)) continue;
                            Expr c = Te.eq(GpuIndex.thread(d), Te.c(0));
                            oneThread = oneThread == null ? c : Te.and(oneThread, c);
                        }
                        yield oneThread == null ? st : new IfThenElse(oneThread, st, null);
                    }
                    case Prefetch p -> Block.of(List.of()); // GPU caches need no hints here
                    case Barrier b -> b;
                    case CrossThreadReduce r -> new CrossThreadReduce(r.reducer(), r.partials(), r.thread(), r.extent(), r.scratch(),
                            rewrite(r.update(), threadDims, scratch, order));
                    case Provide p -> throw new IllegalStateException("the device split runs after storage flattening");
                    case Realize r -> throw new IllegalStateException("the device split runs after storage flattening");
                };
            }

            /**
             * A thread loop nested in a loop bound to the same thread index runs one iteration per
             * thread of the block, not per thread of the enclosing loop: that computes a tile for the
             * whole block only if what it writes is shared memory, which barriers then publish.
             */
            private void checkCooperative(For f, Map<BufferRef, GpuKernel.ScopedBuffer> scratch) {
                new StmtVisitor() {
                    @Override public void visit(Stmt x) {
                        if (x instanceof Store st) {
                            GpuKernel.ScopedBuffer sb = scratch.get(st.buffer());
                            if (sb == null || sb.scope() != MemoryScope.SHARED)
                                throw new TesseraUserError("loop " + f.var().name() + " (bound to " + f.kind().threadTag() + ") runs inside another loop bound to "
                                        + f.kind().threadTag() + ", so the block's threads share its iterations, but it writes " + st.buffer().name()
                                        + (sb == null ? " in global memory" : " in " + sb.scope().name().toLowerCase() + " memory")
                                        + ", which they do not share; only a stage in shared memory (set_scope(stage, \"shared\")) can be computed "
                                        + "by the block's threads together. Set its scope to shared, or bind the loop to another thread index (threadIdx.x, threadIdx.y, threadIdx.z)");
                        }
                        super.visit(x);
                    }
                }.visit(f.body());
            }

            GpuKernel.ScopedBuffer scoped(Allocate a) {
                String name = a.buffer().name();
                if (partials.contains(a.buffer())) return new GpuKernel.ScopedBuffer(a.buffer(), MemoryScope.LOCAL, 1);
                boolean underThread = underThreadLoop.getOrDefault(a.buffer(), false);
                MemoryScope scope = declared.get(name);
                if (scope == MemoryScope.GLOBAL)
                    throw new TesseraUserError("set_scope(" + name + ", global): " + name + " is computed inside a kernel, once per block or thread; "
                            + "global memory needs compute_root (or use shared or local)");
                if (scope == null) scope = underThread || !hasThreads() ? MemoryScope.LOCAL : MemoryScope.SHARED;
                Long n = Exprs.constInt(a.size());
                if (n == null)
                    throw new TesseraUserError(name + " is staged in " + scope.name().toLowerCase() + " memory with a size that depends on the shape ("
                            + a.size() + "); GPU scratch arrays have a constant size: split its consumer's loops by constant factors so its tile is constant");
                return new GpuKernel.ScopedBuffer(a.buffer(), scope, Math.max(1, n));
            }
        }

        private static Set<String> storedNames(Stmt s) {
            Set<String> names = new LinkedHashSet<>();
            new StmtVisitor() {
                @Override public void visit(Stmt x) {
                    if (x instanceof Store st) names.add(st.buffer().name());
                    super.visit(x);
                }
            }.visit(s);
            return names;
        }
    }
}
