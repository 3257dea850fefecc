package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.ir.LoweredFunc;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * A kernel ready to run in this process. {@link #call} checks every argument against the kernel's
 * {@link KernelSignature} (count, dtype, rank, shape, aliasing, closed buffers) before the backend's
 * native entry runs, so each backend only implements {@link #invoke}.
 */
public abstract class CompiledKernel implements AutoCloseable {
    private final LoweredFunc func;
    private final KernelSignature signature;
    /** Compiles the split for constant inputs on first use; null when the schedule prepacks nothing. */
    private java.util.function.Supplier<PrepackedForm> prepacking;
    private PrepackedForm prepacked;

    /** The compiled split of a kernel with prepacked stages: the pack kernels and the kernel that reads their buffers. */
    record PrepackedForm(List<CompiledKernel> packs, CompiledKernel kernel) {}

    protected CompiledKernel(LoweredFunc func) {
        this.func = func;
        this.signature = new KernelSignature(func);
    }

    public LoweredFunc func() { return func; }
    public KernelSignature signature() { return signature; }

    /** Runs the kernel on its buffers: inputs then outputs, in {@link LoweredFunc#buffers()} order. */
    public final void call(List<HostBuffer> args) {
        long[] shapes = signature.check(args);
        MemorySegment[] segments = new MemorySegment[args.size()];
        for (int i = 0; i < segments.length; i++) segments[i] = args.get(i).segment();
        try {
            invoke(segments, shapes);
        } catch (IllegalStateException e) {
            // A buffer closed by another thread between the check and the native call: the FFM
            // runtime refuses to pass a closed segment, so nothing ran.
            for (int i = 0; i < segments.length; i++) {
                if (!segments[i].scope().isAlive())
                    throw new TesseraUserError("argument " + signature.argumentNames().get(i) + ": buffer was closed during the call", e);
            }
            throw e;
        }
    }

    /** Runs the kernel on its buffers: inputs then outputs, in {@link LoweredFunc#buffers()} order. */
    public final void call(HostBuffer... args) {
        call(Arrays.asList(args));
    }

    /** Gives the kernel its split for constant inputs, compiled on the first {@link #prepack} (by {@link Backend#compile(dev.tessera.schedule.Schedule, String, Target)}). */
    final synchronized void enablePrepacking(java.util.function.Supplier<PrepackedForm> compile) {
        if (prepacking != null) throw new IllegalStateException("kernel " + func.name() + ": prepacking is already enabled");
        prepacking = compile;
    }

    /** Whether the kernel's schedule prepacks constant inputs, so that {@link #prepack} applies. */
    public final synchronized boolean hasPrepackedStages() { return prepacking != null; }

    private synchronized PrepackedForm prepackedForm() {
        if (prepacking == null)
            throw new TesseraUserError("kernel " + func.name() + " has no prepacked stage, so there is nothing to pack ahead of calls; "
                    + "a CPU schedule declares one with prepack(tensor, layout); call the kernel with call(...)");
        if (prepacked == null) prepacked = prepacking.get();
        return prepacked;
    }

    /**
     * The names of the kernel's constant inputs: those its prepacked stages read, which
     * {@link #prepack} takes (compiles the pack kernels on first use).
     */
    public final List<String> constantNames() {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        for (CompiledKernel pack : prepackedForm().packs())
            for (LoweredFunc.BufferParam p : pack.func().buffers()) if (!p.isOutput()) names.add(p.tensor().name());
        return List.copyOf(names);
    }

    /**
     * Packs the constant inputs once, ahead of calls: runs each prepacked stage's own function on
     * {@code constants} (by tensor name; exactly {@link #constantNames()}) into buffers the returned
     * kernel owns. Its {@code call} takes the remaining buffers and reads the packed copies: later
     * changes to the constant buffers are not seen (prepack again), and closing them is allowed.
     */
    public final PrepackedKernel prepack(java.util.Map<String, HostBuffer> constants) {
        PrepackedForm form = prepackedForm();
        List<String> expected = constantNames();
        if (constants == null) throw new TesseraUserError("kernel " + func.name() + ": prepack takes the constant inputs " + expected + " by name, got null");
        for (String name : constants.keySet())
            if (!expected.contains(name))
                throw new TesseraUserError("kernel " + func.name() + ": " + name + " is not a constant input; prepack takes "
                        + expected + " (the inputs of its prepacked stages), the other buffers go to call");
        for (String name : expected)
            if (!constants.containsKey(name))
                throw new TesseraUserError("kernel " + func.name() + ": prepack is missing constant input " + name + "; it takes " + expected);
        java.util.Map<String, HostBuffer> packed = new java.util.LinkedHashMap<>();
        java.util.Map<String, Long> shapeValues = new java.util.LinkedHashMap<>();
        try {
            for (CompiledKernel pack : form.packs()) {
                List<HostBuffer> inputs = new java.util.ArrayList<>();
                LoweredFunc.BufferParam out = null;
                for (LoweredFunc.BufferParam p : pack.func().buffers()) {
                    if (p.isOutput()) out = p;
                    else inputs.add(constants.get(p.tensor().name()));
                }
                KernelSignature.OutputShapes shapes = pack.signature().outputShapes(inputs);
                HostBuffer buffer = HostBuffer.allocate(out.buffer().elementType(), shapes.shapes().get(0));
                packed.put(out.tensor().name(), buffer);
                shapeValues.putAll(shapes.shapeValues());
                List<HostBuffer> args = new java.util.ArrayList<>(inputs);
                args.add(buffer);
                pack.call(args);
            }
        } catch (RuntimeException e) {
            for (HostBuffer b : packed.values()) b.close();
            throw e;
        }
        return new PrepackedKernel(form.kernel(), func.name(), expected, packed, shapeValues);
    }

    /**
     * {@link #prepack} with the constant inputs taken from {@code args}, a whole argument list in
     * signature order; {@link #withoutConstants} gives what the returned kernel's call takes.
     */
    public final PrepackedKernel prepackFrom(List<HostBuffer> args) {
        List<String> constants = constantNames(), names = signature().argumentNames();
        java.util.Map<String, HostBuffer> byName = new java.util.LinkedHashMap<>();
        for (int i = 0; i < Math.min(args.size(), names.size()); i++)
            if (constants.contains(names.get(i))) byName.put(names.get(i), args.get(i));
        return prepack(byName);
    }

    /** The arguments of a whole argument list (signature order) that a prepacked call takes: all but the constant inputs. */
    public final List<HostBuffer> withoutConstants(List<HostBuffer> args) {
        if (!hasPrepackedStages()) return List.copyOf(args);
        List<String> constants = constantNames(), names = signature().argumentNames();
        List<HostBuffer> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) if (i >= names.size() || !constants.contains(names.get(i))) rest.add(args.get(i));
        return rest;
    }

    /**
     * Times calls as a caller that packs constant weights once uses the kernel: with prepacked
     * stages, the constants in {@code args} (a whole argument list) are packed ahead of the timed
     * calls, which then read the packed copies; otherwise {@link #time}. What {@code tessera bench},
     * the tuner and the peer comparison time, so a schedule that prepacks is ranked as it runs.
     */
    public final double[] timePrepacked(List<HostBuffer> args, int warmup, int repeats) {
        if (!hasPrepackedStages()) return time(args, warmup, repeats);
        try (PrepackedKernel p = prepackFrom(args)) {
            return p.time(withoutConstants(args), warmup, repeats);
        }
    }

    /**
     * Times {@code repeats} calls after {@code warmup} untimed ones and returns each call's time in
     * milliseconds; afterwards the output buffers hold what a call computes. Here the time is the
     * wall-clock time of {@link #call}; a backend whose kernels run on a device with its own memory
     * overrides this to time on buffers already resident there.
     */
    public double[] time(List<HostBuffer> args, int warmup, int repeats) {
        return timeCalls(() -> call(args), warmup, repeats);
    }

    /**
     * The wall-clock milliseconds of each of {@code repeats} runs of {@code call} after
     * {@code warmup} untimed ones; with neither, one untimed run (so outputs are always computed).
     */
    static double[] timeCalls(Runnable call, int warmup, int repeats) {
        for (int i = 0; i < warmup; i++) call.run();
        double[] times = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long start = System.nanoTime();
            call.run();
            times[i] = (System.nanoTime() - start) / 1e6;
        }
        if (warmup + repeats == 0) call.run();
        return times;
    }

    /**
     * Frees what the kernel holds on its device (a GPU's loaded module), for callers that compile
     * many kernels, such as the autotuner; a CPU kernel's code stays with the JIT and this does
     * nothing. A kernel from {@link Kernels#compile} is shared through its cache: close only kernels
     * compiled without it.
     */
    @Override public void close() {}

    /**
     * Runs the native entry. The arguments have been checked: one live segment per buffer parameter
     * and the value of each shape parameter in {@link LoweredFunc#shapeParams()} order.
     */
    protected abstract void invoke(MemorySegment[] buffers, long[] shapeValues);
}
