package dev.tessera.target.gpu;

import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.HostStep;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.HostBuffer;
import dev.tessera.target.ShapeExprs;
import dev.tessera.target.gpu.DeviceRuntime.DeviceBuffer;
import dev.tessera.target.gpu.DeviceRuntime.DeviceModule;
import dev.tessera.target.gpu.DeviceRuntime.KernelArg;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A device program built for one device, callable on host buffers: each call copies the inputs
 * to device memory, runs the host steps (allocating intermediate buffers and launching the
 * kernels in order), copies the outputs back and frees everything it allocated, also when a
 * launch fails.
 */
public final class GpuCompiledKernel extends CompiledKernel {
    private final DeviceProgram program;
    private final DeviceRuntime runtime;
    private final DeviceModule module;
    private final String source;

    GpuCompiledKernel(DeviceProgram program, DeviceRuntime runtime, DeviceModule module, String source) {
        super(program.func());
        this.program = program;
        this.runtime = runtime;
        this.module = module;
        this.source = source;
    }

    public DeviceProgram program() { return program; }
    public String source() { return source; }
    public DeviceRuntime runtime() { return runtime; }

    @Override
    protected void invoke(MemorySegment[] buffers, long[] shapeValues) {
        LoweredFunc f = program.func();
        Map<Var, Long> env = new HashMap<>();
        for (int i = 0; i < shapeValues.length; i++) env.put(f.shapeParams().get(i), shapeValues[i]);
        Map<BufferRef, DeviceBuffer> device = new IdentityHashMap<>();
        List<DeviceBuffer> owned = new ArrayList<>();
        try {
            for (int i = 0; i < buffers.length; i++) {
                LoweredFunc.BufferParam p = f.buffers().get(i);
                DeviceBuffer b = runtime.allocate(Math.max(1, buffers[i].byteSize()));
                owned.add(b);
                device.put(p.buffer(), b);
                if (!p.isOutput() && buffers[i].byteSize() > 0) runtime.copyToDevice(buffers[i], b);
            }
            run(program.host(), env, device, owned);
            runtime.synchronize();
            for (int i = 0; i < buffers.length; i++) {
                LoweredFunc.BufferParam p = f.buffers().get(i);
                if (p.isOutput() && buffers[i].byteSize() > 0) runtime.copyToHost(device.get(p.buffer()), buffers[i]);
            }
        } finally {
            for (DeviceBuffer b : owned) b.close();
        }
    }

    /**
     * Device time: the inputs are copied to device memory once, each run is timed between device
     * events around its launches ({@link #timeOnDevice}), and the outputs of the last run are copied
     * back into {@code args}.
     */
    @Override
    public double[] time(List<HostBuffer> args, int warmup, int repeats) {
        long[] shapes = signature().check(args);
        LoweredFunc f = program.func();
        List<DeviceBuffer> device = new ArrayList<>();
        try {
            for (int i = 0; i < args.size(); i++) {
                MemorySegment host = args.get(i).segment();
                DeviceBuffer d = runtime.allocate(Math.max(1, host.byteSize()));
                device.add(d);
                if (!f.buffers().get(i).isOutput() && host.byteSize() > 0) runtime.copyToDevice(host, d);
            }
            for (int i = 0; i < warmup; i++) timeOnDevice(device, shapes);
            double[] times = new double[repeats];
            for (int i = 0; i < repeats; i++) times[i] = timeOnDevice(device, shapes);
            if (warmup + repeats == 0) timeOnDevice(device, shapes);
            for (int i = 0; i < args.size(); i++) {
                MemorySegment host = args.get(i).segment();
                if (f.buffers().get(i).isOutput() && host.byteSize() > 0) runtime.copyToHost(device.get(i), host);
            }
            return times;
        } finally {
            for (DeviceBuffer d : device) d.close();
        }
    }

    /** Unloads the module; the kernel cannot be called afterwards. */
    @Override public void close() { module.close(); }

    /** Runs the program's kernels on device buffers the caller owns and returns the device time in milliseconds. */
    public double timeOnDevice(List<DeviceBuffer> buffers, long[] shapeValues) {
        return timeOnDevice(buffers, shapeValues, 1);
    }

    /**
     * Runs the program {@code calls} times in a row on device buffers the caller owns, between one
     * pair of device events, and returns the device time of all of them in milliseconds (a batch
     * keeps short kernels above the events' resolution). Intermediate buffers are allocated by an
     * untimed run first and reused, so the time is the kernels' alone (as a framework's caching
     * allocator would have it).
     */
    public double timeOnDevice(List<DeviceBuffer> buffers, long[] shapeValues, long calls) {
        if (calls < 1) throw new IllegalArgumentException("calls must be at least 1, got " + calls);
        LoweredFunc f = program.func();
        Map<Var, Long> env = new HashMap<>();
        for (int i = 0; i < shapeValues.length; i++) env.put(f.shapeParams().get(i), shapeValues[i]);
        Map<BufferRef, DeviceBuffer> device = new IdentityHashMap<>();
        for (int i = 0; i < buffers.size(); i++) device.put(f.buffers().get(i).buffer(), buffers.get(i));
        List<DeviceBuffer> owned = new ArrayList<>();
        Map<BufferRef, DeviceBuffer> reuse = new IdentityHashMap<>();
        try {
            if (allocates(program.host())) {
                run(program.host(), env, device, owned, reuse);
                runtime.synchronize();
            }
            return runtime.timeMillis(() -> {
                for (long c = 0; c < calls; c++) run(program.host(), env, device, owned, reuse);
            });
        } finally {
            for (DeviceBuffer b : owned) b.close();
        }
    }

    private static boolean allocates(HostStep step) {
        return switch (step) {
            case HostStep.Launch l -> false;
            case HostStep.Sequence q -> q.steps().stream().anyMatch(GpuCompiledKernel::allocates);
            case HostStep.Let l -> allocates(l.body());
            case HostStep.If i -> allocates(i.then()) || (i.otherwise() != null && allocates(i.otherwise()));
            case HostStep.Allocate a -> true;
        };
    }

    private void run(HostStep step, Map<Var, Long> env, Map<BufferRef, DeviceBuffer> device, List<DeviceBuffer> owned) {
        run(step, env, device, owned, null);
    }

    /** Runs host steps; with {@code reuse}, an intermediate buffer allocated by an earlier run of the same step is used again. */
    private void run(HostStep step, Map<Var, Long> env, Map<BufferRef, DeviceBuffer> device, List<DeviceBuffer> owned,
                     Map<BufferRef, DeviceBuffer> reuse) {
        switch (step) {
            case HostStep.Launch l -> launch(l.kernel(), env, device);
            case HostStep.Sequence q -> q.steps().forEach(s -> run(s, env, device, owned, reuse));
            case HostStep.Let l -> {
                env.put(l.var(), ShapeExprs.eval(l.value(), env));
                run(l.body(), env, device, owned, reuse);
            }
            case HostStep.If i -> {
                if (ShapeExprs.eval(i.condition(), env) != 0) run(i.then(), env, device, owned, reuse);
                else if (i.otherwise() != null) run(i.otherwise(), env, device, owned, reuse);
            }
            case HostStep.Allocate a -> {
                long bytes = Math.max(1, ShapeExprs.eval(a.size(), env) * a.buffer().elementType().bytes());
                DeviceBuffer b = reuse == null ? null : reuse.get(a.buffer());
                if (b == null || b.bytes() < bytes) {
                    b = runtime.allocate(bytes);
                    owned.add(b);
                    if (reuse != null) reuse.put(a.buffer(), b);
                }
                device.put(a.buffer(), b);
                run(a.body(), env, device, owned, reuse);
            }
        }
    }

    private void launch(GpuKernel k, Map<Var, Long> env, Map<BufferRef, DeviceBuffer> device) {
        long[] grid = new long[3], block = new long[3];
        for (int d = 0; d < 3; d++) {
            grid[d] = ShapeExprs.eval(k.grid().get(d), env);
            block[d] = k.block().get(d);
            if (grid[d] <= 0) return; // an empty shape: nothing to compute
        }
        LaunchLimits.checkGrid(k, grid, runtime.target());
        List<KernelArg> args = new ArrayList<>();
        for (BufferRef b : k.buffers()) args.add(new KernelArg.Buffer(device.get(b)));
        for (Var v : k.shapeParams()) args.add(new KernelArg.Int64(env.get(v)));
        runtime.launch(module, k.name(), args, grid, block);
    }
}
