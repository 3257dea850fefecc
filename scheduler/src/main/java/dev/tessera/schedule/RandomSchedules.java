package dev.tessera.schedule;

import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Exprs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Samples random schedules of any operator: splits (factors that need not divide, every legal
 * tail strategy), fuses, reorders, vectorize/unroll/parallel annotations, inline, root and
 * compute_at placements, the dataflow rewrites rfactor (now and then twice), cache_write, prepack (of an input, or of a
 * stage computed from inputs alone) and cache_read, and
 * reorder_storage of intermediate stages.
 * Every step is legal on its own; a sample can still be rejected by
 * lowering when a stage placed inside a loop has a reader outside it. Used by the differential
 * tests and as the simplest automatic search space.
 */
public final class RandomSchedules {
    private static final long[] FACTORS = {2, 3, 4, 5, 7, 8, 16};

    private RandomSchedules() {}

    public static Schedule sample(List<Tensor> outputs, long seed) {
        Random rnd = new Random(seed);
        Schedule s = Schedule.create(outputs);
        // A generator of its own, so the samples that do not prepack stay those of earlier versions; its seed
        // mixed (Random's first draws for neighbouring seeds are nearly equal).
        java.util.SplittableRandom seeds = new java.util.SplittableRandom(seed);
        Random prepackRnd = new Random(seeds.nextLong());
        Random layoutRnd = new Random(seeds.nextLong()); // likewise for reorder_storage
        Random refactorRnd = new Random(seeds.nextLong()); // and for a second rfactor of a factored stage
        rewriteDataflow(s, rnd, prepackRnd, refactorRnd);
        List<Stage> stages = new ArrayList<>(s.stages());
        java.util.Collections.reverse(stages); // consumers first, so producers can pick their final loops
        for (Stage st : stages) {
            boolean atRoot = place(s, st, rnd);
            if (st.attachment() instanceof Attachment.Inline) continue;
            reorderStorage(st, layoutRnd);
            transformLoops(st, rnd, atRoot);
        }
        return s;
    }

    /** Now and then, an intermediate stage's storage in a shuffled dimension order. */
    private static void reorderStorage(Stage st, Random rnd) {
        if (st.isOutput() || st.isPrepacked() || st.op().axes().size() < 2 || rnd.nextDouble() >= 0.2) return;
        List<String> order = new ArrayList<>(st.op().axes().stream().map(dev.tessera.ir.Axis::name).toList());
        java.util.Collections.shuffle(order, rnd);
        st.reorderStorage(order.toArray(String[]::new));
    }

    /** Graph-level primitives first, while the affected stages have no loop schedule: rfactor, cache_write, prepack, cache_read. */
    private static void rewriteDataflow(Schedule s, Random rnd, Random prepackRnd, Random refactorRnd) {
        for (Stage st : new ArrayList<>(s.stages())) {
            double r = rnd.nextDouble();
            if (st.isReduction() && r < 0.25) {
                List<LoopAxis> reduce = st.leafAxes().stream().filter(LoopAxis::isReduce).toList();
                LoopAxis a = reduce.get(rnd.nextInt(reduce.size()));
                if (rnd.nextDouble() < 0.7) {
                    long f = FACTORS[rnd.nextInt(FACTORS.length)];
                    Stage.Parts p = rnd.nextDouble() < 0.2 ? st.splitParts(a.name(), f, TailStrategy.GUARD) : st.split(a, f);
                    a = rnd.nextBoolean() ? p.inner() : p.outer();
                }
                st.rfactor(a);
                if (refactorRnd.nextDouble() < 0.3) refactorAgain(st, refactorRnd);
            } else if (r < 0.4) {
                st.cacheWrite();
            }
        }
        prepack(s, prepackRnd);
        if (rnd.nextDouble() < 0.3) {
            List<Tensor> tensors = new ArrayList<>(s.inputs());
            for (Stage st : s.stages()) tensors.addAll(st.op().outputs());
            Tensor t = tensors.get(rnd.nextInt(tensors.size()));
            List<Stage> readers = new ArrayList<>();
            // a prepacked stage reads its constant itself: it cannot read a cached copy
            for (Stage st : s.stages()) if (st.inputs().contains(t) && !st.isPrepacked() && (readers.isEmpty() || rnd.nextBoolean())) readers.add(st);
            if (!readers.isEmpty()) s.cacheRead(t, readers.toArray(Stage[]::new));
        }
    }

    /**
     * Sometimes declares one kernel input constant and prepacks it: one or two of its dimensions
     * split by random factors (padding where they do not divide), the new dimensions in the default
     * panel order or shuffled.
     */
    /** A second level of partial results: the factored stage's remaining reduction loop, split or whole, factored again ({@code S.rf1}). */
    private static void refactorAgain(Stage st, Random rnd) {
        LoopAxis k = st.leafAxes().stream().filter(LoopAxis::isReduce).findFirst().orElseThrow();
        if (rnd.nextBoolean()) {
            Stage.Parts p = st.split(k, FACTORS[rnd.nextInt(FACTORS.length)]);
            k = rnd.nextBoolean() ? p.inner() : p.outer();
        }
        st.rfactor(k);
    }

    private static void prepack(Schedule s, Random rnd) {
        if (rnd.nextDouble() >= 0.15) return;
        // Half the time, a stage computed from constant inputs alone (a weight transform), where the definition has one.
        List<Stage> computed = s.stages().stream().filter(st -> isConstantStage(s, st)).toList();
        if (!computed.isEmpty() && rnd.nextBoolean()) {
            s.prepack(computed.get(rnd.nextInt(computed.size())));
            return;
        }
        List<Tensor> inputs = s.inputs().stream().filter(t -> t.rank() > 0).toList();
        if (inputs.isEmpty()) return;
        Tensor t = inputs.get(rnd.nextInt(inputs.size()));
        List<Integer> dims = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) dims.add(d);
        java.util.Collections.shuffle(dims, rnd);
        List<Step.LayoutSplit> splits = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int d = 0; d < t.rank(); d++) names.add("i" + d);
        for (int d : dims.subList(0, Math.min(dims.size(), 1 + rnd.nextInt(2)))) {
            splits.add(new Step.LayoutSplit("i" + d, FACTORS[rnd.nextInt(FACTORS.length)]));
            names.set(names.indexOf("i" + d), "i" + d + ".outer");
            names.add("i" + d + ".inner");
        }
        List<String> order = List.of();
        if (rnd.nextBoolean()) {
            java.util.Collections.shuffle(names, rnd);
            order = names;
        }
        s.prepack(t, splits, order);
    }

    /** Whether {@code prepack(st)} is legal: a root stage, not an output, reading only kernel inputs that nothing else reads. */
    private static boolean isConstantStage(Schedule s, Stage st) {
        if (st.isOutput() || st.isPrepacked() || !(st.attachment() instanceof Attachment.Root) || st.inputs().isEmpty()) return false;
        for (Tensor in : st.inputs()) {
            if (!s.inputs().contains(in)) return false;
            for (Stage other : s.stages()) if (other != st && other.inputs().contains(in)) return false;
        }
        return true;
    }

    /** Chooses where a stage is computed; returns whether it covers its whole domain (root). */
    private static boolean place(Schedule s, Stage st, Random rnd) {
        if (st.isOutput() || st.isPrepacked()) return true;
        double r = rnd.nextDouble();
        if (r < 0.3 && !st.isReduction() && st.op().outputs().size() == 1) {
            st.computeInline();
            return false;
        }
        if (r < 0.65) {
            List<Stage> consumers = new ArrayList<>();
            for (Stage c : s.stages())
                if (s.isDownstream(c, st) && !(c.attachment() instanceof Attachment.Inline)) consumers.add(c);
            if (!consumers.isEmpty()) {
                Stage c = consumers.get(rnd.nextInt(consumers.size()));
                List<LoopAxis> legal = legalLevels(s, st, c);
                if (!legal.isEmpty()) {
                    st.computeAt(c, legal.get(rnd.nextInt(legal.size())));
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Loops of {@code c} where {@code st} can be computed: outside any vectorized loop, and enclosing
     * every stage that reads {@code st} (through inlined stages), so no reader is left outside.
     */
    static List<LoopAxis> legalLevels(Schedule s, Stage st, Stage c) {
        List<LoopAxis> leaves = c.leafAxes();
        int deepest = leaves.size();
        for (int i = 0; i < leaves.size(); i++)
            if (c.loopKind(leaves.get(i)) == LoopKind.VECTORIZED) { deepest = i; break; }
        for (Stage reader : effectiveReaders(s, st)) {
            if (reader == c) continue;
            // The reader must sit inside c: find where its chain of attachments enters c's loops.
            int at = -1;
            for (Stage x = reader; x.attachment() instanceof Attachment.At a; x = a.consumer())
                if (a.consumer() == c) { at = leaves.indexOf(a.axis()); break; }
            if (at < 0) return List.of();
            deepest = Math.min(deepest, at + 1);
        }
        return new ArrayList<>(leaves.subList(0, deepest));
    }

    /** The stored stages that read {@code st}, looking through inlined readers. */
    private static List<Stage> effectiveReaders(Schedule s, Stage st) {
        List<Stage> out = new ArrayList<>();
        for (Stage r : s.readers(st)) {
            if (r.attachment() instanceof Attachment.Inline) out.addAll(effectiveReaders(s, r));
            else out.add(r);
        }
        return out;
    }

    private static void transformLoops(Stage st, Random rnd, boolean atRoot) {
        Map<LoopAxis, Long> extent = new HashMap<>();
        for (int d = 0; d < st.rootAxes().size(); d++) {
            LoopAxis a = st.rootAxes().get(d);
            boolean known = atRoot || a.isReduce();
            extent.put(a, known ? Exprs.constInt(st.allAxes().get(d).extent()) : null);
        }
        int splits = rnd.nextInt(3);
        for (int i = 0; i < splits; i++) {
            List<LoopAxis> leaves = st.leafAxes();
            LoopAxis a = leaves.get(rnd.nextInt(leaves.size()));
            long f = FACTORS[rnd.nextInt(FACTORS.length)];
            TailStrategy tail = TailStrategy.GUARD;
            if (!a.isReduce()) {
                double t = rnd.nextDouble();
                if (t < 0.25 && !st.isReduction()) tail = TailStrategy.SHIFT_INWARD;
                else if (t < 0.4 && !st.isOutput() && (!st.isReduction() || st.rootAxes().contains(a))) tail = TailStrategy.ROUND_UP;
            }
            Long pe = extent.get(a);
            Stage.Parts p;
            if (rnd.nextDouble() < 0.2 && tail != TailStrategy.ROUND_UP) {
                p = st.splitParts(a.name(), f, tail);
                extent.put(p.outer(), f);
                extent.put(p.inner(), pe == null ? null : (pe + f - 1) / f);
            } else {
                p = st.split(a.name(), f, tail);
                extent.put(p.outer(), pe == null ? null : (pe + f - 1) / f);
                extent.put(p.inner(), f);
            }
        }
        if (rnd.nextDouble() < 0.2) {
            List<LoopAxis> leaves = st.leafAxes();
            int i = rnd.nextInt(leaves.size());
            if (i + 1 < leaves.size() && leaves.get(i).kind() == leaves.get(i + 1).kind()) {
                LoopAxis o = leaves.get(i), in = leaves.get(i + 1);
                LoopAxis fused = st.fuse(o, in);
                Long eo = extent.get(o), ei = extent.get(in);
                extent.put(fused, eo == null || ei == null ? null : eo * ei);
            }
        }
        if (rnd.nextDouble() < 0.5) {
            List<LoopAxis> order = new ArrayList<>(st.leafAxes());
            java.util.Collections.shuffle(order, rnd);
            st.reorder(order.toArray(LoopAxis[]::new));
        }
        List<LoopAxis> leaves = st.leafAxes();
        List<LoopAxis> spatial = leaves.stream().filter(x -> !x.isReduce()).toList();
        if (!spatial.isEmpty() && rnd.nextDouble() < 0.35) st.parallel(spatial.get(rnd.nextInt(spatial.size())));
        List<LoopAxis> vectorizable = spatial.stream()
                .filter(x -> extent.get(x) != null && extent.get(x) <= 64 && st.loopKind(x) == LoopKind.SERIAL).toList();
        if (!vectorizable.isEmpty() && rnd.nextDouble() < 0.6) st.vectorize(vectorizable.get(rnd.nextInt(vectorizable.size())));
        List<LoopAxis> unrollable = leaves.stream()
                .filter(x -> extent.get(x) != null && extent.get(x) <= 16 && st.loopKind(x) == LoopKind.SERIAL).toList();
        if (!unrollable.isEmpty() && rnd.nextDouble() < 0.4) st.unroll(unrollable.get(rnd.nextInt(unrollable.size())));
    }
}
