"""The timing protocol and error measure every peer script follows, the same as the Java side's
(dev.tessera.bench.Timing): `warmup` untimed calls (at least one); the last sets a batch size so
that a timed repetition lasts at least `min_batch_ms`; `repeats` timed repetitions of that batch;
each repetition gives a time per call. Median, quartiles, min and max.

Shared by peers.py (CPU peers, wall clock) and gpu_peers.py (GPU peers, CUDA events).
"""
import math
import time

import numpy as np


def quantile(sorted_values, q):
    """Linear interpolation between closest ranks (the same rule as Timing.quantile in Java)."""
    n = len(sorted_values)
    if n == 1:
        return sorted_values[0]
    pos = q * (n - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def wall_clock(fn):
    """A batch timer on the host's clock: runs fn `calls` times, returns the milliseconds they took."""
    def time_ms(calls):
        t0 = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        return (time.perf_counter_ns() - t0) / 1e6
    return time_ms


def measure(fn, warmup, repeats, min_batch_ms, timer=None):
    """Times fn under the protocol; `timer(fn)` makes the batch timer (default: the wall clock)."""
    time_ms = (timer or wall_clock)(fn)
    single_ms = None
    for _ in range(max(1, warmup)):
        single_ms = time_ms(1)
    batch = max(1, math.ceil(min_batch_ms / max(single_ms, 1e-6)))
    times = []
    for _ in range(max(1, repeats)):
        times.append(time_ms(batch) / batch)
    times.sort()
    return {
        "median_ms": quantile(times, 0.5),
        "p25_ms": quantile(times, 0.25),
        "p75_ms": quantile(times, 0.75),
        "min_ms": times[0],
        "max_ms": times[-1],
        "repeats": len(times),
        "calls_per_repeat": batch,
        "times_ms": times,
    }


def max_err(got, want):
    """Largest absolute difference; equal values (infinities included) agree, a NaN anywhere else is infinite."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if not np.size(want):
        return 0.0
    with np.errstate(invalid="ignore"):
        diff = np.where(got == want, 0.0, np.abs(got - want))
    both_nan = np.isnan(got) & np.isnan(want)
    diff = np.where(both_nan, 0.0, np.where(np.isnan(diff), np.inf, diff))
    return float(np.max(diff))


def json_number(x):
    """JSON has no infinities or NaN: a non-finite error is sent as the string "inf"."""
    return x if math.isfinite(x) else "inf"
