package dev.tessera.schedule;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.tessera.TesseraUserError;
import java.util.Locale;

/** What a split does when the factor does not divide the extent. */
public enum TailStrategy {
    /** Run the last outer iteration partially: the body is guarded by {@code index < extent}. Always legal. */
    GUARD,
    /**
     * Shift the last inner block inward so it ends at the extent, recomputing a few points. Legal on
     * spatial axes only (a reduction would count points twice); where the extent may be smaller than
     * the factor it falls back to a guard.
     */
    SHIFT_INWARD,
    /**
     * Round the extent up to a multiple of the factor and compute the extra points into padding.
     * Legal on spatial axes of stages that are not outputs (their storage can grow); on a reduction stage only on a
     * root axis (an inner split would overshoot into the next block and accumulate points twice).
     */
    ROUND_UP;

    @JsonValue
    public String jsonName() { return name().toLowerCase(Locale.ROOT); }

    @JsonCreator
    public static TailStrategy parse(String s) {
        for (TailStrategy t : values()) if (t.jsonName().equals(s) || t.name().equals(s)) return t;
        throw new TesseraUserError("unknown tail strategy '" + s + "'; legal: guard, shift_inward, round_up");
    }
}
