package dev.tessera.autotune;

import dev.tessera.TesseraUserError;
import java.util.List;
import java.util.Random;

/**
 * Chooses the next candidates to measure from a space, given what has been measured. Strategies
 * may propose traces already measured or invalid; the tuner skips those.
 */
public interface SearchStrategy {
    /** The name written to records' provenance. */
    String name();

    List<Candidate> propose(int count, TuningHistory history, Random rnd);

    /** The names {@link #named} accepts. */
    List<String> NAMES = List.of("random", "grid", "evolutionary");

    /** The strategy called {@code name} over {@code space}; raises {@link TesseraUserError} for an unknown name or a space it cannot search. */
    static SearchStrategy named(String name, SearchSpace space) {
        return switch (name) {
            case "random" -> new RandomSearch(space);
            case "grid" -> new GridSearch(space);
            case "evolutionary" -> new EvolutionarySearch(space);
            default -> throw new TesseraUserError("unknown strategy '" + name + "'; strategies: " + String.join(", ", NAMES));
        };
    }
}
