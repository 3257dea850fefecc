package dev.tessera.target.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Numerics;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Translates a {@link LoweredFunc} into an LLVM module through the LLVM C API.
 *
 * <p>The module defines {@code void SYMBOL(ptr noalias align 64 buf..., i64 shape...)} and
 * {@code void SYMBOL_packed(ptr args)} (args[i] points to the i-th argument's value). Each
 * {@code PARALLEL} loop is outlined into {@code SYMBOL_parN(i64 begin, i64 end, ptr closure)}, where
 * the closure holds every buffer pointer and variable the body uses from outside, and is run by the
 * external {@code void tessera_parallel_for(ptr fn, ptr closure, i64 min, i64 extent)}.
 *
 * <p>Numerics (see the javadoc of {@link Binary}, {@link Cast}, {@link Select}, {@link Load}):
 * integer division and modulo floor and never trap (x/0 == 0, x%0 == 0, MIN/-1 wraps); float
 * {@code MIN}/{@code MAX} are {@code llvm.minnum}/{@code llvm.maxnum} (a NaN operand yields the other
 * operand, unlike Java's {@code Math.min}); f16 and bf16 arithmetic runs in f32 and rounds back after
 * every operation (bf16 is kept as its i16 bit pattern and rounded to nearest even in integer code,
 * exactly as {@link Numerics#floatToBf16}); float adds and multiplies carry only the {@code contract}
 * fast-math flag. exp, log, tanh, erf, sigmoid and pow are {@link VectorMath}'s polynomials, the same
 * code for scalars and vectors.
 */
public final class LlvmCodegen {
    /** The runtime entry that parallel loops call. */
    public static final String PARALLEL_FOR = "tessera_parallel_for";

    /** The runtime's allocator of large temporaries, {@code ptr tessera_alloc(i64 bytes)} (64-byte aligned), and its {@code void tessera_free(ptr, i64 bytes)}. */
    public static final String ALLOC = "tessera_alloc", FREE = "tessera_free";

    /** Temporaries of at least this many bytes come from {@link #ALLOC}, which keeps them across calls; smaller ones from libc. */
    public static final long POOLED_BYTES = 64 * 1024;
    private static final long STACK_LIMIT_BYTES = 64 * 1024;

    private final LLVMContextRef ctx;
    private final LLVMModuleRef mod;
    private final LLVMBuilderRef b;
    private final VectorMath math;
    private final String symbol;
    private final LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, f16, ptr, voidT;
    private FunctionState fn;
    /** While emitting one side of a vector select whose sides read memory: the lanes that side is chosen for. */
    private LLVMValueRef mask;
    private int parallelCount;
    /** Whether buffer parameters are 64-byte aligned (host buffers are; arrays of other programs need not be). */
    private boolean alignedBuffers = true;

    /** The state of the function being emitted: its variables, buffers and the block that holds allocas. */
    private static final class FunctionState {
        LLVMValueRef function;
        LLVMBasicBlockRef entry;
        LLVMBuilderRef allocaBuilder;
        final Map<Var, LLVMValueRef> vars = new IdentityHashMap<>();
        final Map<BufferRef, LLVMValueRef> buffers = new IdentityHashMap<>();
        /** Every load, store, gather and scatter of a buffer, for the alias scopes {@link #finish} attaches. */
        final List<Access> accesses = new ArrayList<>();
    }

    /** A memory instruction and the buffer it reads or writes. */
    private record Access(LLVMValueRef instruction, BufferRef buffer) {}

    private LlvmCodegen(LLVMContextRef ctx, LLVMModuleRef mod, String symbol, String features) {
        this.ctx = ctx;
        this.mod = mod;
        this.symbol = symbol;
        this.b = LLVMCreateBuilderInContext(ctx);
        this.math = new VectorMath(ctx, mod, b, features);
        i1 = LLVMInt1TypeInContext(ctx);
        i8 = LLVMInt8TypeInContext(ctx);
        i16 = LLVMInt16TypeInContext(ctx);
        i32 = LLVMInt32TypeInContext(ctx);
        i64 = LLVMInt64TypeInContext(ctx);
        f32 = LLVMFloatTypeInContext(ctx);
        f64 = LLVMDoubleTypeInContext(ctx);
        f16 = LLVMHalfTypeInContext(ctx);
        ptr = LLVMPointerTypeInContext(ctx, 0);
        voidT = LLVMVoidTypeInContext(ctx);
    }

    /**
     * Builds the module for {@code f} in {@code ctx}, naming the entry {@code symbol}, for a CPU with the
     * LLVM feature string {@code features} (the instructions the math functions may use). With
     * {@code alignedBuffers} false the buffer parameters need only the alignment of their element
     * type (for kernels called from other programs, whose arrays are rarely 64-byte aligned). The
     * module is verified; a verifier failure is an {@link IllegalStateException} (a code generator bug).
     */
    public static LLVMModuleRef generate(LLVMContextRef ctx, LoweredFunc f, String symbol, String features, boolean alignedBuffers) {
        LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(symbol, ctx);
        LlvmCodegen g = new LlvmCodegen(ctx, mod, symbol, features);
        g.alignedBuffers = alignedBuffers;
        try {
            g.emitEntry(f);
            g.emitPacked(f);
        } finally {
            LLVMDisposeBuilder(g.b);
        }
        BytePointer msg = new BytePointer((Pointer) null);
        if (LLVMVerifyModule(mod, LLVMReturnStatusAction, msg) != 0) {
            String text = msg.getString();
            LLVMDisposeMessage(msg);
            String ir = LlvmJit.print(mod);
            LLVMDisposeModule(mod);
            throw new IllegalStateException("LLVM codegen produced an invalid module for " + f.name() + ": " + text + "\n" + ir);
        }
        LLVMDisposeMessage(msg);
        return mod;
    }

    // ---------------------------------------------------------------- functions

    private void emitEntry(LoweredFunc f) {
        List<LLVMTypeRef> params = new ArrayList<>();
        for (int i = 0; i < f.buffers().size(); i++) params.add(ptr);
        for (int i = 0; i < f.shapeParams().size(); i++) params.add(i64);
        LLVMValueRef func = addFunction(symbol, voidT, params);
        for (int i = 0; i < f.buffers().size(); i++) markBufferParam(func, i);
        FunctionState st = begin(func);
        for (int i = 0; i < f.buffers().size(); i++) st.buffers.put(f.buffers().get(i).buffer(), LLVMGetParam(func, i));
        for (int i = 0; i < f.shapeParams().size(); i++)
            st.vars.put(f.shapeParams().get(i), LLVMGetParam(func, f.buffers().size() + i));
        stmt(f.body());
        finish();
    }

    private void emitPacked(LoweredFunc f) {
        LLVMValueRef target = LLVMGetNamedFunction(mod, symbol);
        LLVMValueRef func = addFunction(symbol + "_packed", voidT, List.of(ptr));
        begin(func);
        LLVMValueRef args = LLVMGetParam(func, 0);
        int n = f.buffers().size() + f.shapeParams().size();
        List<LLVMValueRef> values = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LLVMValueRef slot = gep(ptr, args, LLVMConstInt(i64, i, 0));
            LLVMValueRef p = load(ptr, slot, 8);
            values.add(load(i < f.buffers().size() ? ptr : i64, p, 8));
        }
        call(LLVMGlobalGetValueType(target), target, values);
        finish();
    }

    private LLVMValueRef addFunction(String name, LLVMTypeRef ret, List<LLVMTypeRef> params) {
        LLVMTypeRef type = LLVMFunctionType(ret, pp(params.toArray(new Pointer[0])), params.size(), 0);
        LLVMValueRef func = LLVMAddFunction(mod, name, type);
        addFnAttr(func, "nounwind");
        return func;
    }

    private void markBufferParam(LLVMValueRef func, int index) {
        LLVMAddAttributeAtIndex(func, index + 1, enumAttr("noalias", 0));
        if (alignedBuffers) LLVMAddAttributeAtIndex(func, index + 1, enumAttr("align", 64));
    }

    private void addFnAttr(LLVMValueRef func, String name) {
        LLVMAddAttributeAtIndex(func, LLVMAttributeFunctionIndex, enumAttr(name, 0));
    }

    private org.bytedeco.llvm.LLVM.LLVMAttributeRef enumAttr(String name, long value) {
        int kind = LLVMGetEnumAttributeKindForName(name, name.length());
        if (kind == 0) throw new IllegalStateException("unknown LLVM attribute " + name);
        return LLVMCreateEnumAttribute(ctx, kind, value);
    }

    /** Starts emitting {@code func}: an entry block that collects allocas, then the body. */
    private FunctionState begin(LLVMValueRef func) {
        FunctionState st = new FunctionState();
        st.function = func;
        st.entry = LLVMAppendBasicBlockInContext(ctx, func, "entry");
        st.allocaBuilder = LLVMCreateBuilderInContext(ctx);
        LLVMPositionBuilderAtEnd(st.allocaBuilder, st.entry);
        LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(ctx, func, "body");
        LLVMPositionBuilderAtEnd(b, body);
        fn = st;
        return st;
    }

    /** Ends the current function: returns, and closes the entry block with a branch to the body. */
    private void finish() {
        LLVMBuildRetVoid(b);
        LLVMBuildBr(fn.allocaBuilder, LLVMGetNextBasicBlock(fn.entry));
        LLVMDisposeBuilder(fn.allocaBuilder);
        attachAliasScopes();
    }

    /**
     * Gives each buffer of the function an alias scope and marks every access with its buffer's
     * scope and, as not aliasing, those of the others: the buffers of a kernel never overlap
     * (its parameters are noalias, each temporary is its own allocation). LLVM derives the same
     * from noalias parameters for loads and stores, but not for gathers and scatters (a vector
     * of pointers); without it, a gather cannot be reused across a store to another buffer
     * (Winograd's filter transform gathered each filter window again for each of its outputs).
     */
    private void attachAliasScopes() {
        Map<BufferRef, LLVMMetadataRef> scopes = new IdentityHashMap<>();
        for (Access a : fn.accesses) scopes.putIfAbsent(a.buffer(), null);
        if (scopes.size() < 2) return;
        String functionName = LLVMGetValueName(fn.function).getString();
        LLVMMetadataRef domain = mdNode(mdString("tessera " + functionName));
        int k = 0;
        for (BufferRef r : scopes.keySet()) scopes.put(r, mdNode(mdString("tessera " + functionName + " " + r.name() + " #" + k++), domain));
        Map<BufferRef, LLVMValueRef[]> lists = new IdentityHashMap<>();
        for (BufferRef r : scopes.keySet()) {
            List<LLVMMetadataRef> others = new ArrayList<>();
            for (var e : scopes.entrySet()) if (e.getKey() != r) others.add(e.getValue());
            lists.put(r, new LLVMValueRef[] {
                    LLVMMetadataAsValue(ctx, mdNode(scopes.get(r))), LLVMMetadataAsValue(ctx, mdNode(others.toArray(new LLVMMetadataRef[0])))});
        }
        int aliasScope = LLVMGetMDKindIDInContext(ctx, "alias.scope", 11), noalias = LLVMGetMDKindIDInContext(ctx, "noalias", 7);
        for (Access a : fn.accesses) {
            LLVMValueRef[] l = lists.get(a.buffer());
            LLVMSetMetadata(a.instruction(), aliasScope, l[0]);
            LLVMSetMetadata(a.instruction(), noalias, l[1]);
        }
    }

    private LLVMMetadataRef mdString(String text) {
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return LLVMMDStringInContext2(ctx, new BytePointer(bytes), bytes.length);
    }

    private LLVMMetadataRef mdNode(LLVMMetadataRef... operands) {
        return LLVMMDNodeInContext2(ctx, new org.bytedeco.javacpp.PointerPointer<>(operands), operands.length);
    }

    /** Records {@code instruction} as an access of {@code buffer}; returns it. */
    private LLVMValueRef access(BufferRef buffer, LLVMValueRef instruction) {
        fn.accesses.add(new Access(instruction, buffer));
        return instruction;
    }

    // ---------------------------------------------------------------- statements

    private void stmt(Stmt s) {
        switch (s) {
            case For f -> {
                if (f.kind().isGpu())
                    throw new dev.tessera.TesseraUserError("loop " + f.var().name() + " is bound to " + f.kind().threadTag()
                            + ": GPU bindings need a GPU target (--target cuda or --target opencl); on a CPU, use parallel and vectorize");
                if (f.kind() == LoopKind.PARALLEL) parallelFor(f);
                else {
                    // VECTORIZED and UNROLLED loops reaching a backend run serially; LLVM's own
                    // vectorizer and unroller still see them.
                    LLVMValueRef min = expr(f.min());
                    LLVMValueRef end = LLVMBuildAdd(b, min, expr(f.extent()), "end");
                    loop(f.var(), min, end, f.body());
                }
            }
            case LetStmt l -> {
                LLVMValueRef v = expr(l.value());
                LLVMValueRef prev = fn.vars.put(l.var(), v);
                stmt(l.body());
                restore(fn.vars, l.var(), prev);
            }
            case IfThenElse i -> {
                LLVMValueRef c = expr(i.cond());
                LLVMBasicBlockRef then = block("then"), merge = block("endif");
                LLVMBasicBlockRef otherwise = i.otherwise() == null ? merge : block("else");
                LLVMBuildCondBr(b, c, then, otherwise);
                LLVMPositionBuilderAtEnd(b, then);
                stmt(i.then());
                LLVMBuildBr(b, merge);
                if (i.otherwise() != null) {
                    LLVMPositionBuilderAtEnd(b, otherwise);
                    stmt(i.otherwise());
                    LLVMBuildBr(b, merge);
                }
                LLVMPositionBuilderAtEnd(b, merge);
            }
            case Block bl -> bl.stmts().forEach(this::stmt);
            case Store st -> store(st);
            case Allocate a -> allocate(a);
            case Prefetch p -> {
                // llvm.prefetch(address, read, high locality, data cache): a hint that never faults.
                LLVMValueRef address = gep(memType(p.buffer().elementType()), buffer(p.buffer()), expr(p.index()));
                intrinsic("llvm.prefetch", new LLVMTypeRef[] {ptr}, address, LLVMConstInt(i32, 0, 0), LLVMConstInt(i32, 3, 0), LLVMConstInt(i32, 1, 0));
            }
            case Barrier bar -> throw new IllegalStateException("a GPU barrier reached the LLVM backend");
            case CrossThreadReduce r -> throw new IllegalStateException("a cross-thread reduction reached the LLVM backend (its GPU-bound loops are refused first)");
            case Provide p -> throw new IllegalStateException("Provide reached the LLVM backend (storage flattening did not run): " + p.tensor());
            case Realize r -> throw new IllegalStateException("Realize reached the LLVM backend (storage flattening did not run): " + r.op());
        }
    }

    /** {@code for (var = min; var < end; var++) body} with the index in a phi. */
    private void loop(Var var, LLVMValueRef min, LLVMValueRef end, Stmt body) {
        LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
        LLVMBasicBlockRef header = block(var.name() + ".header"), bodyBlock = block(var.name() + ".body"), exit = block(var.name() + ".exit");
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, header);
        LLVMValueRef phi = LLVMBuildPhi(b, i64, var.name());
        LLVMAddIncoming(phi, min, pre, 1);
        LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, phi, end, ""), bodyBlock, exit);
        LLVMPositionBuilderAtEnd(b, bodyBlock);
        LLVMValueRef prev = fn.vars.put(var, phi);
        stmt(body);
        restore(fn.vars, var, prev);
        LLVMValueRef next = LLVMBuildNSWAdd(b, phi, LLVMConstInt(i64, 1, 0), var.name() + ".next");
        LLVMAddIncoming(phi, next, LLVMGetInsertBlock(b), 1);
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, exit);
    }

    /**
     * Outlines the loop body into {@code SYMBOL_parN(i64 begin, i64 end, ptr closure)}. The closure
     * is an alloca'd struct of the body's free buffers and variables; the outlined entry unpacks it
     * and calls an always-inlined body function whose buffer parameters are noalias again.
     */
    private void parallelFor(For f) {
        LLVMValueRef min = expr(f.min()), extent = expr(f.extent());
        Map<BufferRef, LLVMValueRef> freeBuffers = new LinkedHashMap<>();
        Map<Var, LLVMValueRef> freeVars = new LinkedHashMap<>();
        collectFree(f.body(), freeBuffers, freeVars);
        freeVars.remove(f.var());

        String name = symbol + "_par" + (parallelCount++);
        List<LLVMTypeRef> fields = new ArrayList<>();
        for (int i = 0; i < freeBuffers.size(); i++) fields.add(ptr);
        for (LLVMValueRef v : freeVars.values()) fields.add(LLVMTypeOf(v));
        LLVMTypeRef closureType = LLVMStructTypeInContext(ctx, pp(fields.toArray(new Pointer[0])), fields.size(), 0);

        // The body function: (bufs..., vars..., begin, end).
        List<LLVMTypeRef> bodyParams = new ArrayList<>(fields);
        bodyParams.add(i64);
        bodyParams.add(i64);
        LLVMValueRef bodyFn = addFunction(name + "_body", voidT, bodyParams);
        LLVMSetLinkage(bodyFn, LLVMInternalLinkage);
        addFnAttr(bodyFn, "alwaysinline");
        for (int i = 0; i < freeBuffers.size(); i++) markBufferParam(bodyFn, i);
        LLVMValueRef entryFn = addFunction(name, voidT, List.of(i64, i64, ptr));
        LLVMSetLinkage(entryFn, LLVMInternalLinkage);

        FunctionState outer = fn;
        LLVMBasicBlockRef resume = LLVMGetInsertBlock(b);
        LLVMValueRef savedMask = mask;
        mask = null;

        FunctionState body = begin(bodyFn);
        int k = 0;
        for (BufferRef buf : freeBuffers.keySet()) body.buffers.put(buf, LLVMGetParam(bodyFn, k++));
        for (Var v : freeVars.keySet()) body.vars.put(v, LLVMGetParam(bodyFn, k++));
        loop(f.var(), LLVMGetParam(bodyFn, k), LLVMGetParam(bodyFn, k + 1), f.body());
        finish();

        begin(entryFn);
        LLVMValueRef closure = LLVMGetParam(entryFn, 2);
        List<LLVMValueRef> args = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            LLVMValueRef field = LLVMBuildStructGEP2(b, closureType, closure, i, "");
            args.add(LLVMBuildLoad2(b, fields.get(i), field, ""));
        }
        args.add(LLVMGetParam(entryFn, 0));
        args.add(LLVMGetParam(entryFn, 1));
        call(LLVMGlobalGetValueType(bodyFn), bodyFn, args);
        finish();

        fn = outer;
        mask = savedMask;
        LLVMPositionBuilderAtEnd(b, resume);
        LLVMValueRef closureSlot = LLVMBuildAlloca(fn.allocaBuilder, closureType, "closure");
        List<LLVMValueRef> values = new ArrayList<>(freeBuffers.values());
        values.addAll(freeVars.values());
        for (int i = 0; i < values.size(); i++)
            LLVMBuildStore(b, values.get(i), LLVMBuildStructGEP2(b, closureType, closureSlot, i, ""));
        LLVMValueRef runtime = LLVMGetNamedFunction(mod, PARALLEL_FOR);
        if (runtime == null || runtime.isNull()) runtime = addFunction(PARALLEL_FOR, voidT, List.of(ptr, ptr, i64, i64));
        call(LLVMGlobalGetValueType(runtime), runtime, List.of(entryFn, closureSlot, min, extent));
    }

    /** The buffers and variables of the current function that {@code s} uses. */
    private void collectFree(Stmt s, Map<BufferRef, LLVMValueRef> buffers, Map<Var, LLVMValueRef> vars) {
        new StmtVisitor() {
            @Override public void visit(Stmt x) {
                if (x instanceof Store st) useBuffer(st.buffer());
                if (x instanceof Prefetch p) useBuffer(p.buffer());
                visitChildren(x);
            }
            @Override public void visit(Expr e) {
                if (e instanceof Var v && fn.vars.containsKey(v)) vars.put(v, fn.vars.get(v));
                if (e instanceof Load l) useBuffer(l.buffer());
                visitChildren(e);
            }
            private void useBuffer(BufferRef r) {
                if (fn.buffers.containsKey(r)) buffers.put(r, fn.buffers.get(r));
            }
        }.visit(s);
    }

    private void allocate(Allocate a) {
        DType t = a.buffer().elementType();
        LLVMTypeRef mt = memType(t);
        if (a.size() instanceof IntImm n && n.value() * t.bytes() <= STACK_LIMIT_BYTES) {
            LLVMTypeRef arr = LLVMArrayType2(mt, Math.max(1, n.value()));
            LLVMValueRef slot = LLVMBuildAlloca(fn.allocaBuilder, arr, a.buffer().name());
            LLVMSetAlignment(slot, 64);
            LLVMValueRef prev = fn.buffers.put(a.buffer(), slot);
            stmt(a.body());
            restore(fn.buffers, a.buffer(), prev);
            return;
        }
        LLVMValueRef size = LLVMBuildMul(b, expr(a.size()), LLVMConstInt(i64, t.bytes(), 0), "");
        LLVMValueRef bytes = LLVMBuildAnd(b, LLVMBuildAdd(b, size, LLVMConstInt(i64, 63, 0), ""), LLVMConstInt(i64, ~63L, 1), "");
        // Large temporaries come from the runtime's pool (reused across calls), small ones from libc.
        LLVMValueRef pooled = LLVMBuildICmp(b, LLVMIntUGE, bytes, LLVMConstInt(i64, POOLED_BYTES, 0), "pooled");
        LLVMValueRef alloc = runtimeFunction("aligned_alloc", ptr, i64, i64);
        LLVMValueRef poolAlloc = runtimeFunction(ALLOC, ptr, i64);
        // Like aligned_alloc's result, the block aliases nothing else the kernel sees, and is 64-byte aligned.
        LLVMAddAttributeAtIndex(poolAlloc, LLVMAttributeReturnIndex, enumAttr("noalias", 0));
        LLVMAddAttributeAtIndex(poolAlloc, LLVMAttributeReturnIndex, enumAttr("align", 64));
        LLVMValueRef mem = branch(pooled, ptr,
                () -> call(LLVMGlobalGetValueType(poolAlloc), poolAlloc, List.of(bytes)),
                () -> call(LLVMGlobalGetValueType(alloc), alloc, List.of(LLVMConstInt(i64, 64, 0), bytes)));
        LLVMValueRef prev = fn.buffers.put(a.buffer(), mem);
        stmt(a.body());
        restore(fn.buffers, a.buffer(), prev);
        LLVMValueRef free = runtimeFunction("free", voidT, ptr);
        LLVMValueRef poolFree = runtimeFunction(FREE, voidT, ptr, i64);
        branch(pooled, null,
                () -> call(LLVMGlobalGetValueType(poolFree), poolFree, List.of(mem, bytes)),
                () -> call(LLVMGlobalGetValueType(free), free, List.of(mem)));
    }

    /** Emits {@code cond ? then() : otherwise()} as two blocks; the value is a phi of {@code type}, or null when {@code type} is null. */
    private LLVMValueRef branch(LLVMValueRef cond, LLVMTypeRef type, java.util.function.Supplier<LLVMValueRef> then, java.util.function.Supplier<LLVMValueRef> otherwise) {
        LLVMBasicBlockRef thenBlock = block("then"), elseBlock = block("else"), join = block("join");
        LLVMBuildCondBr(b, cond, thenBlock, elseBlock);
        LLVMPositionBuilderAtEnd(b, thenBlock);
        LLVMValueRef a = then.get();
        LLVMBasicBlockRef thenEnd = LLVMGetInsertBlock(b);
        LLVMBuildBr(b, join);
        LLVMPositionBuilderAtEnd(b, elseBlock);
        LLVMValueRef c = otherwise.get();
        LLVMBasicBlockRef elseEnd = LLVMGetInsertBlock(b);
        LLVMBuildBr(b, join);
        LLVMPositionBuilderAtEnd(b, join);
        if (type == null) return null;
        LLVMValueRef phi = LLVMBuildPhi(b, type, "");
        LLVMAddIncoming(phi, a, thenEnd, 1);
        LLVMAddIncoming(phi, c, elseEnd, 1);
        return phi;
    }

    private LLVMValueRef runtimeFunction(String name, LLVMTypeRef ret, LLVMTypeRef... params) {
        LLVMValueRef f = LLVMGetNamedFunction(mod, name);
        if (f != null && !f.isNull()) return f;
        return addFunction(name, ret, List.of(params));
    }

    private void store(Store st) {
        DType et = st.buffer().elementType();
        LLVMValueRef base = buffer(st.buffer());
        LLVMTypeRef mt = memType(et);
        int lanes = st.index().type().lanes();
        if (lanes == 1) {
            if (st.predicate() == null) {
                LLVMValueRef v = toMemory(expr(st.value()), et);
                access(st.buffer(), store(v, gep(mt, base, expr(st.index())), et.bytes()));
                return;
            }
            LLVMBasicBlockRef then = block("store"), done = block("stored");
            LLVMBuildCondBr(b, expr(st.predicate()), then, done);
            LLVMPositionBuilderAtEnd(b, then);
            access(st.buffer(), store(toMemory(expr(st.value()), et), gep(mt, base, expr(st.index())), et.bytes()));
            LLVMBuildBr(b, done);
            LLVMPositionBuilderAtEnd(b, done);
            return;
        }
        LLVMValueRef value = toMemory(expr(st.value()), et.withLanes(lanes));
        LLVMValueRef pred = st.predicate() == null ? null : expr(st.predicate());
        LLVMTypeRef vt = LLVMVectorType(mt, lanes);
        LLVMValueRef align = LLVMConstInt(i32, et.bytes(), 0);
        if (denseBase(st.index()) instanceof Expr denseBase) {
            LLVMValueRef p = gep(mt, base, expr(denseBase));
            access(st.buffer(), pred == null ? store(value, p, et.bytes())
                    : intrinsic("llvm.masked.store", new LLVMTypeRef[] {vt, ptr}, value, p, align, pred));
        } else {
            LLVMValueRef ptrs = gep(mt, base, expr(st.index()));
            if (pred == null) pred = allOnes(lanes);
            access(st.buffer(), intrinsic("llvm.masked.scatter", new LLVMTypeRef[] {vt, LLVMVectorType(ptr, lanes)}, value, ptrs, align, pred));
        }
    }

    // ---------------------------------------------------------------- expressions

    private LLVMValueRef expr(Expr e) {
        return switch (e) {
            case IntImm i -> LLVMConstInt(regType(i.type()), i.value(), 1);
            case FloatImm f -> f.type().code() == DType.Code.BFLOAT
                    ? LLVMConstInt(i16, Numerics.floatToBf16((float) f.value()) & 0xFFFF, 0)
                    : LLVMConstReal(regType(f.type()), f.value());
            case Var v -> {
                LLVMValueRef x = fn.vars.get(v);
                if (x == null) throw new IllegalStateException("variable " + v + " (id " + v.id() + ") is not defined here");
                yield x;
            }
            case Binary bin -> binary(bin);
            case Not n -> LLVMBuildNot(b, expr(n.a()), "");
            case Select s -> select(s);
            case Cast c -> cast(expr(c.value()), c.value().type(), c.type());
            case Call c -> call(c);
            case Load l -> load(l);
            case Ramp r -> {
                DType t = r.type();
                LLVMValueRef steps = constVector(t, k -> (long) k);
                LLVMValueRef scaled = LLVMBuildMul(b, splat(expr(r.stride()), r.lanes()), steps, "");
                yield LLVMBuildAdd(b, splat(expr(r.base()), r.lanes()), scaled, "");
            }
            case Broadcast bc -> splat(expr(bc.value()), bc.lanes());
            case TensorRead t -> throw new IllegalStateException("TensorRead of " + t.tensor() + " reached the LLVM backend (storage flattening did not run)");
            case Reduce r -> throw new IllegalStateException("Reduce reached the LLVM backend (reductions are lowered to loops before codegen)");
        };
    }

    private LLVMValueRef binary(Binary bin) {
        DType t = bin.a().type();
        Binary.Op op = bin.op();
        if (op.isLogical()) {
            LLVMValueRef x = expr(bin.a()), y = expr(bin.b());
            return op == Binary.Op.AND ? LLVMBuildAnd(b, x, y, "") : LLVMBuildOr(b, x, y, "");
        }
        if (t.isFloat()) {
            LLVMValueRef x = widen(expr(bin.a()), t), y = widen(expr(bin.b()), t);
            LLVMValueRef r = switch (op) {
                case ADD -> contract(LLVMBuildFAdd(b, x, y, ""));
                case SUB -> contract(LLVMBuildFSub(b, x, y, ""));
                case MUL -> contract(LLVMBuildFMul(b, x, y, ""));
                case DIV -> LLVMBuildFDiv(b, x, y, "");
                case MOD -> {
                    LLVMValueRef q = floatIntrinsic("llvm.floor", LLVMBuildFDiv(b, x, y, ""));
                    yield LLVMBuildFSub(b, x, LLVMBuildFMul(b, y, q, ""), "");
                }
                case MIN -> floatIntrinsic("llvm.minnum", x, y);
                case MAX -> floatIntrinsic("llvm.maxnum", x, y);
                case EQ -> LLVMBuildFCmp(b, LLVMRealOEQ, x, y, "");
                case NE -> LLVMBuildFCmp(b, LLVMRealUNE, x, y, "");
                case LT -> LLVMBuildFCmp(b, LLVMRealOLT, x, y, "");
                case LE -> LLVMBuildFCmp(b, LLVMRealOLE, x, y, "");
                case GT -> LLVMBuildFCmp(b, LLVMRealOGT, x, y, "");
                case GE -> LLVMBuildFCmp(b, LLVMRealOGE, x, y, "");
                case AND, OR -> throw new IllegalStateException("unreachable");
            };
            return op.isComparison() ? r : narrow(r, t);
        }
        boolean signed = t.isInt();
        if (op == Binary.Op.DIV || op == Binary.Op.MOD) return intDivMod(op == Binary.Op.DIV, bin.a(), bin.b(), t);
        LLVMValueRef x = expr(bin.a()), y = expr(bin.b());
        return switch (op) {
            case ADD -> LLVMBuildAdd(b, x, y, "");
            case SUB -> LLVMBuildSub(b, x, y, "");
            case MUL -> LLVMBuildMul(b, x, y, "");
            case MIN -> intrinsic(signed ? "llvm.smin" : "llvm.umin", new LLVMTypeRef[] {regType(t)}, x, y);
            case MAX -> intrinsic(signed ? "llvm.smax" : "llvm.umax", new LLVMTypeRef[] {regType(t)}, x, y);
            case EQ -> LLVMBuildICmp(b, LLVMIntEQ, x, y, "");
            case NE -> LLVMBuildICmp(b, LLVMIntNE, x, y, "");
            case LT -> LLVMBuildICmp(b, signed ? LLVMIntSLT : LLVMIntULT, x, y, "");
            case LE -> LLVMBuildICmp(b, signed ? LLVMIntSLE : LLVMIntULE, x, y, "");
            case GT -> LLVMBuildICmp(b, signed ? LLVMIntSGT : LLVMIntUGT, x, y, "");
            case GE -> LLVMBuildICmp(b, signed ? LLVMIntSGE : LLVMIntUGE, x, y, "");
            case DIV, MOD, AND, OR -> throw new IllegalStateException("unreachable");
        };
    }

    /** Floor division / floor modulo that never trap: x/0 == 0, x%0 == 0, x/-1 == -x (wrapping), x%-1 == 0. */
    private LLVMValueRef intDivMod(boolean div, Expr ea, Expr eb, DType t) {
        boolean signed = t.isInt();
        LLVMValueRef x = expr(ea);
        Long c = constantOf(eb);
        if (c != null) {
            if (c == 0) return constInt(t, 0);
            if (signed && c == -1) return div ? LLVMBuildNeg(b, x, "") : constInt(t, 0);
            if (c > 0 && Long.bitCount(c) == 1) {
                int k = Long.numberOfTrailingZeros(c);
                if (!div) return LLVMBuildAnd(b, x, constInt(t, c - 1), "");
                return signed ? LLVMBuildAShr(b, x, constInt(t, k), "") : LLVMBuildLShr(b, x, constInt(t, k), "");
            }
            LLVMValueRef y = constInt(t, c);
            if (!signed) return div ? LLVMBuildUDiv(b, x, y, "") : LLVMBuildURem(b, x, y, "");
            return floorAdjust(div, x, y);
        }
        LLVMValueRef y = expr(eb);
        LLVMValueRef zero = constInt(t, 0), one = constInt(t, 1);
        LLVMValueRef isZero = LLVMBuildICmp(b, LLVMIntEQ, y, zero, "");
        if (!signed) {
            LLVMValueRef safe = LLVMBuildSelect(b, isZero, one, y, "");
            if (!div) return LLVMBuildURem(b, x, safe, ""); // x % 1 == 0 covers the by-zero case
            return LLVMBuildSelect(b, isZero, zero, LLVMBuildUDiv(b, x, safe, ""), "");
        }
        LLVMValueRef isMinusOne = LLVMBuildICmp(b, LLVMIntEQ, y, constInt(t, -1), "");
        LLVMValueRef bad = LLVMBuildOr(b, isZero, isMinusOne, "");
        LLVMValueRef safe = LLVMBuildSelect(b, bad, one, y, "");
        LLVMValueRef r = floorAdjust(div, x, safe); // with divisor 1: x / 1 == x, x % 1 == 0
        if (!div) return r;
        LLVMValueRef neg = LLVMBuildSelect(b, isMinusOne, LLVMBuildNeg(b, x, ""), r, "");
        return LLVMBuildSelect(b, isZero, zero, neg, "");
    }

    /** Truncating sdiv/srem corrected to floor semantics; {@code y} is neither 0 nor -1. */
    private LLVMValueRef floorAdjust(boolean div, LLVMValueRef x, LLVMValueRef y) {
        LLVMValueRef q = LLVMBuildSDiv(b, x, y, ""), r = LLVMBuildSRem(b, x, y, "");
        LLVMTypeRef type = LLVMTypeOf(x);
        LLVMValueRef zero = LLVMConstNull(type);
        LLVMValueRef signsDiffer = LLVMBuildICmp(b, LLVMIntSLT, LLVMBuildXor(b, r, y, ""), zero, "");
        LLVMValueRef adjust = LLVMBuildAnd(b, LLVMBuildICmp(b, LLVMIntNE, r, zero, ""), signsDiffer, "");
        if (div) return LLVMBuildSub(b, q, LLVMBuildZExt(b, adjust, type, ""), "");
        return LLVMBuildSelect(b, adjust, LLVMBuildAdd(b, r, y, ""), r, "");
    }

    private static Long constantOf(Expr e) {
        if (e instanceof IntImm i) return i.value();
        if (e instanceof Broadcast(IntImm i, int lanes)) return i.value();
        return null;
    }

    private LLVMValueRef select(Select s) {
        if (!readsMemory(s.t()) && !readsMemory(s.f()))
            return LLVMBuildSelect(b, expr(s.cond()), expr(s.t()), expr(s.f()), "");
        LLVMValueRef c = expr(s.cond());
        if (s.cond().type().lanes() == 1) {
            // Only the chosen side runs, so it may read memory that is valid only when chosen.
            LLVMBasicBlockRef tb = block("sel.true"), fb = block("sel.false"), merge = block("sel.end");
            LLVMBuildCondBr(b, c, tb, fb);
            LLVMPositionBuilderAtEnd(b, tb);
            LLVMValueRef tv = expr(s.t());
            LLVMBasicBlockRef tEnd = LLVMGetInsertBlock(b);
            LLVMBuildBr(b, merge);
            LLVMPositionBuilderAtEnd(b, fb);
            LLVMValueRef fv = expr(s.f());
            LLVMBasicBlockRef fEnd = LLVMGetInsertBlock(b);
            LLVMBuildBr(b, merge);
            LLVMPositionBuilderAtEnd(b, merge);
            LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(tv), "");
            LLVMAddIncoming(phi, tv, tEnd, 1);
            LLVMAddIncoming(phi, fv, fEnd, 1);
            return phi;
        }
        // Vector condition: loads on each side are masked by the lanes that choose that side.
        LLVMValueRef outer = mask;
        mask = outer == null ? c : LLVMBuildAnd(b, outer, c, "");
        LLVMValueRef tv = expr(s.t());
        LLVMValueRef notC = LLVMBuildNot(b, c, "");
        mask = outer == null ? notC : LLVMBuildAnd(b, outer, notC, "");
        LLVMValueRef fv = expr(s.f());
        mask = outer;
        return LLVMBuildSelect(b, c, tv, fv, "");
    }

    private static boolean readsMemory(Expr e) {
        boolean[] found = {false};
        new ExprVisitor() {
            @Override public void visit(Expr x) {
                if (x instanceof Load) found[0] = true;
                else if (!found[0]) visitChildren(x);
            }
        }.visit(e);
        return found[0];
    }

    private LLVMValueRef load(Load l) {
        DType et = l.buffer().elementType();
        LLVMTypeRef mt = memType(et);
        LLVMValueRef base = buffer(l.buffer());
        int lanes = l.index().type().lanes();
        LLVMValueRef pred = l.predicate() == null ? null : expr(l.predicate());
        LLVMValueRef m = mask;
        if (m != null && LLVMGetVectorSize(LLVMTypeOf(m)) != lanes) {
            // A load whose lane count differs from the enclosing select's (a broadcast scalar, say):
            // read it if any lane of the select needs it.
            m = intrinsic("llvm.vector.reduce.or", new LLVMTypeRef[] {LLVMTypeOf(m)}, m);
            if (lanes > 1) m = splat(m, lanes);
        }
        if (pred != null) m = m == null ? pred : LLVMBuildAnd(b, m, pred, "");
        if (lanes == 1) {
            if (m == null) return fromMemory(access(l.buffer(), load(mt, gep(mt, base, expr(l.index())), et.bytes())), et);
            LLVMBasicBlockRef then = block("load"), merge = block("loaded");
            LLVMBasicBlockRef pre = LLVMGetInsertBlock(b);
            LLVMBuildCondBr(b, m, then, merge);
            LLVMPositionBuilderAtEnd(b, then);
            LLVMValueRef v = fromMemory(access(l.buffer(), load(mt, gep(mt, base, expr(l.index())), et.bytes())), et);
            LLVMBasicBlockRef thenEnd = LLVMGetInsertBlock(b);
            LLVMBuildBr(b, merge);
            LLVMPositionBuilderAtEnd(b, merge);
            LLVMValueRef phi = LLVMBuildPhi(b, LLVMTypeOf(v), "");
            LLVMAddIncoming(phi, v, thenEnd, 1);
            LLVMAddIncoming(phi, LLVMConstNull(LLVMTypeOf(v)), pre, 1);
            return phi;
        }
        LLVMTypeRef vt = LLVMVectorType(mt, lanes);
        LLVMValueRef align = LLVMConstInt(i32, et.bytes(), 0);
        LLVMValueRef raw;
        if (denseBase(l.index()) instanceof Expr denseBase) {
            LLVMValueRef p = gep(mt, base, expr(denseBase));
            raw = m == null ? load(vt, p, et.bytes())
                    : intrinsic("llvm.masked.load", new LLVMTypeRef[] {vt, ptr}, p, align, m, LLVMConstNull(vt));
        } else {
            LLVMValueRef ptrs = gep(mt, base, expr(l.index()));
            raw = intrinsic("llvm.masked.gather", new LLVMTypeRef[] {vt, LLVMVectorType(ptr, lanes)},
                    ptrs, align, m == null ? allOnes(lanes) : m, LLVMConstNull(vt));
        }
        return fromMemory(access(l.buffer(), raw), et.withLanes(lanes));
    }

    /** The base of a stride-1 ramp index (a dense vector access), or null. */
    private static Expr denseBase(Expr index) {
        if (index instanceof Ramp(Expr base, IntImm stride, int lanes) && stride.value() == 1) return base;
        return null;
    }

    private LLVMValueRef call(Call c) {
        DType t = c.type();
        if (c.fn() == Call.Fn.ABS && !t.isFloat()) {
            LLVMValueRef x = expr(c.args().get(0));
            if (!t.isInt()) return x;
            return intrinsic("llvm.abs", new LLVMTypeRef[] {regType(t)}, x, LLVMConstInt(i1, 0, 0));
        }
        LLVMValueRef x = widen(expr(c.args().get(0)), t);
        LLVMValueRef r = switch (c.fn()) {
            case EXP -> math.exp(x);
            case LOG -> math.log(x);
            case SQRT -> floatIntrinsic("llvm.sqrt", x);
            case FLOOR -> floatIntrinsic("llvm.floor", x);
            case CEIL -> floatIntrinsic("llvm.ceil", x);
            case ABS -> floatIntrinsic("llvm.fabs", x);
            case POW -> math.pow(x, widen(expr(c.args().get(1)), t));
            case RSQRT -> LLVMBuildFDiv(b, floatConst(x, 1.0), floatIntrinsic("llvm.sqrt", x), "");
            case SIGMOID -> math.sigmoid(x);
            case TANH -> math.tanh(x);
            case ERF -> math.erf(x);
        };
        return narrow(r, t);
    }

    /** Casts with Tessera's semantics (see {@link Cast}). */
    private LLVMValueRef cast(LLVMValueRef v, DType from, DType to) {
        if (from.equals(to)) return v;
        if (to.isBool()) {
            if (from.isFloat()) {
                LLVMValueRef w = widen(v, from);
                return LLVMBuildFCmp(b, LLVMRealUNE, w, LLVMConstNull(LLVMTypeOf(w)), "");
            }
            return LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
        }
        if (from.isBool()) {
            if (to.isFloat()) return narrow(LLVMBuildUIToFP(b, v, regType(computeType(to)), ""), to);
            return LLVMBuildZExt(b, v, regType(to), "");
        }
        if (from.isIntegral() && to.isIntegral()) {
            if (to.bits() < from.bits()) return LLVMBuildTrunc(b, v, regType(to), "");
            if (to.bits() > from.bits())
                return from.isInt() ? LLVMBuildSExt(b, v, regType(to), "") : LLVMBuildZExt(b, v, regType(to), "");
            return v;
        }
        if (from.isIntegral()) {
            LLVMTypeRef ct = regType(computeType(to));
            LLVMValueRef f = from.isInt() ? LLVMBuildSIToFP(b, v, ct, "") : LLVMBuildUIToFP(b, v, ct, "");
            return narrow(f, to);
        }
        LLVMValueRef w = widen(v, from);
        if (to.isIntegral()) {
            return intrinsic(to.isInt() ? "llvm.fptosi.sat" : "llvm.fptoui.sat",
                    new LLVMTypeRef[] {regType(to), LLVMTypeOf(w)}, w);
        }
        // float -> float: f16 and bf16 go through f32, as Numerics.roundTo does.
        DType wide = computeType(from), target = computeType(to);
        if (wide.bits() < target.bits()) w = LLVMBuildFPExt(b, w, regType(target), "");
        else if (wide.bits() > target.bits()) w = LLVMBuildFPTrunc(b, w, regType(target), "");
        return narrow(w, to);
    }

    // ---------------------------------------------------------------- f16 / bf16

    /** The type arithmetic on {@code t} runs in: f32 for f16 and bf16, else t. */
    private static DType computeType(DType t) {
        return t.bits() == 16 && t.isFloat() ? DType.F32.withLanes(t.lanes()) : t;
    }

    /** Converts a register value of dtype {@code t} to its compute type (f16/bf16 -> f32). */
    private LLVMValueRef widen(LLVMValueRef v, DType t) {
        if (!t.isFloat() || t.bits() != 16) return v;
        LLVMTypeRef ft = regType(DType.F32.withLanes(t.lanes()));
        if (t.code() == DType.Code.FLOAT) return LLVMBuildFPExt(b, v, ft, "");
        LLVMTypeRef it = regType(DType.I32.withLanes(t.lanes()));
        LLVMValueRef bits = LLVMBuildShl(b, LLVMBuildZExt(b, v, it, ""), constInt(DType.I32.withLanes(t.lanes()), 16), "");
        return LLVMBuildBitCast(b, bits, ft, "");
    }

    /** Rounds an f32 compute value back to f16 / bf16 (round to nearest even); identity for other types. */
    private LLVMValueRef narrow(LLVMValueRef v, DType t) {
        if (!t.isFloat() || t.bits() != 16) return v;
        if (t.code() == DType.Code.FLOAT) return LLVMBuildFPTrunc(b, v, regType(t), "");
        DType it = DType.I32.withLanes(t.lanes());
        LLVMValueRef bits = LLVMBuildBitCast(b, v, regType(it), "");
        LLVMValueRef hi = LLVMBuildLShr(b, bits, constInt(it, 16), "");
        LLVMValueRef rounding = LLVMBuildAdd(b, constInt(it, 0x7FFF), LLVMBuildAnd(b, hi, constInt(it, 1), ""), "");
        LLVMValueRef rounded = LLVMBuildLShr(b, LLVMBuildAdd(b, bits, rounding, ""), constInt(it, 16), "");
        LLVMValueRef nan = LLVMBuildOr(b, hi, constInt(it, 0x40), "");
        LLVMValueRef isNan = LLVMBuildFCmp(b, LLVMRealUNO, v, v, "");
        return LLVMBuildTrunc(b, LLVMBuildSelect(b, isNan, nan, rounded, ""), regType(t), "");
    }

    // ---------------------------------------------------------------- helpers

    /** The register type: i1 for bool, i16 bit patterns for bf16, vectors for lanes > 1. */
    private LLVMTypeRef regType(DType t) {
        LLVMTypeRef s = switch (t.code()) {
            case BOOL -> i1;
            case INT, UINT -> LLVMIntTypeInContext(ctx, t.bits());
            case BFLOAT -> i16;
            case FLOAT -> switch (t.bits()) {
                case 16 -> f16;
                case 32 -> f32;
                case 64 -> f64;
                default -> throw new IllegalStateException("unsupported float width " + t);
            };
        };
        return t.lanes() == 1 ? s : LLVMVectorType(s, t.lanes());
    }

    /** The in-memory element type: bool takes a byte. */
    private LLVMTypeRef memType(DType scalar) {
        return scalar.isBool() ? i8 : regType(scalar.scalar());
    }

    private LLVMValueRef toMemory(LLVMValueRef v, DType t) {
        if (!t.isBool()) return v;
        return LLVMBuildZExt(b, v, t.lanes() == 1 ? i8 : LLVMVectorType(i8, t.lanes()), "");
    }

    private LLVMValueRef fromMemory(LLVMValueRef v, DType t) {
        if (!t.isBool()) return v;
        return LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
    }

    private LLVMValueRef buffer(BufferRef r) {
        LLVMValueRef p = fn.buffers.get(r);
        if (p == null) throw new IllegalStateException("buffer " + r + " is neither an argument nor allocated here");
        return p;
    }

    private LLVMValueRef constInt(DType t, long v) {
        LLVMValueRef s = LLVMConstInt(regType(t.scalar()), v, 1);
        return t.lanes() == 1 ? s : splat(s, t.lanes());
    }

    private LLVMValueRef constVector(DType t, java.util.function.IntFunction<Long> lane) {
        Pointer[] lanes = new Pointer[t.lanes()];
        for (int k = 0; k < lanes.length; k++) lanes[k] = LLVMConstInt(regType(t.scalar()), lane.apply(k), 1);
        return LLVMConstVector(pp(lanes), lanes.length);
    }

    private LLVMValueRef allOnes(int lanes) {
        return LLVMConstAllOnes(LLVMVectorType(i1, lanes));
    }

    /** A floating constant of the same (vector) type as {@code like}. */
    private LLVMValueRef floatConst(LLVMValueRef like, double v) {
        LLVMTypeRef type = LLVMTypeOf(like);
        if (LLVMGetTypeKind(type) != LLVMVectorTypeKind) return LLVMConstReal(type, v);
        return splat(LLVMConstReal(LLVMGetElementType(type), v), LLVMGetVectorSize(type));
    }

    private LLVMValueRef splat(LLVMValueRef scalar, int lanes) {
        if (lanes == 1) return scalar;
        LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(scalar), lanes);
        if (LLVMIsConstant(scalar) != 0) {
            Pointer[] xs = new Pointer[lanes];
            java.util.Arrays.fill(xs, scalar);
            return LLVMConstVector(pp(xs), lanes);
        }
        LLVMValueRef one = LLVMBuildInsertElement(b, LLVMGetPoison(vt), scalar, LLVMConstInt(i32, 0, 0), "");
        return LLVMBuildShuffleVector(b, one, LLVMGetPoison(vt), LLVMConstNull(LLVMVectorType(i32, lanes)), "");
    }

    private LLVMValueRef gep(LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef index) {
        return LLVMBuildGEP2(b, elem, base, pp(index), 1, "");
    }

    private LLVMValueRef load(LLVMTypeRef type, LLVMValueRef p, int align) {
        LLVMValueRef v = LLVMBuildLoad2(b, type, p, "");
        LLVMSetAlignment(v, align);
        return v;
    }

    private LLVMValueRef store(LLVMValueRef v, LLVMValueRef p, int align) {
        LLVMValueRef st = LLVMBuildStore(b, v, p);
        LLVMSetAlignment(st, align);
        return st;
    }

    private LLVMValueRef contract(LLVMValueRef v) {
        if (LLVMIsAInstruction(v) != null && !LLVMIsAInstruction(v).isNull() && LLVMCanValueUseFastMathFlags(v) != 0)
            LLVMSetFastMathFlags(v, LLVMFastMathAllowContract);
        return v;
    }

    private LLVMValueRef floatIntrinsic(String name, LLVMValueRef... args) {
        return intrinsic(name, new LLVMTypeRef[] {LLVMTypeOf(args[0])}, args);
    }

    private LLVMValueRef intrinsic(String name, LLVMTypeRef[] overloads, LLVMValueRef... args) {
        int id = LLVMLookupIntrinsicID(name, name.length());
        if (id == 0) throw new IllegalStateException("unknown LLVM intrinsic " + name);
        PointerPointer<?> types = pp(overloads);
        LLVMValueRef decl = LLVMGetIntrinsicDeclaration(mod, id, types, overloads.length);
        LLVMTypeRef type = LLVMIntrinsicGetType(ctx, id, types, overloads.length);
        return call(type, decl, List.of(args));
    }

    private LLVMValueRef call(LLVMTypeRef type, LLVMValueRef f, List<LLVMValueRef> args) {
        return LLVMBuildCall2(b, type, f, pp(args.toArray(new Pointer[0])), args.size(), "");
    }

    private LLVMBasicBlockRef block(String name) {
        return LLVMAppendBasicBlockInContext(ctx, fn.function, name);
    }

    private static PointerPointer<?> pp(Pointer... xs) {
        return xs.length == 0 ? new PointerPointer<>(1) : new PointerPointer<>(xs);
    }

    private static <K> void restore(Map<K, LLVMValueRef> map, K key, LLVMValueRef prev) {
        if (prev == null) map.remove(key);
        else map.put(key, prev);
    }
}
