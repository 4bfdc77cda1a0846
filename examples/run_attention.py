#!/usr/bin/env python3
"""Compiles examples/attention.mlir for the host CPU, runs it and checks it.

Prints the max error against the numpy oracle, the best time over several
calls, the achieved GFLOP/s (FLOP rule: 4·N·M·D per head for Q·Kᵀ and P·V)
as a share of this machine's FMA peak, measured by the benchmark harness's
microbenchmark, and the same for numpy in float32 as a point of comparison
(timed first: effattn's OpenMP threads spin for a while after a call and
would slow numpy's BLAS threads down).
"""

import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import effattn  # noqa: E402
from effattn import reference  # noqa: E402
from harness import measure_peak  # noqa: E402

TOLERANCE = 1e-5


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    source = os.path.join(ROOT, "examples", "attention.mlir")
    start = time.perf_counter()
    module = effattn.compile(source, module_name="encoder_attention",
                             cache=False)
    compile_s = time.perf_counter() - start

    b, h, n, d = 1, 12, 512, 64
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((b, h, n, d)).astype(np.float32)
               for _ in range(3))
    mask = np.ones((b, h, n), dtype=bool)
    mask[..., n - 37:] = False  # padding at the end of the sequence
    init = np.zeros((b, h, n, d), dtype=np.float32)

    def run():
        return module.encoder_attention(q, k, v, mask, init)

    out = run()
    want = reference.attention(q, k, v, mask=mask)
    err = float(np.max(np.abs(out.astype(np.float64) - want)))
    ok = err <= TOLERANCE

    flops = 4.0 * b * h * n * n * d
    t_np = best_time(lambda: _numpy_attention(q, k, v, mask), 5)
    t = best_time(run, 5)
    peak, _ = measure_peak(3)
    print(f"effattn.attention [{b}x{h}x{n}x{d}] f32, key-padding mask")
    print(f"  compiled in {compile_s:.2f} s")
    print(f"  result check vs numpy oracle: max |error| = {err:.2e} "
          f"(tolerance {TOLERANCE:.0e}) -> {'PASS' if ok else 'FAIL'}")
    print(f"  effattn: {t * 1e3:8.2f} ms  {flops / t / 1e9:6.2f} GFLOP/s "
          f"({100 * flops / t / 1e9 / peak:.1f}% of the measured "
          f"{peak:.0f} GFLOP/s FMA peak)")
    print(f"  numpy  : {t_np * 1e3:8.2f} ms  {flops / t_np / 1e9:6.2f} GFLOP/s "
          "(float32, BLAS matmuls)")
    return 0 if ok else 1


def _numpy_attention(q, k, v, mask):
    scores = (q @ np.swapaxes(k, -1, -2)) / np.float32(np.sqrt(q.shape[-1]))
    scores = np.where(mask[..., None, :], scores, np.float32(-1e9))
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    return p @ v


if __name__ == "__main__":
    sys.exit(main())
