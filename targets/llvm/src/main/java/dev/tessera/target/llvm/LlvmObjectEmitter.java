package dev.tessera.target.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.tessera.TesseraUserError;
import dev.tessera.lower.ir.LoweredFunc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

/**
 * Compiles kernels ahead of time into relocatable, position-independent ELF object files for a named
 * CPU level (e.g. {@code x86-64-v3}), for libraries that run without the JVM or LLVM. The object
 * holds the same functions the JIT links ({@code SYMBOL(ptr..., i64...)} and {@code SYMBOL_packed})
 * and leaves {@code tessera_parallel_for}, {@code tessera_alloc}, {@code tessera_free}, {@code aligned_alloc}, {@code free} and libm undefined,
 * for the exported library's C runtime and libc to provide.
 */
public final class LlvmObjectEmitter {
    private static final Object LOCK = new Object();

    /** The CPU levels of the x86-64 psABI, oldest first, as LLVM names them. */
    public static final List<String> X86_64_LEVELS = List.of("x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4");

    /** The AVX-512 features x86-64-v4 implies, in LLVM's spelling, for the code generator's choice of instructions. */
    private static final String X86_64_V4_FEATURES = "+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl";

    private LlvmObjectEmitter() {}

    /** The triple objects are emitted for: the host's (exports target the machine family they are built on). */
    public static String triple() {
        LlvmJit.initializeNative();
        BytePointer p = LLVMGetDefaultTargetTriple();
        String t = p.getString();
        LLVMDisposeMessage(p);
        return t;
    }

    /**
     * Writes {@code f} as an object file defining {@code symbol} and {@code symbol_packed}, optimized
     * with {@code default<O3>} for {@code cpu}. {@code functionAttributes} are added to every defined
     * function (e.g. {@code prefer-vector-width=512}). Raises {@link TesseraUserError} for a CPU level
     * the host's LLVM target does not know.
     */
    public static void emit(LoweredFunc f, String symbol, String cpu, Map<String, String> functionAttributes, Path out) {
        String triple = triple();
        if (triple.startsWith("x86_64") && !X86_64_LEVELS.contains(cpu))
            throw new TesseraUserError("unknown CPU level '" + cpu + "' for " + triple + "; legal levels: " + String.join(", ", X86_64_LEVELS));
        if (!triple.startsWith("x86_64"))
            throw new TesseraUserError("export supports x86-64 hosts only; this host is " + triple);
        synchronized (LOCK) {
            LLVMTargetRef target = new LLVMTargetRef();
            BytePointer error = new BytePointer((Pointer) null);
            if (LLVMGetTargetFromTriple(new BytePointer(triple), target, error) != 0) {
                String msg = error.getString();
                LLVMDisposeMessage(error);
                throw new IllegalStateException("no LLVM target for " + triple + ": " + msg);
            }
            LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, "", LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
            LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
            BytePointer layoutText = LLVMCopyStringRepOfTargetData(layout);
            String dataLayout = layoutText.getString();
            LLVMDisposeMessage(layoutText);
            LLVMDisposeTargetData(layout);
            LLVMContextRef ctx = LLVMContextCreate();
            try {
                LLVMModuleRef mod = LlvmCodegen.generate(ctx, f, symbol, cpu.equals("x86-64-v4") ? X86_64_V4_FEATURES : "", false);
                LlvmJit.prepare(mod, triple, dataLayout, cpu, "");
                for (var fn = LLVMGetFirstFunction(mod); fn != null && !fn.isNull(); fn = LLVMGetNextFunction(fn)) {
                    if (LLVMIsDeclaration(fn) != 0) continue;
                    for (var a : functionAttributes.entrySet())
                        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(ctx, a.getKey(), a.getKey().length(), a.getValue(), a.getValue().length()));
                }
                LlvmJit.optimize(mod, tm);
                BytePointer emitError = new BytePointer((Pointer) null);
                if (LLVMTargetMachineEmitToFile(tm, mod, new BytePointer(out.toString()), LLVMObjectFile, emitError) != 0) {
                    String msg = emitError.getString();
                    LLVMDisposeMessage(emitError);
                    throw new IllegalStateException("LLVM failed to write " + out + ": " + msg);
                }
                LLVMDisposeModule(mod);
            } finally {
                LLVMContextDispose(ctx);
                LLVMDisposeTargetMachine(tm);
            }
        }
    }
}
