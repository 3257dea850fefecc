package dev.tessera.target.llvm;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.target.Backend;
import dev.tessera.target.CompiledKernel;
import dev.tessera.target.Target;
import java.util.Optional;

/**
 * The CPU backend: LLVM IR built through the C API, optimized with {@code default<O3>} for the host
 * CPU and JIT-compiled by ORC LLJIT. Registered for {@link java.util.ServiceLoader} under the name
 * {@code "llvm"}.
 */
public final class LlvmBackend implements Backend {
    private static final LlvmBackend INSTANCE = new LlvmBackend();

    /** The backend, for callers that name it directly rather than through {@link Backend#byName}. */
    public static LlvmBackend instance() { return INSTANCE; }

    @Override public String name() { return "llvm"; }

    @Override
    public Optional<Target> hostTarget() {
        return Optional.of(LlvmJit.get().hostTarget());
    }

    /** Compiles for this process. The JIT always targets the host; {@code t} must be an llvm target. */
    @Override
    public LlvmKernel compile(LoweredFunc f, Target t) {
        checkTarget(t);
        String symbol = LlvmJit.uniqueSymbol(f.name());
        LlvmJit.Compiled c = LlvmJit.get().compile(symbol, ctx -> LlvmCodegen.generate(ctx, f, symbol, LlvmJit.get().hostFeatures(), true));
        return new LlvmKernel(f, symbol, c);
    }

    /** The optimized LLVM IR of the kernel for {@code t}. */
    @Override
    public String source(LoweredFunc f, Target t) {
        return source(f, t, true);
    }

    /** The LLVM IR of the kernel for {@code t}, before ({@code optimized == false}) or after {@code default<O3>}. */
    public String source(LoweredFunc f, Target t, boolean optimized) {
        checkTarget(t);
        return LlvmJit.get().source(t, optimized, ctx -> LlvmCodegen.generate(ctx, f, f.name(), t.features(), true));
    }

    private void checkTarget(Target t) {
        if (!t.kind().equals(name()))
            throw new TesseraUserError("the llvm backend compiles for targets of kind 'llvm', got '" + t.kind() + "'");
    }
}
