package dev.tessera.target.llvm;

import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.target.CompiledKernel;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** A kernel JIT-compiled by {@link LlvmJit}, called through an FFM downcall handle. */
public final class LlvmKernel extends CompiledKernel {
    private final String symbol;
    private final long entryAddress, packedAddress;
    private final double compileMillis;
    private final MethodHandle entry; // (MemorySegment..., long...) void, spread over Object[]
    private final int arity;

    LlvmKernel(LoweredFunc f, String symbol, LlvmJit.Compiled compiled) {
        super(f);
        this.symbol = symbol;
        this.entryAddress = compiled.entry();
        this.packedAddress = compiled.packed();
        this.compileMillis = compiled.compileMillis();
        int nb = f.buffers().size(), ns = f.shapeParams().size();
        MemoryLayout[] args = new MemoryLayout[nb + ns];
        for (int i = 0; i < nb; i++) args[i] = ValueLayout.ADDRESS;
        for (int i = 0; i < ns; i++) args[nb + i] = ValueLayout.JAVA_LONG;
        this.arity = nb + ns;
        MethodHandle h = Linker.nativeLinker().downcallHandle(MemorySegment.ofAddress(entryAddress), FunctionDescriptor.ofVoid(args));
        this.entry = h.asSpreader(Object[].class, arity);
    }

    /** The JIT symbol of the entry function. */
    public String symbol() { return symbol; }
    /** The native address of {@code void symbol(ptr..., i64...)}. */
    public long entryAddress() { return entryAddress; }
    /** The native address of {@code void symbol_packed(void** args)}. */
    public long packedAddress() { return packedAddress; }
    /** Wall time of code generation, optimization and linking, in milliseconds. */
    public double compileMillis() { return compileMillis; }

    @Override
    protected void invoke(MemorySegment[] buffers, long[] shapeValues) {
        Object[] args = new Object[arity];
        System.arraycopy(buffers, 0, args, 0, buffers.length);
        for (int i = 0; i < shapeValues.length; i++) args[buffers.length + i] = shapeValues[i];
        ParallelRuntime.runCollectingErrors(() -> {
            try {
                entry.invoke(args);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        });
    }
}
