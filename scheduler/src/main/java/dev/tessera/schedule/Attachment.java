package dev.tessera.schedule;

/** Where a stage is computed. */
public sealed interface Attachment {
    /** Before its consumers, over the whole region they need. */
    record Root() implements Attachment {}

    /** Substituted into its consumers; no storage. */
    record Inline() implements Attachment {}

    /** Inside loop {@code axis} of {@code consumer}, over the region one iteration needs. */
    record At(Stage consumer, LoopAxis axis) implements Attachment {}
}
