package dev.tessera.autotune;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Uniform samples of the space. */
final class RandomSearch implements SearchStrategy {
    private final SearchSpace space;

    RandomSearch(SearchSpace space) { this.space = space; }

    @Override public String name() { return "random"; }

    @Override public List<Candidate> propose(int count, TuningHistory history, Random rnd) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(space.sample(rnd));
        return out;
    }
}
