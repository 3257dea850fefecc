package dev.tessera.autotune;

import dev.tessera.dsl.Tensor;
import dev.tessera.ops.Knob;
import dev.tessera.schedule.RandomSchedules;
import dev.tessera.schedule.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The search space of any compute definition without a template: schedules sampled by
 * {@link RandomSchedules}, and mutations that change one split or tile factor, or drop one loop
 * annotation (vectorize, unroll, parallel, prefetch), of a measured trace.
 */
final class AutomaticSpace implements SearchSpace {
    private static final long[] FACTORS = {2, 3, 4, 5, 7, 8, 16, 32};
    private final List<Tensor> outputs;

    AutomaticSpace(List<Tensor> outputs) { this.outputs = List.copyOf(outputs); }

    @Override public String kind() { return "automatic"; }

    @Override public List<Knob> knobs() { return List.of(); }

    @Override public Candidate sample(Random rnd) {
        long seed = rnd.nextLong();
        try {
            return new Candidate(RandomSchedules.sample(outputs, seed).trace(), Map.of());
        } catch (RuntimeException e) {
            return new Candidate(List.of(TemplateSpace.INVALID), Map.of());
        }
    }

    @Override public Candidate mutate(Candidate c, Random rnd) {
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
