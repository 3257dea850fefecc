package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import java.util.List;
import java.util.Random;

/** Every point of a small template space, in order (so a resumed grid continues where it stopped). */
final class GridSearch implements SearchStrategy {
    static final int LIMIT = 4096;
    private final List<Candidate> grid;
    private int next;

    GridSearch(SearchSpace space) {
        grid = space.enumerate(LIMIT).orElseThrow(() -> new TesseraUserError("grid search needs a template space of at most " + LIMIT
                + " points; this " + space.kind() + " space is larger or not enumerable; use --strategy random or evolutionary"));
    }

    @Override public String name() { return "grid"; }

    @Override public List<Candidate> propose(int count, TuningHistory history, Random rnd) {
        int from = next;
        next = Math.min(grid.size(), next + count);
        return grid.subList(from, next);
    }
}
