package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import dev.tessera.schedule.TailStrategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CapsNet's DigitCaps layer with dynamic routing (Sabour, Frosst, Hinton 2017), forward, f32, as
 * one kernel. Inputs {@code u[B, I, DI]} (I input capsules of dimension DI) and
 * {@code W[I, J, DO, DI]}; output {@code v[B, J, DO]} (J output capsules of dimension DO):
 *
 * <pre>
 * û[b,i,j,:]     = W[i,j] · u[b,i]                    (DO×DI matrix times DI-vector)
 * logits[b,i,j]  = 0
 * repeat ITERS times:
 *     c[b,i,:]   = softmax over j of logits[b,i,:]
 *     s[b,j,:]   = Σ_i c[b,i,j] · û[b,i,j,:]
 *     v[b,j,:]   = squash(s[b,j,:])                     (see {@link CapsuleSquashOp}, same epsilon)
 *     logits[b,i,j] += û[b,i,j,:] · v[b,j,:]            (before every iteration but the last)
 * return v
 * </pre>
 *
 * Each iteration is its own chain of stages ({@code caps_max1, caps_exp1, caps_sum1, caps_c1, caps_s1,
 * caps_norm2_1, caps_scale1, caps_v1, caps_agree1, caps_logits2, ...}); the first iteration's logits
 * are the constant stage {@code caps_logits1 = 0} and its softmax is computed like the others. The
 * output stage {@code capsule_routing} is the last iteration's {@code v}.
 *
 * <p>Layout: every intermediate keeps the batch index <em>last</em> ({@code caps_u_hat[i, j, o, b]},
 * {@code caps_exp1[i, j, b]}, ...), with {@code caps_u_t[i, k, b]} the input transposed to match.
 * A schedule that processes a block of batch elements at a time can then vectorize every stage over
 * the batch with dense loads and no cross-lane reductions: the softmax over j, the sum over i, the
 * squash over o and the agreement over o are all lane-wise. (With the capsule dimension DO as the
 * lanes instead, the agreement {@code û·v} would be a horizontal sum for each of the I·J pairs, and
 * the û product would read W with stride DI.)
 */
public final class CapsuleRoutingOp implements Operator {
    /** The most routing iterations accepted: each iteration adds about ten stages to the kernel. */
    public static final int MAX_ITERATIONS = 16;

    @Override public String name() { return "capsule_routing"; }
    @Override public String shapeHelp() { return "B,I,J,DI,DO,ITERS"; }
    @Override public List<String> defaultShapes() { return List.of("128,1152,10,8,16,3", "32,1152,10,8,16,3"); }
    /** About ten stages per routing iteration make each random kernel slow to compile; 40 schedules keep CI within budget. */
    @Override public int differentialSchedules() { return 40; }
    @Override public List<String> testShapes() { return List.of("3,5,3,4,5,2", "17,6,2,3,4,3"); }

    @Override public long[] checkShape(long[] args) {
        if (args.length == 6 && (args[5] < 1 || args[5] > MAX_ITERATIONS))
            throw new TesseraUserError("capsule_routing: ITERS (routing iterations) must be between 1 and " + MAX_ITERATIONS + ", got " + args[5]
                    + " (shape " + shapeHelp() + " = " + java.util.Arrays.toString(args) + ")");
        return ShapeArgs.check(this, args);
    }

    /** The stage names of iteration {@code t} (1-based). */
    static String stage(String what, int t) { return "caps_" + what + t; }

    @Override public OperatorInstance define(long[] a, boolean symbolic) {
        Expr nb = ShapeArgs.leading("B", a[0], symbolic);
        Expr ni = Te.c(a[1]), nj = Te.c(a[2]), ndi = Te.c(a[3]), ndo = Te.c(a[4]);
        int iters = (int) a[5];
        Tensor u = Te.placeholder("u", DType.F32, nb, ni, ndi);
        Tensor w = Te.placeholder("W", DType.F32, ni, nj, ndo, ndi);

        Tensor ut = Te.compute("caps_u_t", List.of(ni, ndi, nb), List.of("i", "k", "b"), v -> u.at(v.get(2), v.get(0), v.get(1)));
        Axis rk = Te.reduceAxis("k", ndi);
        Tensor uhat = Te.compute("caps_u_hat", List.of(ni, nj, ndo, nb), List.of("i", "j", "o", "b"),
                v -> Te.sum(w.at(v.get(0), v.get(1), v.get(2), rk.var()).mul(ut.at(v.get(0), rk.var(), v.get(3))), rk));

        Tensor logits = Te.compute(stage("logits", 1), List.of(ni, nj, nb), List.of("i", "j", "b"), v -> Te.f32(0));
        Tensor out = null;
        for (int t = 1; t <= iters; t++) {
            final Tensor lg = logits;
            Axis mj = Te.reduceAxis("j", nj);
            Tensor max = Te.compute(stage("max", t), List.of(ni, nb), List.of("i", "b"), v -> Te.max(lg.at(v.get(0), mj.var(), v.get(1)), mj));
            Tensor exp = Te.compute(stage("exp", t), List.of(ni, nj, nb), List.of("i", "j", "b"),
                    v -> Te.exp(lg.at(v.get(0), v.get(1), v.get(2)).sub(max.at(v.get(0), v.get(2)))));
            Axis sj = Te.reduceAxis("j", nj);
            Tensor sum = Te.compute(stage("sum", t), List.of(ni, nb), List.of("i", "b"), v -> Te.sum(exp.at(v.get(0), sj.var(), v.get(1)), sj));
            Tensor c = Te.compute(stage("c", t), List.of(ni, nj, nb), List.of("i", "j", "b"),
                    v -> exp.at(v.get(0), v.get(1), v.get(2)).div(sum.at(v.get(0), v.get(2))));
            Axis ri = Te.reduceAxis("i", ni);
            Tensor s = Te.compute(stage("s", t), List.of(nj, ndo, nb), List.of("j", "o", "b"),
                    v -> Te.sum(c.at(ri.var(), v.get(0), v.get(2)).mul(uhat.at(ri.var(), v.get(0), v.get(1), v.get(2))), ri));
            Axis ro = Te.reduceAxis("o", ndo);
            Tensor norm2 = Te.compute(stage("norm2_", t), List.of(nj, nb), List.of("j", "b"), v -> {
                Expr x = s.at(v.get(0), ro.var(), v.get(1));
                return Te.sum(x.mul(x), ro);
            });
            Tensor scale = Te.compute(stage("scale", t), List.of(nj, nb), List.of("j", "b"),
                    v -> CapsuleSquashOp.squashScale(norm2.at(v.get(0), v.get(1))));
            if (t == iters) {
                out = Te.compute("capsule_routing", List.of(nb, nj, ndo), List.of("b", "j", "o"),
                        v -> s.at(v.get(1), v.get(2), v.get(0)).mul(scale.at(v.get(1), v.get(0))));
                break;
            }
            Tensor vt = Te.compute(stage("v", t), List.of(nj, ndo, nb), List.of("j", "o", "b"),
                    v -> s.at(v.get(0), v.get(1), v.get(2)).mul(scale.at(v.get(0), v.get(2))));
            Axis ao = Te.reduceAxis("o", ndo);
            Tensor agree = Te.compute(stage("agree", t), List.of(ni, nj, nb), List.of("i", "j", "b"),
                    v -> Te.sum(uhat.at(v.get(0), v.get(1), ao.var(), v.get(2)).mul(vt.at(v.get(1), ao.var(), v.get(2))), ao));
            logits = Te.compute(stage("logits", t + 1), List.of(ni, nj, nb), List.of("i", "j", "b"),
                    v -> lg.at(v.get(0), v.get(1), v.get(2)).add(agree.at(v.get(0), v.get(1), v.get(2))));
        }
        return new OperatorInstance(List.of(u, w), List.of(out), symbolic ? ShapeArgs.symbolicArgs(a) : a);
    }

    @Override public void applyDefaultSchedule(Schedule s) { applyTunedSchedule(s, null, Map.of()); }

    @Override public List<Knob> knobs(long[] shapeArgs) {
        return List.of(
                new Knob("lanes", List.of(4L, 8L, 16L, 32L), 16),
                new Knob("u_hat_unroll", List.of(1L, 2L, 4L, 8L, 16L), 4),
                new Knob("u_hat_k_outer", List.of(0L, 1L), 0),
                new Knob("fuse_last_agreement", List.of(0L, 1L), 1),
                new Knob("s_unroll", List.of(1L, 2L, 4L, 16L), 1),
                new Knob("agree_j_inner", List.of(0L, 1L), 0),
                new Knob("softmax_per_row", List.of(0L, 1L), 1));
    }

    /**
     * The fused schedule. The output's batch loop is split into blocks of {@code lanes} (knob) batch
     * elements (the last block shifted inward to end at B, so every block is full when B >= lanes),
     * the block loop runs in parallel, and every other stage is computed inside it, over that block
     * only, with its batch loop innermost and vectorized (dense, no cross-lane reductions):
     *
     * <ul>
     *   <li>{@code caps_u_hat} for the block: loops i, j, o (blocks of {@code u_hat_unroll}, knob), k,
     *       the o block unrolled, so each W element is one broadcast FMA into a vector of batch lanes
     *       ({@code u_hat_k_outer}, knob: k outside the o blocks instead, one load of the input per k);
     *       the transposed input {@code caps_u_t} is computed per i (DI vectors);
     *   <li>per iteration, {@code caps_s} reduces over i in its outer loop (its o loop unrolled by
     *       {@code s_unroll}, knob), and the softmax of row i ({@code caps_max}, {@code caps_exp},
     *       {@code caps_sum}; {@code caps_c} and every {@code caps_logits} inlined) is computed inside
     *       that loop, so a row's J weights never leave L1 ({@code softmax_per_row}, knob: 0 computes
     *       the softmax of the whole block first); {@code caps_v} with its norm and squash factor per
     *       output capsule;
     *   <li>the agreement of an iteration is its own pass over û, stored for the block, except the
     *       last one, which only the last softmax reads: with {@code fuse_last_agreement} (knob) it is
     *       computed per row inside the last {@code caps_s} loop, saving one pass over û (only where
     *       the softmax is per row). {@code agree_j_inner} (knob) moves its reduction over o outside
     *       the loop over j: J independent accumulations instead of one dependent chain of DO.
     * </ul>
     *
     * û for a block of 16 is I·J·DO·16 floats (11.8 MB at the CapsNet shape): it lives in L3 and is
     * read once per iteration plus once per stored agreement.
     *
     * <p>With a symbolic batch the blocks are single batch elements instead (see
     * {@link #applyPerElementSchedule}): the lowering's region expressions for a block of symbolic
     * extent grow with every stage of this DAG, so lowering the blocked schedule would not finish.
     */
    @Override public void applyTunedSchedule(Schedule s, long[] shapeArgs, Map<String, Long> config) {
        List<Knob> k = knobs(shapeArgs);
        long lanes = k.get(0).valueIn(config), unroll = k.get(1).valueIn(config), sUnroll = k.get(4).valueIn(config);
        boolean kOuter = k.get(2).valueIn(config) == 1, fuseLast = k.get(3).valueIn(config) == 1;
        boolean agreeJInner = k.get(5).valueIn(config) == 1, softmaxPerRow = k.get(6).valueIn(config) == 1;
        int iters = iterations(s);
        Stage out = s.stage("capsule_routing");
        if (!(out.op().axes().get(0).extent() instanceof IntImm)) {
            applyPerElementSchedule(s, iters, fuseLast);
            return;
        }
        Stage.Parts b = out.split("b", lanes, TailStrategy.SHIFT_INWARD);
        out.reorder(b.outer().name(), "j", "o", b.inner().name());
        out.parallel(b.outer());
        out.vectorize(b.inner());
        String block = b.outer().name();

        Stage uhat = s.stage("caps_u_hat");
        uhat.computeAt(out, block);
        Stage.Parts ub = uhat.split("b", lanes);
        Stage.Parts uo = uhat.split("o", unroll);
        if (kOuter) uhat.reorder(ub.outer().name(), "i", "j", "k", uo.outer().name(), uo.inner().name(), ub.inner().name());
        else uhat.reorder(ub.outer().name(), "i", "j", uo.outer().name(), "k", uo.inner().name(), ub.inner().name());
        uhat.unroll(uo.inner());
        uhat.vectorize(ub.inner());
        vectorizeBatch(s.stage("caps_u_t"), lanes).computeAt(uhat, "i");

        for (int t = 1; t <= iters; t++) {
            s.stage(stage("logits", t)).computeInline();
            s.stage(stage("c", t)).computeInline();
            Stage st = s.stage(stage("s", t));
            st.computeAt(out, block);
            Stage.Parts sb = st.split("b", lanes);
            if (sUnroll > 1) {
                Stage.Parts so = st.split("o", sUnroll);
                st.reorder(sb.outer().name(), "i", "j", so.outer().name(), so.inner().name(), sb.inner().name());
                st.unroll(so.inner());
            } else {
                st.reorder(sb.outer().name(), "i", "j", "o", sb.inner().name());
            }
            st.vectorize(sb.inner());
            for (String what : List.of("max", "exp", "sum")) {
                Stage softmax = vectorizeBatch(s.stage(stage(what, t)), lanes);
                if (softmaxPerRow) softmax.computeAt(st, "i");
                else softmax.computeAt(out, block);
            }
            Stage consumer = t == iters ? out : vectorizeBatch(s.stage(stage("v", t)), lanes);
            if (t < iters) consumer.computeAt(out, block);
            vectorizeBatch(s.stage(stage("norm2_", t)), lanes).computeAt(consumer, "j");
            vectorizeBatch(s.stage(stage("scale", t)), lanes).computeAt(consumer, "j");
            if (t < iters) {
                Stage agree = vectorizeBatch(s.stage(stage("agree", t)), lanes);
                if (agreeJInner) agree.reorder(agreeOrderJInner(agree));
                if (fuseLast && softmaxPerRow && t == iters - 1) agree.computeAt(s.stage(stage("s", t + 1)), "i");
                else agree.computeAt(out, block);
            }
        }
    }

    /**
     * The same fusion with one batch element per parallel iteration, vectorized over the capsule
     * dimension DO (16 lanes) where it is the innermost dimension of a stage's region: the output,
     * the weighted sums and the squashed v. Used for a symbolic batch; slower than the blocked
     * schedule (the agreement and û products are scalar).
     */
    private static void applyPerElementSchedule(Schedule s, int iters, boolean fuseLast) {
        Stage out = s.stage("capsule_routing");
        out.parallel("b");
        out.vectorize(out.split("o", 16).inner());
        s.stage("caps_u_hat").computeAt(out, "b");
        s.stage("caps_u_hat").reorder("i", "j", "b", "k", "o");
        s.stage("caps_u_t").computeAt(s.stage("caps_u_hat"), "i");
        for (int t = 1; t <= iters; t++) {
            s.stage(stage("logits", t)).computeInline();
            s.stage(stage("c", t)).computeInline();
            Stage st = s.stage(stage("s", t));
            st.computeAt(out, "b");
            st.reorder("i", "j", "b", "o");
            st.vectorize(st.split("o", 16).inner());
            for (String what : List.of("max", "exp", "sum")) s.stage(stage(what, t)).computeAt(st, "i");
            Stage consumer = t == iters ? out : s.stage(stage("v", t));
            if (t < iters) {
                consumer.computeAt(out, "b");
                consumer.reorder("j", "b", "o");
                consumer.vectorize(consumer.split("o", 16).inner());
            }
            s.stage(stage("norm2_", t)).computeAt(consumer, "j");
            s.stage(stage("scale", t)).computeAt(consumer, "j");
            if (t < iters) {
                Stage agree = s.stage(stage("agree", t));
                if (fuseLast && t == iters - 1) agree.computeAt(s.stage(stage("s", t + 1)), "i");
                else agree.computeAt(out, "b");
            }
        }
    }

    /** An agreement stage's loops with the reduction over o moved outside j: ten independent accumulators instead of one chain of DO. */
    private static String[] agreeOrderJInner(Stage agree) {
        List<String> order = new ArrayList<>(agree.leafNames());
        int j = order.indexOf("j"), o = order.indexOf("o");
        order.set(j, "o");
        order.set(o, "j");
        return order.toArray(String[]::new);
    }

    /** Splits a stage's batch loop by {@code lanes}, moves the inner part innermost and vectorizes it. */
    private static Stage vectorizeBatch(Stage st, long lanes) {
        Stage.Parts p = st.split("b", lanes);
        List<String> order = new ArrayList<>(st.leafNames());
        order.remove(p.inner().name());
        order.add(p.inner().name());
        st.reorder(order.toArray(String[]::new));
        st.vectorize(p.inner());
        return st;
    }

    /** The number of routing iterations of the instance a schedule was made for (from its stage names). */
    private static int iterations(Schedule s) {
        int t = 1;
        while (s.stageNames().contains(stage("v", t))) t++;
        return t;
    }

    /**
     * û: 2·I·J·DO·DI per batch element; per iteration: the softmax (max, subtract, exp, add, divide:
     * 5 per (i, j)), the weighted sum (2 per (i, j, o)), the squash (3 per (j, o) and 5 per j), and
     * before every iteration but the last the agreement and update (2 per (i, j, o) and 1 per (i, j)).
     */
    @Override public double flops(long[] a) {
        double b = a[0], i = a[1], j = a[2], di = a[3], d = a[4], iters = a[5];
        double uhat = 2 * i * j * d * di;
        double perIter = 5 * i * j + 2 * i * j * d + j * (3 * d + 5);
        double update = 2 * i * j * d + i * j;
        return b * (uhat + iters * perIter + (iters - 1) * update);
    }

    @Override public double bytes(long[] a) {
        return 4.0 * ((double) a[0] * a[1] * a[3] + (double) a[1] * a[2] * a[4] * a[3] + (double) a[0] * a[2] * a[4]);
    }

    /** The names of every stage of an instance with {@code iters} iterations, producers first (for tests and docs). */
    static List<String> stageNames(int iters) {
        List<String> names = new ArrayList<>(List.of("caps_u_t", "caps_u_hat"));
        for (int t = 1; t <= iters; t++) {
            names.add(stage("logits", t));
            for (String w : List.of("max", "exp", "sum", "c", "s", "norm2_", "scale")) names.add(stage(w, t));
            if (t < iters) names.addAll(List.of(stage("v", t), stage("agree", t)));
        }
        names.add("capsule_routing");
        return names;
    }
}
