#!/usr/bin/env python3
"""FrameQuant's frame_linear vs fp32 linear layers on CPU: time, weight bytes,
error.

A linear layer in = out = --dim (4096) with Gaussian weights (std 1/√in),
quantized by effattn at compile time (effattn.ops.frame_quantize: 2 bits,
both sides, redundancy 1.0 and 1.1), then run from its packed codes by
effattn.frame_linear at each --batch. Baselines on the same input, in the same
process: OpenBLAS (numpy's x @ Wᵀ: sgemv at batch 1, sgemm otherwise) and
PyTorch CPU (torch.nn.functional.linear), both on the fp32 weights.

Columns: time (best of --repeats calls, at least 0.5 s of calls), speed-up
over OpenBLAS, the dense-equivalent rate 2·batch·in·out / time, weight bytes
and the rate they are read at (bytes / time), and errors: the output against
x·Ŵᵀ (Ŵ the numpy oracle's reconstruction: how exactly the packed kernel
computes the quantized layer) and against the fp32 layer x·Wᵀ (what 2-bit
quantization costs), plus the weight reconstruction error ‖Ŵ − W‖/‖W‖.
Everything uses both cores (OpenMP, OpenBLAS and torch threads).

Usage: PYTHONPATH=python python3 benchmarks/framequant_bench.py [--dim 4096]
       [--batch 1 64] [--redundancy 1.0 1.1] [--repeats 20] [--target host]
       [--json out.json]
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from effattn import ops  # noqa: E402
from timing import best_time  # noqa: E402


def relative_error(got, want):
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=4096)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--redundancy", type=float, nargs="+", default=[1.0, 1.1])
    parser.add_argument("--bits", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--target", default="host",
                        help="CPU effattn compiles for: host (table kernel with AVX-512) "
                             "or a preset such as x86-64-v3 (AVX2: field kernel)")
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(os.cpu_count())

    rng = np.random.default_rng(0)
    dim = args.dim
    w = (rng.standard_normal((dim, dim)) / np.sqrt(dim)).astype(np.float32)
    tw = torch.from_numpy(w)
    with ops.target(args.target):
        packed = {r: ops.frame_quantize(w, bits=args.bits, redundancy=r, seed_in=1, seed_out=2)
                  for r in args.redundancy}
    w_hat = {r: p.W_hat for r, p in packed.items()}
    results = []
    print(f"linear {dim} -> {dim}, {args.bits}-bit FrameQuant (effattn for {args.target}) vs "
          f"fp32; fp32 weights {w.nbytes / 2**20:.0f} MiB")
    print(f"{'batch':>5} {'method':<26} {'ms':>8} {'x BLAS':>7} {'GFLOP/s':>8} "
          f"{'weights MiB':>11} {'GB/s':>6} {'err vs Ŵ':>9} {'err vs W':>9}")
    for batch in args.batch:
        x = rng.standard_normal((batch, dim)).astype(np.float32)
        tx = torch.from_numpy(x)
        exact = x @ w.T
        flops = 2.0 * batch * dim * dim
        blas_s = best_time(lambda: x @ w.T, args.repeats)
        with torch.no_grad():
            torch_s = best_time(lambda: torch.nn.functional.linear(tx, tw), args.repeats)
        rows = [("OpenBLAS fp32", blas_s, w.nbytes, None, 0.0),
                ("PyTorch fp32", torch_s, w.nbytes, None, 0.0)]
        for r, p in packed.items():
            with ops.target(args.target):
                y = ops.frame_linear(x, p)
                seconds = best_time(lambda: ops.frame_linear(x, p), args.repeats)
            nbytes = p.compiled_words.nbytes + p.scale.nbytes + p.zero.nbytes
            rows.append((f"effattn frame_linear r={r}", seconds, nbytes,
                         relative_error(y, x @ w_hat[r].T), relative_error(y, exact)))
        for name, seconds, nbytes, error_hat, error in rows:
            row = dict(batch=batch, method=name, seconds=seconds,
                       speedup_vs_openblas=blas_s / seconds, gflops=flops / seconds / 1e9,
                       weight_bytes=int(nbytes), weight_gbytes_per_s=nbytes / seconds / 1e9,
                       error_vs_w_hat=error_hat, error_vs_fp32=error)
            results.append(row)
            hat = "" if error_hat is None else f"{error_hat:.1e}"
            print(f"{batch:>5} {name:<26} {seconds * 1e3:>8.3f} {blas_s / seconds:>7.2f} "
                  f"{flops / seconds / 1e9:>8.1f} {nbytes / 2**20:>11.2f} "
                  f"{nbytes / seconds / 1e9:>6.1f} {hat:>9} {error:>9.3f}")
    reconstruction = {str(r): relative_error(w_hat[r], w) for r in packed}
    print("weight reconstruction error ‖Ŵ − W‖/‖W‖: " +
          ", ".join(f"r={r}: {e:.3f}" for r, e in reconstruction.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(dim=dim, bits=args.bits, target=args.target, results=results,
                           reconstruction_error=reconstruction), f, indent=1)


if __name__ == "__main__":
    main()
