package dev.tessera.target.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.tessera.target.Target;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMJITEvaluatedSymbol;
import org.bytedeco.llvm.LLVM.LLVMJITSymbolFlags;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcCSymbolMapPair;
import org.bytedeco.llvm.LLVM.LLVMOrcDefinitionGeneratorRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITDylibRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITTargetMachineBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;

/**
 * The process-wide LLVM JIT: one ORC LLJIT for the host CPU whose main library resolves libc/libm
 * symbols from the process, {@code tessera_parallel_for} to the {@link ParallelRuntime} upcall and
 * {@code tessera_alloc}/{@code tessera_free} to the {@link WorkspacePool} upcalls.
 * Modules are optimized with the new pass manager ({@code default<O3>}) for the host CPU before
 * they are added. All methods are thread-safe; compilation is serialized.
 */
public final class LlvmJit {
    private static final Object LOCK = new Object();
    private static volatile LlvmJit instance;
    private static final AtomicLong SYMBOLS = new AtomicLong();

    private final LLVMOrcLLJITRef jit;
    private final LLVMOrcJITDylibRef mainLib;
    private final LLVMTargetMachineRef hostMachine;
    private final String triple, dataLayout, hostCpu, hostFeatures;

    /** Initializes the native LLVM target once per process. */
    static void initializeNative() {
        synchronized (LOCK) {
            if (nativeReady) return;
            if (LLVMInitializeNativeTarget() != 0) throw new IllegalStateException("LLVM has no native target for this machine");
            LLVMInitializeNativeAsmPrinter();
            LLVMInitializeNativeAsmParser();
            nativeReady = true;
        }
    }
    private static boolean nativeReady;

    /** The shared JIT, created on first use. */
    public static LlvmJit get() {
        LlvmJit j = instance;
        if (j != null) return j;
        synchronized (LOCK) {
            if (instance == null) instance = new LlvmJit();
            return instance;
        }
    }

    private LlvmJit() {
        initializeNative();
        hostCpu = string(LLVMGetHostCPUName());
        hostFeatures = string(LLVMGetHostCPUFeatures());
        LLVMOrcJITTargetMachineBuilderRef jtmb = new LLVMOrcJITTargetMachineBuilderRef();
        check(LLVMOrcJITTargetMachineBuilderDetectHost(jtmb), "detect host");
        LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
        LLVMOrcLLJITRef j = new LLVMOrcLLJITRef();
        check(LLVMOrcCreateLLJIT(j, builder), "create LLJIT");
        jit = j;
        mainLib = LLVMOrcLLJITGetMainJITDylib(jit);
        triple = string(LLVMOrcLLJITGetTripleString(jit));
        dataLayout = string(LLVMOrcLLJITGetDataLayoutStr(jit));

        LLVMOrcDefinitionGeneratorRef gen = new LLVMOrcDefinitionGeneratorRef();
        check(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(gen, LLVMOrcLLJITGetGlobalPrefix(jit), null, null), "process symbols");
        LLVMOrcJITDylibAddGenerator(mainLib, gen);
        defineAbsolute(LlvmCodegen.PARALLEL_FOR, ParallelRuntime.upcallStub());
        defineAbsolute(LlvmCodegen.ALLOC, WorkspacePool.allocUpcall());
        defineAbsolute(LlvmCodegen.FREE, WorkspacePool.freeUpcall());
        hostMachine = targetMachine(hostCpu, hostFeatures);
    }

    public String hostCpu() { return hostCpu; }
    public String hostFeatures() { return hostFeatures; }
    public String triple() { return triple; }

    /** The host as a {@link Target}. */
    public Target hostTarget() {
        return new Target("llvm", hostCpu, hostFeatures, Target.vectorBitsOf(hostFeatures), Runtime.getRuntime().availableProcessors());
    }

    /** A fresh symbol name for a kernel called {@code name}: every JIT-compiled kernel gets its own. */
    public static String uniqueSymbol(String name) {
        String clean = name.replaceAll("[^A-Za-z0-9_]", "_");
        return "tessera_" + clean + "_" + SYMBOLS.incrementAndGet();
    }

    /** The addresses of a compiled module's functions, by symbol. */
    public record Compiled(long entry, long packed, double compileMillis) {}

    /**
     * Generates, optimizes and links the module {@code build} makes in a fresh context; returns the
     * addresses of {@code symbol} and {@code symbol_packed}.
     */
    public Compiled compile(String symbol, Function<LLVMContextRef, LLVMModuleRef> build) {
        synchronized (LOCK) {
            long t0 = System.nanoTime();
            LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
            LLVMModuleRef mod;
            try {
                mod = build.apply(LLVMOrcThreadSafeContextGetContext(tsc));
            } catch (RuntimeException e) {
                LLVMOrcDisposeThreadSafeContext(tsc);
                throw e;
            }
            prepare(mod, triple, dataLayout, hostCpu, hostFeatures);
            optimize(mod, hostMachine);
            LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
            LLVMOrcDisposeThreadSafeContext(tsc);
            check(LLVMOrcLLJITAddLLVMIRModule(jit, mainLib, tsm), "add module " + symbol);
            long entry = lookup(symbol), packed = lookup(symbol + "_packed");
            return new Compiled(entry, packed, (System.nanoTime() - t0) / 1e6);
        }
    }

    /**
     * The LLVM IR text of the module {@code build} makes for {@code target}, optimized with
     * {@code default<O3>} when {@code optimized}.
     */
    public String source(Target target, boolean optimized, Function<LLVMContextRef, LLVMModuleRef> build) {
        synchronized (LOCK) {
            LLVMContextRef ctx = LLVMContextCreate();
            try {
                LLVMModuleRef mod = build.apply(ctx);
                LLVMTargetMachineRef tm = target.cpu().equals(hostCpu) && target.features().equals(hostFeatures)
                        ? hostMachine : targetMachine(target.cpu(), target.features());
                prepare(mod, triple, dataLayout, target.cpu(), target.features());
                if (optimized) optimize(mod, tm);
                String text = print(mod);
                LLVMDisposeModule(mod);
                if (tm != hostMachine) LLVMDisposeTargetMachine(tm);
                return text;
            } finally {
                LLVMContextDispose(ctx);
            }
        }
    }

    static String print(LLVMModuleRef mod) {
        BytePointer p = LLVMPrintModuleToString(mod);
        String s = p.getString();
        LLVMDisposeMessage(p);
        return s;
    }

    /** Sets the module's triple and data layout and tunes every defined function for {@code cpu} with {@code features}. */
    static void prepare(LLVMModuleRef mod, String triple, String dataLayout, String cpu, String features) {
        LLVMSetTarget(mod, triple);
        LLVMSetDataLayout(mod, dataLayout);
        // Every function is tuned for the target CPU so the vectorizers see its vector width.
        for (var f = LLVMGetFirstFunction(mod); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            if (LLVMIsDeclaration(f) != 0) continue;
            LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateStringAttribute(LLVMGetModuleContext(mod), "target-cpu", 10, cpu, cpu.length()));
            LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateStringAttribute(LLVMGetModuleContext(mod), "target-features", 15, features, features.length()));
        }
    }

    static void optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            LLVMPassBuilderOptionsSetLoopVectorization(options, 1);
            LLVMPassBuilderOptionsSetSLPVectorization(options, 1);
            LLVMPassBuilderOptionsSetLoopUnrolling(options, 1);
            LLVMPassBuilderOptionsSetLoopInterleaving(options, 1);
            check(LLVMRunPasses(mod, "default<O3>", tm, options), "optimize");
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }

    private LLVMTargetMachineRef targetMachine(String cpu, String features) {
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer error = new BytePointer((Pointer) null);
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, error) != 0) {
            String msg = error.getString();
            LLVMDisposeMessage(error);
            throw new IllegalStateException("no LLVM target for " + triple + ": " + msg);
        }
        return LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelAggressive, LLVMRelocDefault, LLVMCodeModelJITDefault);
    }

    private void defineAbsolute(String name, MemorySegment address) {
        LLVMJITSymbolFlags flags = new LLVMJITSymbolFlags();
        flags.GenericFlags((byte) (LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable));
        flags.TargetFlags((byte) 0);
        LLVMJITEvaluatedSymbol sym = new LLVMJITEvaluatedSymbol();
        sym.Address(address.address());
        sym.Flags(flags);
        LLVMOrcCSymbolMapPair pair = new LLVMOrcCSymbolMapPair();
        pair.Name(LLVMOrcLLJITMangleAndIntern(jit, name));
        pair.Sym(sym);
        check(LLVMOrcJITDylibDefine(mainLib, LLVMOrcAbsoluteSymbols(pair, 1)), "define " + name);
    }

    private long lookup(String name) {
        long[] address = new long[1];
        check(LLVMOrcLLJITLookup(jit, address, name), "look up " + name);
        return address[0];
    }

    static void check(LLVMErrorRef error, String what) {
        if (error == null || error.isNull()) return;
        BytePointer msg = LLVMGetErrorMessage(error);
        String text = msg.getString();
        LLVMDisposeErrorMessage(msg);
        throw new IllegalStateException("LLVM JIT failed to " + what + ": " + text);
    }

    private static String string(BytePointer p) {
        if (p == null || p.isNull()) return "";
        String s = p.getString();
        return s;
    }
}
