package dev.tessera;

/**
 * An error the user can act on: an invalid schedule step, a shape or dtype mismatch, a missing device.
 * The message says what is wrong and what would be legal. Internal invariants use plain
 * {@link IllegalStateException}s instead: those are bugs.
 */
public class TesseraUserError extends RuntimeException {
    public TesseraUserError(String message) {
        super(message);
    }

    public TesseraUserError(String message, Throwable cause) {
        super(message, cause);
    }
}
