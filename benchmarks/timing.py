"""Timing shared by the benchmarks: the best of several calls on a noisy VM,
and the peak memory they add."""

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


def rss_kib(field):
    """A memory field of /proc/self/status ("VmRSS:", "VmHWM:"), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def measure(fn, repeats, min_seconds=0.0):
    """(best seconds, peak extra MiB, output): a warm-up call (it compiles
    effattn modules), then at least `repeats` calls and `min_seconds` of them;
    the memory is the growth of the peak RSS during those calls."""
    out = fn()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak RSS
    except OSError:
        pass
    base = rss_kib("VmRSS:")
    best, calls, began = float("inf"), 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - began < min_seconds:
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
        calls += 1
    return best, max(rss_kib("VmHWM:") - base, 0) / 1024, out
