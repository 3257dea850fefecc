package dev.tessera.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TimingTest {
    @Test void statsAreMedianQuartilesAndRangeOfTheRepetitions() {
        Timing.Stats s = Timing.Stats.of(new double[] {5, 1, 4, 2, 3}, 7);
        assertEquals(3, s.medianMs());
        assertEquals(2, s.p25Ms());
        assertEquals(4, s.p75Ms());
        assertEquals(1, s.minMs());
        assertEquals(5, s.maxMs());
        assertEquals(5, s.repeats());
        assertEquals(7, s.callsPerRepeat());
        assertEquals(2.0 / 3, s.spread(), 1e-12);
        assertEquals(2.5, Timing.Stats.of(new double[] {4, 1, 2, 3}, 1).medianMs());
    }

    @Test void withoutAMinimumBatchEveryRepetitionIsOneCall() {
        AtomicInteger calls = new AtomicInteger();
        Timing.Stats s = Timing.measure(calls::incrementAndGet, new Timing.Protocol(2, 3, 0));
        assertEquals(2 + 3, calls.get());
        assertEquals(3, s.repeats());
        assertEquals(1, s.callsPerRepeat());
        // No warm-up asked: one untimed call still sizes the batch.
        calls.set(0);
        Timing.measure(calls::incrementAndGet, new Timing.Protocol(0, 1, 0));
        assertEquals(2, calls.get());
    }

    @Test void roundsSplitTheRepetitionsAndPoolBack() {
        Timing.Protocol p = new Timing.Protocol(3, 15, 20, 3);
        assertEquals(new Timing.Protocol(3, 5, 20, 1), p.round());
        assertEquals(new Timing.Protocol(3, 6, 20, 1), new Timing.Protocol(3, 16, 20, 3).round(), "rounded up: no repetition lost");
        assertEquals(2, new Timing.Protocol(0, 2, 0, 3).rounds(), "never more rounds than repetitions");
        Timing.Stats pooled = Timing.Stats.pooled(java.util.List.of(new Timing.Sample(new double[] {5, 1}, 4), new Timing.Sample(new double[] {4, 2, 3}, 7)));
        assertEquals(Timing.Stats.of(new double[] {1, 2, 3, 4, 5}, 7), pooled);
        assertThrows(IllegalArgumentException.class, () -> new Timing.Protocol(1, 1, 0, 0));
    }

    @Test void protocolRejectsImpossibleCounts() {
        assertThrows(IllegalArgumentException.class, () -> new Timing.Protocol(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Timing.Protocol(-1, 1, 0));
    }

    /** The wait for quiet JIT compilers keeps calling, and returns once nothing compiles (here at once: a trivial call). */
    @Test void awaitQuietJitReturnsOnceTheCompilersAreIdle() {
        AtomicInteger calls = new AtomicInteger();
        long start = System.nanoTime();
        Timing.awaitQuietJit(calls::incrementAndGet, 50, 5_000);
        double ms = (System.nanoTime() - start) / 1e6;
        assertTrue(calls.get() > 0);
        assertTrue(ms < 5_000, "waited " + ms + " ms");
    }
}
