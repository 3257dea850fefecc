package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LoweredFunc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A kernel whose constant inputs are packed, from {@link CompiledKernel#prepack}: it owns the packed
 * buffers, and {@link #call} takes the remaining buffers (the other inputs, then the outputs, in the
 * kernel's order without the constants). The packed copies are what every call reads, whatever
 * happens to the constant buffers afterwards. Close it to free the packed buffers.
 */
public final class PrepackedKernel implements AutoCloseable {
    private final CompiledKernel kernel;
    private final String name;
    private final List<String> constants;
    private final Map<String, HostBuffer> packed;
    private final Map<String, Long> packedShapeValues;
    private final List<String> argumentNames;
    private volatile boolean closed;

    PrepackedKernel(CompiledKernel kernel, String name, List<String> constants, Map<String, HostBuffer> packed, Map<String, Long> packedShapeValues) {
        this.kernel = kernel;
        this.name = name;
        this.constants = List.copyOf(constants);
        this.packed = Map.copyOf(packed);
        this.packedShapeValues = Map.copyOf(packedShapeValues);
        List<String> names = new ArrayList<>();
        for (LoweredFunc.BufferParam p : kernel.func().buffers()) if (!packed.containsKey(p.tensor().name())) names.add(p.tensor().name());
        this.argumentNames = List.copyOf(names);
    }

    /** The buffers {@link #call} takes, in order: the kernel's arguments other than its constant inputs. */
    public List<String> argumentNames() { return argumentNames; }

    /** The constant inputs that were packed. */
    public List<String> constantNames() { return constants; }

    /** The values of the shape variables the constants were packed with, by name. */
    public Map<String, Long> packedShapeValues() { return packedShapeValues; }

    /** The kernel that reads the packed buffers (its arguments include them), for callers that inspect its code. */
    public CompiledKernel kernel() { return kernel; }

    /** Runs the kernel on the remaining buffers (see {@link #argumentNames()}) and the packed constants. */
    public void call(List<HostBuffer> args) {
        if (closed) throw new TesseraUserError("prepacked kernel " + name + " is closed; prepack the constants " + constants + " again");
        if (args == null) throw new TesseraUserError("prepacked kernel " + name + ": arguments must not be null");
        if (args.size() != argumentNames.size())
            throw new TesseraUserError("prepacked kernel " + name + " takes " + argumentNames.size() + " arguments " + argumentNames
                    + " (the constants " + constants + " are packed), got " + args.size());
        List<HostBuffer> all = new ArrayList<>();
        int next = 0;
        for (LoweredFunc.BufferParam p : kernel.func().buffers()) {
            HostBuffer b = packed.get(p.tensor().name());
            if (b == null) {
                b = args.get(next++);
                checkPackedShape(p, b);
            }
            all.add(b);
        }
        kernel.call(all);
    }

    /** Runs the kernel on the remaining buffers (see {@link #argumentNames()}) and the packed constants. */
    public void call(HostBuffer... args) {
        call(args == null ? null : Arrays.asList(args));
    }

    /** Times calls as {@link CompiledKernel#time} does; the packing, done once, is not in the times. */
    public double[] time(List<HostBuffer> args, int warmup, int repeats) {
        return CompiledKernel.timeCalls(() -> call(args), warmup, repeats);
    }

    /** A dimension of an argument that is a shape variable the constants were packed with must have the packed value. */
    private void checkPackedShape(LoweredFunc.BufferParam p, HostBuffer b) {
        if (b == null || b.isClosed() || b.rank() != p.shape().size()) return; // the kernel's own check says what is wrong
        for (int d = 0; d < b.rank(); d++) {
            Expr e = p.shape().get(d);
            if (e instanceof Var v && packedShapeValues.containsKey(v.name()) && packedShapeValues.get(v.name()) != b.shape()[d])
                throw new TesseraUserError("argument " + p.tensor().name() + ": dimension " + d + " is " + v.name() + " = " + b.shape()[d]
                        + ", but the constants " + constants + " were packed with " + v.name() + " = " + packedShapeValues.get(v.name())
                        + "; prepack them again for this shape");
        }
    }

    /** Frees the packed buffers. Closing twice is allowed. */
    @Override public void close() {
        closed = true;
        for (HostBuffer b : packed.values()) b.close();
    }
}
