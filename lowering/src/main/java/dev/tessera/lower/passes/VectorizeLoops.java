package dev.tessera.lower.passes;

import dev.tessera.TesseraUserError;
import dev.tessera.arith.Simplifier;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.Call;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Exprs;
import dev.tessera.ir.Load;
import dev.tessera.ir.Not;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Select;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.Allocate;
import dev.tessera.lower.ir.Barrier;
import dev.tessera.lower.ir.CrossThreadReduce;
import dev.tessera.lower.ir.Block;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Provide;
import dev.tessera.lower.ir.Realize;
import dev.tessera.lower.ir.Prefetch;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.StmtMutator;
import dev.tessera.lower.ir.StmtVisitor;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns each loop marked VECTORIZED (constant extent n) into straight-line vector code of n lanes:
 * the loop variable becomes {@code ramp(min, 1, n)}, scalars meeting vectors are broadcast, loads
 * and stores become dense vector accesses (or gathers and scatters), and guards on the loop
 * variable become predicates on the stores and loads they protect. Innermost vectorized loops go
 * first; a vectorized loop whose body is already vector code, or that cannot be expressed as
 * vectors (a loop bound or a single address that varies with the lane), runs as a serial loop
 * (an unrolled one on GPU targets). Requires flattened IR.
 */
public final class VectorizeLoops {
    private VectorizeLoops() {}

    /** The lane counts a vectorized loop keeps on a GPU target (see {@link #keepGpuWidths}). */
    private static final Set<Long> GPU_LANES = Set.of(2L, 4L, 8L, 16L);

    /**
     * Prepares the vectorized loops of a GPU kernel, whose threads are scalar: a loop of 2, 4, 8 or
     * 16 lanes (constant extent) with no GPU-bound loop inside stays vectorized (the code generators
     * print its arithmetic lane by lane and its dense accesses as vector loads and stores); any other
     * is marked unrolled (constant extent) or serial instead, so that {@link UnrollLoops} makes one
     * scalar copy per lane.
     */
    public static Stmt keepGpuWidths(Stmt s) {
        return new StmtMutator() {
            @Override public Stmt mutate(Stmt x) {
                Stmt m = mutateChildren(x);
                if (!(m instanceof For f) || f.kind() != LoopKind.VECTORIZED) return m;
                Long n = Exprs.constInt(Simplifier.simplify(f.extent()));
                if (n != null && GPU_LANES.contains(n) && !containsGpuLoops(f.body())) return m;
                return new For(f.var(), f.min(), f.extent(), n != null ? LoopKind.UNROLLED : LoopKind.SERIAL, f.body());
            }
        }.mutate(s);
    }

    private static boolean containsGpuLoops(Stmt s) {
        boolean[] found = {false};
        new StmtVisitor() {
            @Override public void visit(Stmt x) {
                if (x instanceof For f && f.kind().isGpu()) found[0] = true;
                else visitChildren(x);
            }
            @Override public void visit(Expr e) {}
        }.visit(s);
        return found[0];
    }

    /** Vectorizes with serial loops as the fallback, for CPU targets. */
    public static Stmt apply(Stmt s) {
        return apply(s, LoopKind.SERIAL);
    }

    /**
     * Vectorizes every loop marked VECTORIZED; one that cannot be vectors becomes a loop of kind
     * {@code fallback} (serial on CPUs; unrolled on GPUs, whose threads run one copy per lane).
     */
    public static Stmt apply(Stmt s, LoopKind fallback) {
        return new StmtMutator() {
            @Override public Stmt mutate(Stmt x) {
                Stmt m = mutateChildren(x);
                if (!(m instanceof For f) || f.kind() != LoopKind.VECTORIZED) return m;
                Long n = Exprs.constInt(Simplifier.simplify(f.extent()));
                if (n == null)
                    throw new TesseraUserError("vectorize(" + f.var().name() + "): the loop extent " + f.extent()
                            + " is not a constant; split the loop by a constant factor and vectorize the inner loop");
                if (n <= 1 || n > 1024 || containsVectors(f.body()))
                    return new For(f.var(), f.min(), f.extent(), fallback, f.body());
                try {
                    Vectorizer v = new Vectorizer(n.intValue());
                    v.replacements.put(f.var(), new Ramp(f.min(), dev.tessera.dsl.Te.c(1), n.intValue()));
                    return v.stmt(f.body());
                } catch (CannotVectorize e) {
                    return new For(f.var(), f.min(), f.extent(), fallback, f.body());
                }
            }
        }.mutate(s);
    }

    private static boolean containsVectors(Stmt s) {
        boolean[] found = {false};
        new StmtVisitor() {
            @Override public void visit(Expr e) {
                if (e.type().isVector()) found[0] = true;
                else visitChildren(e);
            }
        }.visit(s);
        return found[0];
    }

    private static final class CannotVectorize extends RuntimeException {
        CannotVectorize() { super(null, null, false, false); }
    }

    private static final class Vectorizer {
        final int lanes;
        final Map<Var, Expr> replacements = new HashMap<>();
        /** The scalar values of the lets that became vectors, earlier such lets substituted in. */
        final Map<Var, Expr> laneLetValues = new HashMap<>();
        Expr predicate; // lanes that run the current statement, or null for all
        /**
         * Whether every condition in {@link #predicate} is a lane-dependent guard of a then-branch.
         * A load whose address is the same in every lane cannot be made invalid by such a guard
         * (its address does not involve the lane), so it is done once, unpredicated, and broadcast.
         * A user's select may tie its condition to an address, so under one this does not hold.
         */
        boolean invariantLoadsSafe = true;
        /**
         * {@link #index} results since the last lane-dependent let. Unrolled bodies repeat the same
         * indices many times (Winograd's transforms: 9 in 10 of the indices of a kernel), and each
         * costs two simplifications; a new lane let can change what an index vectorizes to.
         */
        private final Map<IndexKey, Expr> indexCache = new HashMap<>();

        private record IndexKey(Expr scalarIndex, Expr predicate, boolean invariantLoadsSafe) {}

        Vectorizer(int lanes) { this.lanes = lanes; }

        Stmt stmt(Stmt s) {
            return switch (s) {
                case For f -> {
                    Expr min = expr(f.min()), ext = expr(f.extent());
                    if (min.type().isVector() || ext.type().isVector()) throw new CannotVectorize();
                    yield new For(f.var(), min, ext, f.kind(), stmt(f.body()));
                }
                case LetStmt l -> {
                    Expr v = expr(l.value());
                    if (!v.type().isVector()) yield new LetStmt(l.var(), v, stmt(l.body()));
                    Var nv = l.var().copy(v.type());
                    replacements.put(l.var(), nv);
                    laneLetValues.put(l.var(), Exprs.substitute(l.value(), laneLetValues));
                    indexCache.clear();
                    yield new LetStmt(nv, v, stmt(l.body()));
                }
                case IfThenElse i -> {
                    Expr c = expr(i.cond());
                    if (!c.type().isVector())
                        yield new IfThenElse(c, stmt(i.then()), i.otherwise() == null ? null : stmt(i.otherwise()));
                    Expr saved = predicate;
                    boolean savedSafe = invariantLoadsSafe;
                    Stmt result;
                    if (i.otherwise() == null) {
                        // Conjuncts the same in every lane stay a branch; only the others predicate lanes.
                        List<Expr> scalar = new ArrayList<>(), vector = new ArrayList<>();
                        for (Expr x : conjuncts(c)) (x.type().isVector() ? vector : scalar).add(x);
                        for (Expr x : vector) predicate = and(predicate, x);
                        Stmt t = stmt(i.then());
                        result = scalar.isEmpty() ? t : new IfThenElse(scalar.stream().reduce((a, b) -> new Binary(Binary.Op.AND, a, b)).get(), t, null);
                    } else {
                        invariantLoadsSafe = false;
                        predicate = and(saved, c);
                        Stmt t = stmt(i.then());
                        predicate = and(saved, new Not(c));
                        Stmt o = stmt(i.otherwise());
                        result = Block.of(t, o);
                    }
                    predicate = saved;
                    invariantLoadsSafe = savedSafe;
                    yield result;
                }
                case Block b -> {
                    List<Stmt> out = new ArrayList<>();
                    for (Stmt x : b.stmts()) out.add(stmt(x));
                    yield Block.of(out);
                }
                case Store st -> {
                    Expr idx = index(st.index()), val = expr(st.value());
                    Expr p = st.predicate() == null ? null : expr(st.predicate());
                    if (!idx.type().isVector()) {
                        // One address for every lane: fine only when nothing varies with the lane.
                        if (val.type().isVector() || predicate != null || (p != null && p.type().isVector())) throw new CannotVectorize();
                        yield new Store(st.buffer(), idx, val, p);
                    }
                    Expr pred = and(predicate, p == null ? null : widen(p));
                    yield new Store(st.buffer(), idx, widen(val), pred);
                }
                case Allocate a -> throw new CannotVectorize();
                case Prefetch p -> {
                    // One line per vector: the first lane's (a hint needs no predicate).
                    Expr idx = expr(p.index());
                    if (idx instanceof Ramp r) yield new Prefetch(p.buffer(), r.base());
                    yield idx.type().isVector() ? Block.of(List.of()) : new Prefetch(p.buffer(), idx);
                }
                case Barrier b -> throw new IllegalStateException("barriers are inserted after vectorization");
                case CrossThreadReduce r -> throw new CannotVectorize(); // all threads of a block take part: never inside a vector loop
                case Provide p -> throw new IllegalStateException("vectorize runs after storage flattening");
                case Realize r -> throw new IllegalStateException("vectorize runs after storage flattening");
            };
        }

        /**
         * The vector index of an access. A lane-dependent let can hide that an index is dense: with
         * p the lane's pixel, {@code y = p / 56} and {@code x = p % 56}, the index {@code y*56 + x}
         * is {@code p}, which the simplifier sees only in the scalar index with the lets substituted.
         * That form is taken when the direct one is not a ramp (else it would be a gather or scatter).
         */
        private Expr index(Expr scalarIndex) {
            IndexKey key = new IndexKey(scalarIndex, predicate, invariantLoadsSafe);
            Expr known = indexCache.get(key);
            if (known != null) return known;
            Expr result = vectorIndex(scalarIndex);
            indexCache.put(key, result);
            return result;
        }

        private Expr vectorIndex(Expr scalarIndex) {
            Expr direct = expr(scalarIndex);
            if (!direct.type().isVector() || laneLetValues.isEmpty() || Simplifier.simplify(direct) instanceof Ramp) return direct;
            Expr inlined = Simplifier.simplify(Exprs.substitute(scalarIndex, laneLetValues));
            Expr viaScalar = Simplifier.simplify(expr(inlined));
            return viaScalar instanceof Ramp ? viaScalar : direct;
        }

        private static List<Expr> conjuncts(Expr e) {
            if (e instanceof Binary(var op, var a, var b) && op == Binary.Op.AND) {
                List<Expr> out = new ArrayList<>(conjuncts(a));
                out.addAll(conjuncts(b));
                return out;
            }
            if (e instanceof Broadcast(var v, var n)) return conjuncts(v);
            return List.of(e);
        }

        private Expr and(Expr a, Expr b) {
            if (a == null) return b;
            if (b == null) return a;
            return new Binary(Binary.Op.AND, widen(a), widen(b));
        }

        private Expr widen(Expr e) {
            return e.type().isVector() ? e : new Broadcast(e, lanes);
        }

        Expr expr(Expr e) {
            return switch (e) {
                case Var v -> replacements.getOrDefault(v, v);
                case dev.tessera.ir.IntImm i -> i;
                case dev.tessera.ir.FloatImm f -> f;
                case Binary(var op, var a, var b) -> {
                    Expr na = expr(a), nb = expr(b);
                    yield na.type().isVector() || nb.type().isVector() ? new Binary(op, widen(na), widen(nb)) : new Binary(op, na, nb);
                }
                case Not(var a) -> new Not(expr(a));
                case Select(var c, var t, var f) -> {
                    Expr nc = expr(c);
                    if (!nc.type().isVector()) {
                        Expr nt = expr(t), nf = expr(f);
                        boolean vec = nt.type().isVector() || nf.type().isVector();
                        yield vec ? new Select(nc, widen(nt), widen(nf)) : new Select(nc, nt, nf);
                    }
                    // Only the chosen side may read memory: each side's loads are predicated on its lanes.
                    Expr saved = predicate;
                    boolean savedSafe = invariantLoadsSafe;
                    invariantLoadsSafe = false;
                    predicate = and(saved, nc);
                    Expr nt = widen(expr(t));
                    predicate = and(saved, new Not(nc));
                    Expr nf = widen(expr(f));
                    predicate = saved;
                    invariantLoadsSafe = savedSafe;
                    yield new Select(nc, nt, nf);
                }
                case dev.tessera.ir.Cast(var t, var v) -> {
                    Expr nv = expr(v);
                    yield new dev.tessera.ir.Cast(t.withLanes(nv.type().lanes()), nv);
                }
                case Call(var fn, var args) -> {
                    List<Expr> na = args.stream().map(this::expr).toList();
                    boolean vec = na.stream().anyMatch(a -> a.type().isVector());
                    yield new Call(fn, vec ? na.stream().map(this::widen).toList() : na);
                }
                case Load l -> {
                    Expr idx = index(l.index());
                    Expr p = l.predicate() == null ? null : expr(l.predicate());
                    boolean invariant = !idx.type().isVector() && (p == null || !p.type().isVector());
                    if (invariant && (predicate == null || invariantLoadsSafe)) yield new Load(l.buffer(), idx, p);
                    yield new Load(l.buffer(), widen(idx), and(predicate, p == null ? null : widen(p)));
                }
                case Ramp r -> throw new CannotVectorize();
                case Broadcast b -> throw new CannotVectorize();
                case dev.tessera.ir.TensorRead t -> throw new IllegalStateException("vectorize runs after storage flattening");
                case dev.tessera.ir.Reduce r -> throw new IllegalStateException("vectorize runs after storage flattening");
            };
        }
    }

}
