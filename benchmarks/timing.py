"""Timing shared by the benchmarks: the best of several calls on a noisy VM."""

import time


def best_time(fn, repeats, min_seconds=0.5):
    """Best of at least `repeats` calls of `fn` after one warm-up call, and of
    as many as fit in `min_seconds` (millisecond-scale calls need more)."""
    fn()
    best, calls, began = float("inf"), 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - began < min_seconds:
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
        calls += 1
    return best
