package dev.tessera.target.gpu;

import dev.tessera.arith.ModularSet;
import dev.tessera.arith.Simplifier;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.Call;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.ExprMutator;
import dev.tessera.ir.ExprVisitor;
import dev.tessera.ir.FloatImm;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Reduce;
import dev.tessera.ir.Select;
import dev.tessera.ir.TensorRead;
import dev.tessera.ir.Var;
import dev.tessera.lower.device.DeviceProgram;
import dev.tessera.lower.device.GpuIndex;
import dev.tessera.lower.device.GpuKernel;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints the kernels of a {@link DeviceProgram} as C source. Everything the GPU dialects share
 * lives here: statements, expressions with Tessera's scalar semantics (floor division, saturating
 * float-to-integer casts), names, the launch-shape guards, 16-bit floats and vector code. A dialect
 * ({@link CudaSource}, {@link OpenClSource}) overrides only the hooks: how a kernel and its pointers
 * are declared, index spellings, memory scopes, the barrier, type and math-function names, bit
 * casts, half-precision conversion, vector types and vector loads and stores.
 *
 * <p><b>f16 and bf16</b> are computed in float and stored as their 16-bit patterns (an unsigned
 * 16-bit integer in every buffer, global or scratch): a load converts the bits to float, every
 * arithmetic result, call and cast of a 16-bit type is rounded back to it (round to nearest even),
 * a store keeps the rounded bits. That is the reference interpreter's definition (f32 arithmetic
 * rounded after every operation) and the LLVM backend's. Float has more than twice the precision
 * of either type plus two bits, so rounding a float-rounded sum, product, quotient or square root
 * again gives the correctly rounded 16-bit result: arithmetic matches the reference bit for bit;
 * math functions (float {@code expf} against the reference's double {@code exp}) may differ by one
 * 16-bit ulp. The f16 conversions are the dialect's ({@code cvt} instructions through inline PTX,
 * so CUDA needs no {@code cuda_fp16.h} under either nvcc or NVRTC; OpenCL's core
 * {@code vload_half}/{@code vstore_half_rte}, so no {@code cl_khr_fp16}); the bf16 ones are shared
 * integer code (round to nearest even, NaN kept quiet), the same as {@link dev.tessera.ir.Numerics}.
 * A device that flushes float denormals to zero differs on bf16 denormals.
 *
 * <p><b>Vector code</b> (loops vectorized by lowering: {@link dev.tessera.ir.Ramp} indices,
 * {@link dev.tessera.ir.Broadcast}s, vector loads and stores) is printed lane by lane: each lane's
 * arithmetic, selects and casts are the scalar expressions with Tessera's semantics (a GPU thread's
 * ALUs are scalar, so per-lane arithmetic costs nothing, and floor division or f16 rounding need no
 * vector variants), a vector-valued let is a small array. What the vector buys on a GPU is the
 * memory transaction: a dense (stride-1 {@code Ramp}), unpredicated load or store that the dialect
 * can do as one vector access ({@link #vectorAccessLanes}) is printed as one, split into chunks of
 * the widest access the dialect allows, and a dense load that the statement evaluates
 * unconditionally is read once, before the statement. Every other access (gathers, scatters,
 * predicated lanes, loads inside a select's branches) is one scalar access per lane, guarded by its
 * lane's predicate; a predicated store that would be a vector access (a vector reaching past the
 * end of a row) is printed twice, as that access when every lane is on and lane by lane otherwise.
 * The 16-bit conversion helpers are printed only into programs that use the type.
 */
public abstract class CSourceGenerator {
    // ------------------------------------------------------------------ dialect hooks

    /** Lines before the first kernel (pragmas, typedefs); the shared helpers follow them. */
    protected abstract String preamble();

    /** Qualifiers of a helper function, e.g. {@code __device__ inline}. */
    protected abstract String helperQualifiers();

    /** The start of a kernel definition up to its name, e.g. {@code extern "C" __global__ void}. */
    protected abstract String kernelQualifiers();

    /** A parameter pointing at global memory of {@code elementType}. */
    protected abstract String globalPointer(String elementType);

    /** The declaration qualifier of a per-block array. */
    protected abstract String sharedQualifier();

    /** The statement that waits for every thread of the block. */
    protected abstract String barrier();

    /** The value of a block or thread index as a 64-bit integer. */
    protected abstract String gpuIndex(LoopKind kind);

    /** The name of a scalar C type. */
    protected abstract String typeName(DType t);

    /** The name of a math function on {@code t}, e.g. {@code expf} or {@code exp}. */
    protected abstract String mathFunction(String name, DType t);

    /** Float (or double) to an integer type, truncating toward zero, saturating, NaN to 0. */
    protected abstract String floatToInt(DType to, String value);

    /** A float of type {@code t} with the given IEEE bits (for infinities and NaN). */
    protected abstract String floatFromBits(DType t, long bits);

    /** The suffix of a 64-bit integer literal. */
    protected abstract String int64Suffix();

    /** The threads of a warp that exchange registers directly, or 0 where the dialect has no shuffles (the tree in shared memory serves). */
    protected int warpSize() { return 0; }

    /** The value of {@code value} held by the lane whose index differs from this lane's by the bits of {@code laneMask}, within groups of {@code width} lanes. */
    protected String shuffleXor(String value, int laneMask, int width) {
        throw new IllegalStateException("this dialect has no warp shuffles");
    }

    // ------------------------------------------------------------------ dialect hooks: 16-bit floats and vector access

    /** The body of {@code float tsr_f16_to_f32(u16 h)}: the float that the IEEE half-precision bits {@code h} hold. */
    protected abstract String halfToFloatBody();

    /** The body of {@code u16 tsr_f32_to_f16(float f)}: the half-precision bits nearest {@code f}, ties to even. */
    protected abstract String floatToHalfBody();

    /** The bits of the float {@code value} as an unsigned 32-bit integer. */
    protected abstract String floatBits(String value);

    /** The float whose bits are the unsigned 32-bit integer {@code bits}. */
    protected abstract String bitsToFloat(String bits);

    /**
     * How many elements of {@code storage} one vector access moves, when {@code lanes} contiguous
     * elements are read or written in memory {@code scope} starting at an element index that is a
     * known multiple of {@code alignment} (a power of two); a divisor of {@code lanes}, or 1 where
     * the dialect has no such access. Buffers start at least 16-byte aligned.
     */
    protected abstract int vectorAccessLanes(DType storage, int lanes, long alignment, MemoryScope scope);

    /** The name of the vector type of {@code lanes} elements of {@code storage}, e.g. {@code float4}. */
    protected abstract String vectorType(DType storage, int lanes);

    /** A vector of {@code lanes} elements of {@code storage} read from {@code address} (a pointer expression). */
    protected abstract String vectorLoad(DType storage, int lanes, String address);

    /** The statement writing {@code values} (one expression per lane) to {@code address} as one vector. */
    protected abstract String vectorStore(DType storage, String address, List<String> values);

    /** Lane {@code lane} of the vector value {@code vector}. */
    protected abstract String vectorLane(String vector, int lane);

    // ------------------------------------------------------------------ the generator

    private static final DType U16 = new DType(DType.Code.UINT, 16, 1);
    private static final DType U32 = new DType(DType.Code.UINT, 32, 1);

    /** The source of every kernel of the program, ready for the dialect's compiler. */
    public final String generate(DeviceProgram program) {
        StringBuilder out = new StringBuilder();
        out.append("// Generated by Tessera for ").append(program.func().name()).append('\n');
        out.append(preamble());
        out.append(helpers());
        Set<DType> used = scalarTypes(program);
        if (used.contains(DType.F16)) out.append(halfHelpers());
        if (used.contains(DType.BF16)) out.append(bfloatHelpers());
        for (GpuKernel k : program.kernels()) out.append('\n').append(new KernelPrinter(k).print());
        return out.toString();
    }

    private String helpers() {
        String i64 = typeName(DType.I64), q = helperQualifiers();
        return q + " " + i64 + " tsr_floordiv(" + i64 + " a, " + i64 + " b) {\n"
                + "  if (b == 0) return 0;\n"
                + "  if (b == -1) return -a;\n"
                + "  " + i64 + " q = a / b;\n"
                + "  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;\n"
                + "}\n"
                + q + " " + i64 + " tsr_floormod(" + i64 + " a, " + i64 + " b) {\n"
                + "  if (b == 0 || b == -1) return 0;\n"
                + "  " + i64 + " r = a % b;\n"
                + "  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;\n"
                + "}\n";
    }

    private String halfHelpers() {
        String q = helperQualifiers(), u16 = typeName(U16), f = typeName(DType.F32);
        return "// f16: computed in float, rounded to nearest even after every operation, stored as its 16 bits.\n"
                + q + " " + f + " tsr_f16_to_f32(" + u16 + " h) { " + halfToFloatBody() + " }\n"
                + q + " " + u16 + " tsr_f32_to_f16(" + f + " f) { " + floatToHalfBody() + " }\n"
                + q + " " + f + " tsr_round_f16(" + f + " f) { return tsr_f16_to_f32(tsr_f32_to_f16(f)); }\n";
    }

    private String bfloatHelpers() {
        String q = helperQualifiers(), u16 = typeName(U16), u32 = typeName(U32), f = typeName(DType.F32);
        return "// bf16: computed in float, rounded to nearest even after every operation, stored as its 16 bits.\n"
                + q + " " + f + " tsr_bf16_to_f32(" + u16 + " h) { return " + bitsToFloat("((" + u32 + ")h) << 16") + "; }\n"
                + q + " " + u16 + " tsr_f32_to_bf16(" + f + " f) {\n"
                + "  const " + u32 + " b = " + floatBits("f") + ";\n"
                + "  if (f != f) return (" + u16 + ")((b >> 16) | 0x40u);  // NaN stays NaN (quiet)\n"
                + "  return (" + u16 + ")((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);  // round to nearest even\n"
                + "}\n"
                + q + " " + f + " tsr_round_bf16(" + f + " f) { return tsr_bf16_to_f32(tsr_f32_to_bf16(f)); }\n";
    }

    /** Every scalar dtype the program's kernels keep in memory or compute with. */
    private static Set<DType> scalarTypes(DeviceProgram program) {
        Set<DType> used = new HashSet<>();
        StmtVisitor visitor = new StmtVisitor() {
            @Override public void visit(Expr e) {
                used.add(e.type().scalar());
                visitChildren(e);
            }
        };
        for (GpuKernel k : program.kernels()) {
            k.buffers().forEach(b -> used.add(b.elementType()));
            k.scratch().forEach(b -> used.add(b.buffer().elementType()));
            visitor.visit(k.body());
        }
        return used;
    }

    private static final Set<String> RESERVED = Set.of("auto", "break", "case", "char", "const", "continue", "default", "do", "double",
            "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short",
            "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool", "half",
            "min", "max", "exp", "log", "sqrt", "abs", "floor", "ceil", "pow", "tanh", "erf", "fmin", "fmax", "rsqrt", "kernel", "global",
            "local", "private", "constant", "uchar", "ushort", "uint", "ulong", "new", "delete", "class", "template", "this", "true", "false");

    /** Vector type names and vector access functions of either dialect ({@code float4}, {@code vload8}, {@code make_uchar4}). */
    private static final java.util.regex.Pattern VECTOR_NAMES = java.util.regex.Pattern.compile(
            "(make_)?(u?char|u?short|u?int|u?long|(u?longlong)|float|double|half)(1|2|3|4|8|16)|v(load|store)(_half)?\\d*(_rte)?");

    /** Prints one kernel; names are unique per variable and buffer identity. */
    private final class KernelPrinter {
        private final GpuKernel kernel;
        private final StringBuilder out = new StringBuilder();
        private final Map<Object, String> names = new IdentityHashMap<>();
        private final Set<String> taken = new HashSet<>();
        private final Map<String, Integer> counters = new HashMap<>();
        private final Map<BufferRef, MemoryScope> scopes = new IdentityHashMap<>();
        /** What is known about let-bound integers modulo a number (for the alignment of vector accesses). */
        private final Map<Var, ModularSet> known = new HashMap<>();
        /** The dense vector loads of the statement being printed, read before it. */
        private final Map<Load, Hoisted> hoisted = new HashMap<>();

        /** A dense load read ahead as vectors of {@code width} lanes, one variable per chunk. */
        private record Hoisted(List<String> chunks, int width) {}

        /** A dense access of {@code lanes} elements from {@code pointer + base}, as vectors of {@code width} lanes. */
        private record Dense(String pointer, String base, int lanes, int width) {
            String address(int chunk) {
                return pointer + " + " + base + (chunk == 0 ? "" : " + " + chunk * width);
            }
        }

        KernelPrinter(GpuKernel kernel) {
            this.kernel = kernel;
            taken.add("tsr_floordiv");
            taken.add("tsr_floormod");
            kernel.buffers().forEach(b -> scopes.put(b, MemoryScope.GLOBAL));
            kernel.scratch().forEach(sb -> scopes.put(sb.buffer(), sb.scope()));
        }

        String print() {
            out.append(kernelQualifiers()).append(' ').append(kernel.name()).append('(');
            String sep = "";
            for (BufferRef b : kernel.buffers()) {
                out.append(sep).append(globalPointer(storageType(b.elementType()))).append(' ').append(name(b, b.name()));
                sep = ", ";
            }
            for (Var v : kernel.shapeParams()) {
                out.append(sep).append(typeName(DType.I64)).append(' ').append(name(v, v.name()));
                sep = ", ";
            }
            out.append(") {\n");
            for (GpuKernel.ScopedBuffer sb : kernel.scratch()) {
                String decl = storageType(sb.buffer().elementType()) + " " + name(sb.buffer(), sb.buffer().name()) + "[" + sb.elements() + "];";
                line(1, sb.scope() == MemoryScope.SHARED ? sharedQualifier() + " " + decl : decl);
            }
            stmt(kernel.body(), 1);
            out.append("}\n");
            return out.toString();
        }

        private String name(Object key, String hint) {
            String n = names.get(key);
            if (n != null) return n;
            String base = hint.replaceAll("[^A-Za-z0-9_]", "_");
            if (base.isEmpty() || Character.isDigit(base.charAt(0))) base = "v_" + base;
            if (RESERVED.contains(base) || VECTOR_NAMES.matcher(base).matches() || base.startsWith("tsr_") || base.startsWith("__")) base = base + "_";
            n = base;
            while (taken.contains(n)) n = base + "_" + counters.merge(base, 1, Integer::sum);
            taken.add(n);
            names.put(key, n);
            return n;
        }

        private String var(Var v) {
            LoopKind k = GpuIndex.kindOf(v);
            if (k != null) return gpuIndex(k);
            String n = names.get(v);
            if (n == null) throw new IllegalStateException("variable " + v + " is used before it is defined in kernel " + kernel.name());
            return n;
        }

        private void line(int indent, String text) {
            out.append("  ".repeat(indent)).append(text).append('\n');
        }

        private void stmt(Stmt s, int in) {
            switch (s) {
                case For f when f.kind().isGpu() -> {
                    String v = name(f.var(), f.var().name());
                    String index = gpuIndex(f.kind());
                    line(in, "{");
                    line(in + 1, "const " + typeName(DType.I64) + " " + v + " = " + expr(f.min()) + " + " + index + ";");
                    Long extent = dev.tessera.ir.Exprs.constInt(f.extent());
                    boolean exact = f.kind().isGpuBlock() || (extent != null && extent.equals(kernel.block().get(f.kind().gpuDimension())));
                    if (exact) {
                        stmt(f.body(), in + 1);
                    } else {
                        line(in + 1, "if (" + index + " < " + expr(f.extent()) + ") {");
                        stmt(f.body(), in + 2);
                        line(in + 1, "}");
                    }
                    line(in, "}");
                }
                case For f -> {
                    String v = name(f.var(), f.var().name());
                    String t = typeName(DType.I64);
                    line(in, "for (" + t + " " + v + " = " + expr(f.min()) + ", " + v + "_end = " + v + " + " + expr(f.extent()) + "; "
                            + v + " < " + v + "_end; ++" + v + ") {");
                    stmt(f.body(), in + 1);
                    line(in, "}");
                }
                case LetStmt l -> {
                    // Braces give each let its own scope: unrolled copies may bind the same variable twice in a row.
                    line(in, "{");
                    String v = name(l.var(), l.var().name());
                    DType t = l.var().type();
                    if (t.isVector()) {
                        // A vector value is an array of its lanes.
                        hoistDenseLoads(List.of(l.value()), in + 1);
                        line(in + 1, "const " + valueType(t.scalar()) + " " + v + "[" + t.lanes() + "] = {" + String.join(", ", lanes(l.value())) + "};");
                        hoisted.clear();
                    } else {
                        if (t.isIntegral()) known.put(l.var(), ModularSet.of(l.value(), this::knownAbout));
                        line(in + 1, "const " + valueType(t) + " " + v + " = " + expr(l.value()) + ";");
                    }
                    stmt(l.body(), in + 1);
                    line(in, "}");
                }
                case IfThenElse i -> {
                    line(in, "if (" + expr(i.cond()) + ") {");
                    stmt(i.then(), in + 1);
                    if (i.otherwise() != null) {
                        line(in, "} else {");
                        stmt(i.otherwise(), in + 1);
                    }
                    line(in, "}");
                }
                case Block b -> b.stmts().forEach(x -> stmt(x, in));
                case Store st -> {
                    if (st.index().type().isVector()) vectorStore(st, in);
                    else {
                        String target = name(st.buffer(), st.buffer().name()) + "[" + expr(st.index()) + "]";
                        String assign = target + " = " + toStorage(st.buffer().elementType(), expr(st.value())) + ";";
                        line(in, st.predicate() == null ? assign : "if (" + expr(st.predicate()) + ") " + assign);
                    }
                }
                case Barrier b -> line(in, barrier());
                case CrossThreadReduce r -> {
                    line(in, "// " + r.reducer().name() + " across " + r.thread().threadTag() + " < " + r.extent());
                    line(in, "{");
                    new ThreadCombiner(r, in + 1).print();
                    line(in, "}");
                    stmt(r.update(), in);
                }
                case Prefetch p -> {}
                case Allocate a -> throw new IllegalStateException("allocation " + a.buffer() + " inside a kernel body: the device split hoists them");
                case Provide p -> throw new IllegalStateException("the GPU code generator runs on flattened IR");
                case Realize r -> throw new IllegalStateException("the GPU code generator runs on flattened IR");
            }
        }

        /**
         * Prints the combination of a cross-thread reduction's partials: every thread of the block
         * runs it and ends with its group's combined values in its partials. Groups are the threads
         * that differ only in the reduction's dimension. Threads past the reduction's extent
         * contribute the identity. Where the dialect has warp shuffles and a group is a power of two
         * of whole warps or fits in one, registers are exchanged directly (per warp, then through
         * shared memory across warps); otherwise a tree in shared memory halves the active threads
         * each step, with a barrier between steps.
         */
        private final class ThreadCombiner {
            private final CrossThreadReduce r;
            private final int in;
            private final int d;
            private final long dim, stride, threads;

            ThreadCombiner(CrossThreadReduce r, int in) {
                this.r = r;
                this.in = in;
                this.d = r.thread().gpuDimension();
                List<Long> block = kernel.block();
                this.dim = block.get(d);
                this.stride = d == 0 ? 1 : d == 1 ? block.get(0) : block.get(0) * block.get(1);
                this.threads = block.get(0) * block.get(1) * block.get(2);
            }

            void print() {
                String i64 = typeName(DType.I64);
                String lin = name(new Object(), "tsr_lane");
                String t = name(new Object(), "tsr_t");
                line(in, "const " + i64 + " " + t + " = " + gpuIndex(r.thread()) + ";");
                line(in, "const " + i64 + " " + lin + " = " + linearThread() + ";");
                int warp = warpSize();
                boolean shuffles = warp > 0 && d == 0 && Long.bitCount(dim) == 1 && threads % warp == 0
                        && r.partials().stream().allMatch(p -> shuffleable(p.elementType()));
                List<String> values = new ArrayList<>();
                for (int v = 0; v < r.reducer().arity(); v++) {
                    BufferRef p = r.partials().get(v);
                    String name = name(new Object(), "tsr_v" + v);
                    values.add(name);
                    line(in, valueType(p.elementType()) + " " + name + " = " + t + " < " + r.extent() + intSuffix() + " ? "
                            + fromStorage(v, partial(v)) + " : " + expr(r.reducer().identity().get(v)) + ";");
                }
                if (shuffles && dim <= warp) {
                    warpCombine(values, (int) dim);
                } else if (shuffles && dim % warp == 0) {
                    warpCombine(values, warp);
                    // Lane 0 of each warp publishes its warp's value; every thread then folds its group's warps.
                    String lane0 = "(" + lin + " % " + warp + intSuffix() + " == 0)";
                    for (int v = 0; v < values.size(); v++)
                        line(in, "if " + lane0 + " " + tree(v) + "[" + lin + " / " + warp + intSuffix() + "] = " + toStorage(v, values.get(v)) + ";");
                    line(in, barrier());
                    String first = "((" + lin + " - " + t + ") / " + warp + intSuffix() + ")";
                    for (int v = 0; v < values.size(); v++)
                        line(in, values.get(v) + " = " + fromStorage(v, tree(v) + "[" + first + "]") + ";");
                    for (long w = 1; w < dim / warp; w++) {
                        List<String> others = new ArrayList<>();
                        for (int v = 0; v < values.size(); v++) others.add(fromStorage(v, tree(v) + "[" + first + " + " + w + intSuffix() + "]"));
                        combineInto(values, others);
                    }
                    line(in, barrier());
                } else {
                    sharedTree(values, lin, t);
                }
                for (int v = 0; v < values.size(); v++) line(in, partial(v) + " = " + toStorage(v, values.get(v)) + ";");
            }

            private void warpCombine(List<String> values, int width) {
                for (int m = width / 2; m >= 1; m /= 2) {
                    List<String> others = new ArrayList<>();
                    for (String v : values) others.add(shuffleXor(v, m, width));
                    combineInto(values, others);
                }
            }

            private void sharedTree(List<String> values, String lin, String t) {
                for (int v = 0; v < values.size(); v++) line(in, tree(v) + "[" + lin + "] = " + toStorage(v, values.get(v)) + ";");
                line(in, barrier());
                long p = Long.highestOneBit(dim);
                if (p < dim) p *= 2;
                for (long half = p / 2; half >= 1; half /= 2) {
                    line(in, "if (" + t + " < " + half + intSuffix() + " && " + t + " + " + half + intSuffix() + " < " + dim + intSuffix() + ") {");
                    List<String> mine = new ArrayList<>(), others = new ArrayList<>();
                    for (int v = 0; v < values.size(); v++) {
                        mine.add(fromStorage(v, tree(v) + "[" + lin + "]"));
                        others.add(fromStorage(v, tree(v) + "[" + lin + " + " + (half * stride) + intSuffix() + "]"));
                    }
                    List<String> combined = combine(mine, others, in + 1);
                    for (int v = 0; v < values.size(); v++) line(in + 1, tree(v) + "[" + lin + "] = " + toStorage(v, combined.get(v)) + ";");
                    line(in, "}");
                    line(in, barrier());
                }
                for (int v = 0; v < values.size(); v++)
                    line(in, values.get(v) + " = " + fromStorage(v, tree(v) + "[" + lin + " - " + t + " * " + stride + intSuffix() + "]") + ";");
                // Nobody may start the next use of the tree while others still read this result.
                line(in, barrier());
            }

            /** Replaces {@code values} by their combination with {@code others}, all computed before any is assigned. */
            private void combineInto(List<String> values, List<String> others) {
                line(in, "{");
                List<String> combined = combine(values, others, in + 1);
                for (int v = 0; v < values.size(); v++) line(in + 1, values.get(v) + " = " + combined.get(v) + ";");
                line(in, "}");
            }

            /** Declares the reducer's lhs and rhs and the combined values at {@code indent}; returns the combined values' names. */
            private List<String> combine(List<String> lhs, List<String> rhs, int indent) {
                var red = r.reducer();
                for (int v = 0; v < red.arity(); v++) {
                    DType ty = red.types().get(v);
                    line(indent, "const " + valueType(ty) + " " + freshName(red.lhs().get(v)) + " = " + lhs.get(v) + ";");
                    line(indent, "const " + valueType(ty) + " " + freshName(red.rhs().get(v)) + " = " + rhs.get(v) + ";");
                }
                List<String> out = new ArrayList<>();
                for (int v = 0; v < red.arity(); v++) {
                    String c = name(new Object(), "tsr_c" + v);
                    line(indent, "const " + valueType(red.types().get(v)) + " " + c + " = " + expr(red.combine().get(v)) + ";");
                    out.add(c);
                }
                return out;
            }

            /** Names {@code v} afresh: the reducer's variables are declared once per combining step, each in its own scope. */
            private String freshName(Var v) {
                names.remove(v);
                return name(v, v.name());
            }

            private String linearThread() {
                List<Long> b = kernel.block();
                String x = gpuIndex(LoopKind.THREAD_X), y = gpuIndex(LoopKind.THREAD_Y), z = gpuIndex(LoopKind.THREAD_Z);
                String e = x;
                if (b.get(1) > 1) e = e + " + " + b.get(0) + intSuffix() + " * " + y;
                if (b.get(2) > 1) e = e + " + " + (b.get(0) * b.get(1)) + intSuffix() + " * " + z;
                return "(" + e + ")";
            }

            private String partial(int v) { return name(r.partials().get(v), r.partials().get(v).name()) + "[0]"; }

            private String tree(int v) { return name(r.scratch().get(v), r.scratch().get(v).name()); }

            private String toStorage(int v, String value) { return CSourceGenerator.this.toStorage(r.partials().get(v).elementType(), value); }

            private String fromStorage(int v, String value) { return CSourceGenerator.this.fromStorage(r.partials().get(v).elementType(), value); }

            private String intSuffix() { return int64Suffix(); }
        }

        private ModularSet knownAbout(Var v) {
            return known.getOrDefault(v, ModularSet.everything());
        }

        // -------------------------------------------------------------- vector statements

        /**
         * A store of several lanes: dense and unpredicated as vector stores where the dialect has
         * them, else one scalar store per lane. A predicated lane's index and value are evaluated
         * only when its predicate holds, as in the scalar loop. A predicated store that would
         * otherwise be one vector access is printed twice: as that access when every lane is on,
         * lane by lane otherwise.
         */
        private void vectorStore(Store st, int in) {
            Expr p = st.predicate();
            if (p != null && dense(st.buffer(), st.index()) != null) {
                // A vector with lanes off (at the end of a row, say) is rare: when every lane is on, one vector access.
                line(in, "if (" + allLanes(p) + ") {");
                Expr value = new ExprMutator() {
                    @Override public Expr mutate(Expr e) {
                        if (e instanceof Load l && p.equals(l.predicate())) return new Load(l.buffer(), mutate(l.index()));
                        return mutateChildren(e);
                    }
                }.mutate(st.value());
                lanewiseStore(new Store(st.buffer(), st.index(), value), in + 1);
                line(in, "} else {");
                lanewiseStore(st, in + 1);
                line(in, "}");
            } else {
                lanewiseStore(st, in);
            }
        }

        /** Whether every lane of the bool vector {@code p} is true, as a scalar C condition. */
        private String allLanes(Expr p) {
            int last = p.type().lanes() - 1;
            if (p instanceof Binary(Binary.Op op, Expr a, Expr b)) {
                if (op == Binary.Op.AND) return "(" + allLanes(a) + " && " + allLanes(b) + ")";
                // A rising ramp against a bound: every lane is below it when the last is, above it when the first is.
                boolean below = op == Binary.Op.LT || op == Binary.Op.LE, above = op == Binary.Op.GT || op == Binary.Op.GE;
                if (rising(a) && b instanceof Broadcast && (below || above)) return lane(p, below ? last : 0);
                if (a instanceof Broadcast && rising(b) && (below || above)) return lane(p, above ? last : 0);
            }
            if (p instanceof Broadcast bc) return expr(bc.value());
            return "(" + String.join(" && ", lanes(p)) + ")";
        }

        private static boolean rising(Expr e) {
            return e instanceof Ramp r && r.stride() instanceof IntImm s && s.value() >= 0;
        }

        private void lanewiseStore(Store st, int in) {
            BufferRef b = st.buffer();
            DType elem = b.elementType();
            int lanes = st.index().type().lanes();
            line(in, "{");
            hoistDenseLoads(st.predicate() == null ? List.of(st.index(), st.value()) : List.of(st.predicate()), in + 1);
            Dense d = st.predicate() == null ? dense(b, st.index()) : null;
            if (d != null) {
                for (int c = 0; c < lanes / d.width(); c++) {
                    List<String> values = new ArrayList<>();
                    for (int k = c * d.width(); k < (c + 1) * d.width(); k++) values.add(toStorage(elem, lane(st.value(), k)));
                    line(in + 1, CSourceGenerator.this.vectorStore(storageDType(elem), d.address(c), values));
                }
            } else {
                String buffer = name(b, b.name());
                for (int k = 0; k < lanes; k++) {
                    String assign = buffer + "[" + lane(st.index(), k) + "] = " + toStorage(elem, lane(st.value(), k)) + ";";
                    line(in + 1, st.predicate() == null ? assign : "if (" + lane(st.predicate(), k) + ") " + assign);
                }
            }
            hoisted.clear();
            line(in, "}");
        }

        /** The dense access of {@code b} at {@code index} as vectors, or null if it is not one or the dialect has none for it. */
        private Dense dense(BufferRef b, Expr index) {
            if (!(index instanceof Ramp r) || !(r.stride() instanceof IntImm s) || s.value() != 1) return null;
            long alignment = ModularSet.of(r.base(), this::knownAbout).powerOfTwoFactor();
            int width = vectorAccessLanes(storageDType(b.elementType()), r.lanes(), alignment, scopes.get(b));
            if (width <= 1 || r.lanes() % width != 0) return null;
            return new Dense(name(b, b.name()), expr(r.base()), r.lanes(), width);
        }

        /** Declares the dense loads that evaluating {@code roots} always performs, read once as vectors. */
        private void hoistDenseLoads(List<Expr> roots, int in) {
            Set<Load> found = new LinkedHashSet<>();
            ExprVisitor unconditional = new ExprVisitor() {
                @Override public void visit(Expr e) {
                    // C evaluates a select's sides and the right side of && and || only when needed;
                    // a predicated load reads (and computes its index) only in the lanes it selects.
                    if (e instanceof Select s) visit(s.cond());
                    else if (e instanceof Binary bin && bin.op().isLogical()) visit(bin.a());
                    else if (e instanceof Load l && l.predicate() != null) visit(l.predicate());
                    else {
                        if (e instanceof Load l && l.type().isVector()) found.add(l);
                        visitChildren(e);
                    }
                }
            };
            roots.forEach(unconditional::visit);
            for (Load l : found) {
                if (hoisted.containsKey(l)) continue;
                Dense d = dense(l.buffer(), l.index());
                if (d == null) continue;
                DType storage = storageDType(l.buffer().elementType());
                List<String> chunks = new ArrayList<>();
                int count = d.lanes() / d.width();
                for (int c = 0; c < count; c++) {
                    String hint = count == 1 ? "_vec" : "_lanes" + c * d.width() + "_" + ((c + 1) * d.width() - 1);
                    String v = name(new Object(), l.buffer().name() + hint);
                    line(in, "const " + vectorType(storage, d.width()) + " " + v + " = " + vectorLoad(storage, d.width(), d.address(c)) + ";");
                    chunks.add(v);
                }
                hoisted.put(l, new Hoisted(chunks, d.width()));
            }
        }

        private List<String> lanes(Expr e) {
            List<String> out = new ArrayList<>();
            for (int k = 0; k < e.type().lanes(); k++) out.add(lane(e, k));
            return out;
        }

        // -------------------------------------------------------------- expressions

        private String expr(Expr e) {
            if (e.type().isVector()) throw new IllegalStateException("vector " + e.type() + " where the GPU code generator expects a scalar: " + e);
            return lane(e, 0);
        }

        /** Lane {@code k} of {@code e} as a scalar C expression (a scalar is the same in every lane). */
        private String lane(Expr e, int k) {
            return switch (e) {
                case IntImm i -> intLiteral(i.value(), i.type());
                case FloatImm f -> floatLiteral(f.value(), computeType(f.type()));
                case Var v -> v.type().isVector() ? var(v) + "[" + k + "]" : var(v);
                case Binary b -> binary(b.op(), b.a().type().scalar(), lane(b.a(), k), lane(b.b(), k));
                case Not n -> "(!" + lane(n.a(), k) + ")";
                case Select s -> "(" + lane(s.cond(), k) + " ? " + lane(s.t(), k) + " : " + lane(s.f(), k) + ")";
                case Cast c -> cast(c.type().scalar(), c.value().type().scalar(), lane(c.value(), k));
                case Call c -> call(c.fn(), c.type().scalar(), c.args().stream().map(a -> lane(a, k)).toList());
                case Load l -> load(l, k);
                case Ramp r -> {
                    if (k == 0) yield lane(r.base(), 0);
                    // base + k * stride, simplified (constant offsets fold into the base's).
                    Expr step = new Binary(Binary.Op.MUL, r.stride(), new IntImm(k, r.stride().type()));
                    yield lane(Simplifier.simplify(new Binary(Binary.Op.ADD, r.base(), step)), 0);
                }
                case Broadcast b -> lane(b.value(), 0);
                case TensorRead t -> throw new IllegalStateException("the GPU code generator runs on flattened IR, got " + t);
                case Reduce r -> throw new IllegalStateException("the GPU code generator runs on lowered IR, got " + r);
            };
        }

        private String load(Load l, int k) {
            DType elem = l.buffer().elementType();
            // A predicated load of what the statement reads anyway takes the lane read ahead.
            Hoisted h = hoisted.get(l.predicate() == null ? l : new Load(l.buffer(), l.index()));
            String load = h != null ? fromStorage(elem, vectorLane(h.chunks().get(k / h.width()), k % h.width()))
                    : fromStorage(elem, name(l.buffer(), l.buffer().name()) + "[" + lane(l.index(), k) + "]");
            return l.predicate() == null ? load : "(" + lane(l.predicate(), k) + " ? " + load + " : " + zero(elem) + ")";
        }

        private String binary(Binary.Op op, DType t, String x, String y) {
            if (t.isFloat()) {
                DType ct = computeType(t);
                return switch (op) {
                    // Each step rounded, as the reference computes it.
                    case MOD -> arithmetic(t, x + " - " + rounded(t, y + " * " + mathFunction("floor", ct) + "(" + rounded(t, x + " / " + y) + ")"));
                    case MIN -> mathFunction("fmin", ct) + "(" + x + ", " + y + ")";
                    case MAX -> mathFunction("fmax", ct) + "(" + x + ", " + y + ")";
                    case ADD, SUB, MUL, DIV -> arithmetic(t, x + " " + op.symbol + " " + y);
                    case EQ, NE, LT, LE, GT, GE -> "(" + x + " " + op.symbol + " " + y + ")";
                    case AND, OR -> throw new IllegalStateException(op + " on " + t);
                };
            }
            return switch (op) {
                case DIV -> "((" + typeName(t) + ")tsr_floordiv(" + x + ", " + y + "))";
                case MOD -> "((" + typeName(t) + ")tsr_floormod(" + x + ", " + y + "))";
                case MIN -> "(" + x + " < " + y + " ? " + x + " : " + y + ")";
                case MAX -> "(" + x + " > " + y + " ? " + x + " : " + y + ")";
                case ADD, SUB, MUL -> t.bits() < 32 && !t.isBool()
                        ? "((" + typeName(t) + ")(" + x + " " + op.symbol + " " + y + "))" // wrap back to the narrow type
                        : "(" + x + " " + op.symbol + " " + y + ")";
                case EQ, NE, LT, LE, GT, GE, AND, OR -> "(" + x + " " + op.symbol + " " + y + ")";
            };
        }

        private String cast(DType to, DType from, String v) {
            if (to.equals(from)) return v;
            if (to.isBool()) return "(" + v + " != 0)";
            if (to.isFloat()) {
                DType ct = computeType(to);
                // f16 and bf16 values already are floats; f64 and integers convert to float, then round.
                String converted = from.isFloat() && computeType(from).equals(ct) ? v : "((" + typeName(ct) + ")" + v + ")";
                return rounded(to, converted);
            }
            if (from.isFloat()) return floatToInt(to, v);
            return "((" + typeName(to) + ")" + v + ")";
        }

        private String call(Call.Fn fn, DType t, List<String> args) {
            String x = args.get(0);
            if (!t.isFloat()) {
                if (fn == Call.Fn.ABS) return "(" + x + " < 0 ? -" + x + " : " + x + ")";
                throw new IllegalStateException(fn + " on " + t);
            }
            DType ct = computeType(t);
            String r = switch (fn) {
                case SIGMOID -> "(" + floatLiteral(1, ct) + " / (" + floatLiteral(1, ct) + " + " + mathFunction("exp", ct) + "(-" + x + ")))";
                case ABS -> mathFunction("fabs", ct) + "(" + x + ")";
                case POW -> mathFunction("pow", ct) + "(" + x + ", " + args.get(1) + ")";
                case EXP, LOG, SQRT, RSQRT, TANH, FLOOR, CEIL, ERF -> mathFunction(fn.lowerName(), ct) + "(" + x + ")";
            };
            return rounded(t, r);
        }

        private String zero(DType t) {
            return t.isFloat() ? floatLiteral(0, computeType(t)) : intLiteral(0, t);
        }
    }

    /** Whether warp shuffles move values of {@code t} (32- and 64-bit numbers). */
    private static boolean shuffleable(DType t) {
        return !t.isBool() && (t.bits() == 32 || t.bits() == 64);
    }

    private String intLiteral(long v, DType t) {
        if (t.isBool()) return v != 0 ? "true" : "false";
        if (t.equals(DType.I64)) return v == Long.MIN_VALUE ? "(-9223372036854775807" + int64Suffix() + " - 1)" : v + int64Suffix();
        return "((" + typeName(t) + ")" + v + ")";
    }

    /** A literal of {@code t}, f32 or f64 (the 16-bit types are computed in f32). */
    private String floatLiteral(double v, DType t) {
        if (t.bits() == 32) {
            float f = (float) v;
            if (!Float.isFinite(f)) return floatFromBits(t, Float.floatToRawIntBits(f) & 0xffffffffL);
            return Float.toHexString(f) + "f";
        }
        if (!Double.isFinite(v)) return floatFromBits(t, Double.doubleToRawLongBits(v));
        return Double.toHexString(v);
    }

    // ------------------------------------------------------------------ 16-bit floats

    private static boolean isF16(DType t) { return t.code() == DType.Code.FLOAT && t.bits() == 16; }
    private static boolean isBf16(DType t) { return t.code() == DType.Code.BFLOAT; }

    /** The dtype values of {@code t} are computed in: f32 for f16 and bf16, else {@code t}. */
    private static DType computeType(DType t) {
        return isF16(t) || isBf16(t) ? DType.F32 : t;
    }

    /** The dtype buffers of {@code t} hold: a byte for bool, the 16-bit pattern for f16 and bf16, else {@code t}. */
    private static DType storageDType(DType t) {
        if (t.isBool()) return DType.U8;
        return isF16(t) || isBf16(t) ? U16 : t;
    }

    /** The C type that values of {@code t} are computed in. */
    private String valueType(DType t) {
        return typeName(computeType(t));
    }

    /** The C type that buffers of {@code t} hold. */
    private String storageType(DType t) {
        return typeName(storageDType(t));
    }

    /** A float computed for a value of {@code t}, rounded to {@code t} where that is a 16-bit type. */
    private static String rounded(DType t, String value) {
        if (isF16(t)) return "tsr_round_f16(" + value + ")";
        if (isBf16(t)) return "tsr_round_bf16(" + value + ")";
        return value;
    }

    /** An arithmetic result of {@code t}: parenthesized, and rounded to the 16-bit types. */
    private static String arithmetic(DType t, String value) {
        return isF16(t) || isBf16(t) ? rounded(t, value) : "(" + value + ")";
    }

    private String fromStorage(DType t, String v) {
        if (t.isBool()) return "(" + v + " != 0)";
        if (isF16(t)) return "tsr_f16_to_f32(" + v + ")";
        if (isBf16(t)) return "tsr_bf16_to_f32(" + v + ")";
        return v;
    }

    private String toStorage(DType t, String v) {
        if (t.isBool()) return "((" + typeName(DType.U8) + ")" + v + ")";
        if (isF16(t)) return "tsr_f32_to_f16(" + unrounded(v, "tsr_round_f16(") + ")";
        if (isBf16(t)) return "tsr_f32_to_bf16(" + unrounded(v, "tsr_round_bf16(") + ")";
        return v;
    }

    /** {@code v} without an outermost call of {@code round} (the conversion to bits rounds alike). */
    private static String unrounded(String v, String round) {
        if (!v.startsWith(round) || !v.endsWith(")")) return v;
        int depth = 0;
        for (int i = round.length() - 1; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch == '(') depth++;
            else if (ch == ')' && --depth == 0) return i == v.length() - 1 ? v.substring(round.length(), i) : v;
        }
        return v;
    }
}
