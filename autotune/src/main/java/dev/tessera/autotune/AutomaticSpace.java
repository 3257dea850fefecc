package dev.tessera.autotune;

import dev.tessera.dsl.Tensor;
import dev.tessera.ops.Knob;
import dev.tessera.schedule.CpuSketch;
import dev.tessera.schedule.RandomSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The search space of any compute definition on a CPU, without a template: points of the
 * definition's {@link CpuSketch} (Ansor-style rules: multi-level tiling of reductions with data
 * reuse fused into their consumers, with local accumulation, parallel outer tiles, vectorized and
 * unrolled register tiles and optional packing of reused inputs; inlining; rfactor), whose
 * parameters a candidate carries as its knobs. Mutations change one parameter (a tile factor moved
 * between two levels of an axis, an order, a fusion depth, an unroll, a pack, a placement). A
 * candidate without sketch parameters is a {@link RandomSchedules} sample: what {@link #sample}
 * returns when the sketch cannot schedule a definition or draws a point it drew before (a small
 * sketch is exhausted), and what records of older logs hold. It is mutated by changing one split or tile factor or
 * dropping one loop annotation (vectorize, unroll, parallel, prefetch) of its trace.
 */
final class AutomaticSpace implements SearchSpace {
    private static final long[] FACTORS = {2, 3, 4, 5, 7, 8, 16, 32};
    private final List<Tensor> outputs;
    private final CpuSketch sketch;
    /** Traces of the sketch points sampled so far; the sequence depends only on the seed, so a resumed run samples the same. */
    private final java.util.Set<String> sampled = new java.util.HashSet<>();

    AutomaticSpace(List<Tensor> outputs, Target target) {
        this.outputs = List.copyOf(outputs);
        this.sketch = CpuSketch.of(outputs, target.vectorBits(), target.cores());
    }

    @Override public String kind() { return "automatic"; }

    @Override public List<Knob> knobs() { return List.of(); }

    @Override public Candidate sample(Random rnd) {
        long seed = rnd.nextLong();
        Candidate c = at(sketch.sample(new Random(seed)));
        // A small sketch (a definition with few choices) runs out of new points: random schedules explore beyond it.
        if (c != null && sampled.add(dev.tessera.schedule.TraceJson.write(c.trace()))) return c;
        return randomSample(seed);
    }

    /** The candidate of a sketch point, or null when the sketch cannot schedule it. */
    private Candidate at(Map<String, Long> params) {
        try {
            return new Candidate(sketch.apply(params).trace(), params);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Candidate randomSample(long seed) {
        try {
            return new Candidate(RandomSchedules.sample(outputs, seed).trace(), Map.of());
        } catch (RuntimeException e) {
            return new Candidate(List.of(TemplateSpace.INVALID), Map.of());
        }
    }

    @Override public double[] features(Schedule s, Candidate c) {
        double[] base = ProgramFeatures.of(s, c, List.of()), extra = sketch.summary(c.knobs());
        double[] f = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, f, base.length, extra.length);
        return f;
    }

    @Override public Candidate mutate(Candidate c, Random rnd) {
        if (CpuSketch.isPoint(c.knobs())) {
            // a few tries: a mutation can land on a point the primitives reject
            for (int i = 0; i < 4; i++) {
                Candidate m = at(sketch.mutate(c.knobs(), rnd));
                if (m != null) return m;
            }
            return sample(rnd);
        }
        List<Step> trace = new ArrayList<>(c.trace());
        List<Integer> factors = new ArrayList<>(), annotations = new ArrayList<>();
        for (int i = 0; i < trace.size(); i++) {
            switch (trace.get(i)) {
                case Step.Split s when s.factor() > 0 -> factors.add(i);
                case Step.Tile t -> factors.add(i);
                case Step.Vectorize v -> annotations.add(i);
                case Step.Unroll u -> annotations.add(i);
                case Step.Parallel p -> annotations.add(i);
                case Step.Prefetch p -> annotations.add(i);
                default -> {}
            }
        }
        if (factors.isEmpty() && annotations.isEmpty()) return sample(rnd);
        if (!factors.isEmpty() && (annotations.isEmpty() || rnd.nextInt(4) != 0)) {
            int i = factors.get(rnd.nextInt(factors.size()));
            long f = FACTORS[rnd.nextInt(FACTORS.length)];
            trace.set(i, switch (trace.get(i)) {
                case Step.Split s -> new Step.Split(s.stage(), s.axis(), f, s.nparts(), s.tail());
                case Step.Tile t -> rnd.nextBoolean() ? new Step.Tile(t.stage(), t.x(), t.y(), f, t.yFactor(), t.tail())
                        : new Step.Tile(t.stage(), t.x(), t.y(), t.xFactor(), f, t.tail());
                default -> throw new IllegalStateException();
            });
        } else {
            trace.remove((int) annotations.get(rnd.nextInt(annotations.size())));
        }
        return new Candidate(trace, Map.of());
    }

    @Override public Optional<List<Candidate>> enumerate(int limit) { return Optional.empty(); }
}
