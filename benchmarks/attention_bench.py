#!/usr/bin/env python3
"""Approximate attention vs exact attention: time, peak memory, error.

For each sequence length n: one batch of 8 heads, d = 64, f32. Methods:
effattn exact attention, Nyströmformer (m = 64), YOSO-E (τ = 8), YOSO-LSH
(τ = 8, 16 hashes, Gaussian projection), MRA-2 (blocks of 32, 4 and 8 blocks
per block row, "full" mode) and MRA-2-s (8 per row, "sparse" mode), and
PyTorch (CPU) exact attention
(softmax(QKᵀ/√d)V, one head at a time so that its n×n scores fit in memory).
Every effattn op is compiled for this CPU first (not timed); times are the
best of --repeats calls (one at n >= 16384) and of as many more as fit in a
second, so that the fast methods take the best of several calls at every n. Both effattn (OpenMP over its parallel tiles) and
PyTorch use all cores (torch.set_num_threads(os.cpu_count())). Peak memory is the
process's peak RSS during the calls (reset through /proc/self/clear_refs)
minus the RSS before them. Error is the relative Frobenius error against
effattn's exact attention (for YOSO, whose output rows are L2-normalised by
definition, against the normalised rows of exact attention).

Usage: PYTHONPATH=python python3 benchmarks/attention_bench.py [--sizes 1024 4096 16384]
       [--repeats 3] [--only mra ...] [--causal] [--json results.json]

--causal times causal exact attention instead (key j hidden from query
i < j; the approximate methods have no causal form): effattn exact (full,
the time reference), effattn and PyTorch causal, whose errors are against
effattn causal.

--only keeps effattn exact (the reference) and the methods whose name
contains one of the given strings.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import effattn  # noqa: E402
from timing import measure  # noqa: E402

BATCH, HEAD_DIM, LANDMARKS, TAU, HASHES = 8, 64, 64, 8, 16


def torch_attention(torch, q, k, v, causal=False):
    outs = []
    scale = 1.0 / np.sqrt(q.shape[-1])
    n, m = q.shape[-2], k.shape[-2]
    hidden = torch.ones(n, m, dtype=torch.bool).triu(1) if causal else None
    with torch.no_grad():
        for h in range(q.shape[0]):
            qh, kh, vh = (torch.from_numpy(x[h]) for x in (q, k, v))
            scores = qh @ kh.T * scale
            if causal:
                scores.masked_fill_(hidden, float("-inf"))
            p = torch.softmax(scores, dim=-1)
            outs.append((p @ vh).numpy())
    return np.stack(outs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1024, 4096, 16384])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", help="method name substrings to run")
    parser.add_argument("--causal", action="store_true",
                        help="causal exact attention (effattn and PyTorch) only")
    parser.add_argument("--json")
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(os.cpu_count())
    except ImportError:
        torch = None
        print("PyTorch not installed (apt-get install python3-torch): its column is skipped")

    rng = np.random.default_rng(0)
    projection = rng.standard_normal((HEAD_DIM, HASHES * TAU)).astype(np.float32)
    methods = {
        "effattn exact": lambda q, k, v: effattn.ops.attention(q, k, v),
        f"nystrom m={LANDMARKS}": lambda q, k, v: effattn.ops.nystrom_attention(
            q, k, v, num_landmarks=LANDMARKS),
        f"yoso-E tau={TAU}": lambda q, k, v: effattn.ops.yoso_attention(
            q, k, v, hash_bits=TAU),
        f"yoso-LSH tau={TAU} m={HASHES}": lambda q, k, v: effattn.ops.yoso_attention(
            q, k, v, mode="lsh", hash_bits=TAU, num_hashes=HASHES, projection=projection),
    }
    for per_row in (4, 8):
        methods[f"mra bpr={per_row}"] = (
            lambda q, k, v, per_row=per_row: effattn.ops.mra_attention(
                q, k, v, blocks_per_row=per_row))
    methods["mra-s bpr=8"] = lambda q, k, v: effattn.ops.mra_attention(
        q, k, v, blocks_per_row=8, mode="sparse")
    if torch is not None:
        methods["pytorch exact"] = lambda q, k, v: torch_attention(torch, q, k, v)
    if args.causal:
        methods = {"effattn exact": methods["effattn exact"],
                   "effattn exact causal":
                   lambda q, k, v: effattn.ops.attention(q, k, v, causal=True)}
        if torch is not None:
            methods["pytorch exact causal"] = (
                lambda q, k, v: torch_attention(torch, q, k, v, causal=True))
    if args.only:
        methods = {name: fn for i, (name, fn) in enumerate(methods.items())
                   if i == 0 or any(part in name for part in args.only)}

    results = []
    print(f"{'n':>6} {'method':<22} {'time ms':>10} {'x exact':>8} {'peak MiB':>9} {'rel err':>9}")
    for n in args.sizes:
        q, k, v = (rng.standard_normal((BATCH, n, HEAD_DIM)).astype(np.float32)
                   for _ in range(3))
        repeats = args.repeats if n < 16384 else 1
        exact_time = None
        # Errors are against the first effattn output of the same kind.
        exact = {}
        for name, fn in methods.items():
            seconds, peak, out = measure(lambda: fn(q, k, v), repeats, min_seconds=1.0)
            exact_time = exact_time or seconds
            causal = name.endswith("causal")
            exact.setdefault(causal, out)
            # YOSO's rows are L2-normalised by definition: compare them with
            # the normalised rows of exact attention.
            want = exact[causal]
            if name.startswith("yoso"):
                want = want / np.maximum(np.linalg.norm(want, axis=-1, keepdims=True), 1e-12)
            error = float(np.linalg.norm(out - want) / np.linalg.norm(want))
            row = dict(n=n, method=name, ms=seconds * 1e3, speedup=exact_time / seconds,
                       peak_mib=peak, rel_error=error)
            results.append(row)
            print(f"{n:>6} {name:<22} {row['ms']:>10.1f} {row['speedup']:>8.2f} "
                  f"{peak:>9.1f} {error:>9.2e}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(batch=BATCH, head_dim=HEAD_DIM, causal=args.causal,
                           results=results), f, indent=1)


if __name__ == "__main__":
    main()
