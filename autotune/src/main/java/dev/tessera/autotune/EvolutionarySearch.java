package dev.tessera.autotune;

import dev.tessera.schedule.Schedule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Evolutionary search guided by a {@link CostModel}: the fastest measured candidates are parents;
 * many children (mutations of tournament-chosen parents, plus fresh samples) are scored by the model,
 * retrained on every measurement so far, and the best-predicted ones are measured, with a quarter of
 * each batch left to random children so the model sees outside its own preferences. Until
 * {@value #MIN_TRAINING} measurements exist it samples at random.
 */
final class EvolutionarySearch implements SearchStrategy {
    static final int MIN_TRAINING = 8, PARENTS = 16, CHILDREN_PER_SLOT = 16;
    private final SearchSpace space;

    EvolutionarySearch(SearchSpace space) { this.space = space; }

    @Override public String name() { return "evolutionary"; }

    @Override public List<Candidate> propose(int count, TuningHistory history, Random rnd) {
        List<TuningHistory.Entry> measured = history.entries();
        List<TuningHistory.Entry> ok = measured.stream().filter(e -> e.record().ok()).sorted(Comparator.comparingLong(e -> e.record().timing().medianNs())).toList();
        if (measured.size() < MIN_TRAINING || ok.isEmpty()) return new RandomSearch(space).propose(count, history, rnd);

        CostModel model = history.trainModel(space, MIN_TRAINING);
        if (model == null) return new RandomSearch(space).propose(count, history, rnd);
        List<TuningHistory.Entry> parents = ok.subList(0, Math.min(PARENTS, ok.size()));
        List<Candidate> children = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < count * CHILDREN_PER_SLOT; i++) {
            Candidate child;
            if (rnd.nextInt(10) < 7) {
                // tournament of two: the faster parent breeds
                int a = rnd.nextInt(parents.size()), b = rnd.nextInt(parents.size());
                child = space.mutate(parents.get(Math.min(a, b)).candidate(), rnd);
                if (rnd.nextBoolean()) child = space.mutate(child, rnd);
            } else {
                child = space.sample(rnd);
            }
            String key = dev.tessera.schedule.TraceJson.write(child.trace());
            if (history.measured(child.trace()) || !seen.add(key)) continue;
            children.add(child);
        }
        record Scored(Candidate c, double score) {}
        List<Scored> scored = new ArrayList<>();
        for (Candidate c : children) {
            Schedule s = history.replayOrNull(c.trace());
            double[] f = s == null ? null : space.features(s, c);
            if (f == null) continue;
            scored.add(new Scored(c, model.predict(f)));
        }
        scored.sort(Comparator.comparingDouble(Scored::score).reversed());
        int explore = Math.max(1, count / 4);
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < scored.size() && out.size() < count - explore; i++) out.add(scored.get(i).c());
        List<Scored> rest = new ArrayList<>(scored.subList(Math.min(out.size(), scored.size()), scored.size()));
        while (out.size() < count && !rest.isEmpty()) out.add(rest.remove(rnd.nextInt(rest.size())).c());
        while (out.size() < count) out.add(space.sample(rnd));
        return out;
    }
}
