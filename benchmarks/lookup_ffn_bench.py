#!/usr/bin/env python3
"""LookupFFN vs a dense FFN on CPU: time, FLOPs, weight memory.

RoBERTa-small shape (algorithms §5.2): D = D_out = 512, τ = 8 (256-row
tables), T ∈ --tables, N = --tokens (512·16 = 8192 by default), f32
activations, with the dense and the BH4 (block 64) projections and f32 or f16
tables (the op computes in f32 either way). Baselines, on the same input:

* dense FFN D → 4D → D: the two GEMMs alone through OpenBLAS cblas_sgemm
  (numpy's matmul; biases and GELU left out, so this baseline is a lower
  bound on a real FFN's time), and the whole FFN (linear, erf-GELU, linear)
  through PyTorch CPU;
* FLOPs: dense FFN 16·N·D²; LookupFFN 2·N·D·T·τ (dense projection) or
  R·(8·N·P·bs + 4·N·P·log₂P) (BH4), plus 2·N·T·D_out for the gather.

effattn's op is compiled for this CPU first (not timed) and checked against
the numpy oracle on the first 256 tokens. Times are the best of --repeats
calls; everything uses both cores (OpenMP, OpenBLAS and torch threads).

Usage: PYTHONPATH=python python3 benchmarks/lookup_ffn_bench.py [--tokens 8192]
       [--tables 64 128] [--repeats 5] [--json out.json]
"""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import effattn  # noqa: E402
from effattn import reference  # noqa: E402
from timing import best_time  # noqa: E402

D, D_OUT, BITS, BLOCK = 512, 512, 8, 64


def lookup_params(rng, tables, projection):
    width = tables * BITS
    if projection == "dense":
        weight = rng.standard_normal((width, D)) / math.sqrt(D)
    else:
        repeats = -(-width // D)
        weight = rng.standard_normal((repeats, 4, D // BLOCK, BLOCK, BLOCK)) / math.sqrt(
            BLOCK * D)
    return dict(proj_weight=weight.astype(np.float32),
                proj_bias=(0.001 * rng.standard_normal(width)).astype(np.float32),
                tables=(0.02 * rng.standard_normal((tables, 2**BITS, D_OUT))).astype(np.float32),
                bias=(0.001 * rng.standard_normal(D_OUT)).astype(np.float32))


def lookup_flops(tokens, tables, projection):
    width = tables * BITS
    if projection == "dense":
        project = 2.0 * tokens * D * width
    else:
        repeats = -(-width // D)
        project = repeats * (8.0 * tokens * D * BLOCK + 4.0 * tokens * D * math.log2(D))
    return project + 2.0 * tokens * tables * D_OUT


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=512 * 16)
    parser.add_argument("--tables", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(os.cpu_count())
    rng = np.random.default_rng(0)
    n = args.tokens
    x = rng.standard_normal((n, D)).astype(np.float32)

    # The dense FFN baseline.
    w1 = (rng.standard_normal((4 * D, D)) / math.sqrt(D)).astype(np.float32)
    w2 = (rng.standard_normal((D, 4 * D)) / math.sqrt(4 * D)).astype(np.float32)
    b1 = np.zeros(4 * D, np.float32)
    b2 = np.zeros(D, np.float32)
    w1t, w2t = np.ascontiguousarray(w1.T), np.ascontiguousarray(w2.T)
    sgemm_s = best_time(lambda: (x @ w1t) @ w2t, args.repeats)
    tx, tw1, tw2, tb1, tb2 = (torch.from_numpy(a) for a in (x, w1, w2, b1, b2))
    with torch.no_grad():
        torch_s = best_time(lambda: torch.nn.functional.linear(
            torch.nn.functional.gelu(torch.nn.functional.linear(tx, tw1, tb1)), tw2, tb2),
            args.repeats)
    dense_flops = 16.0 * n * D * D
    dense_bytes = (w1.nbytes + w2.nbytes + b1.nbytes + b2.nbytes)
    print(f"dense FFN {D}->{4 * D}->{D}, {n} tokens: {dense_flops / 1e9:.1f} GFLOP, "
          f"weights {dense_bytes / 2**20:.1f} MiB | OpenBLAS GEMMs {sgemm_s * 1e3:.1f} ms "
          f"({dense_flops / sgemm_s / 1e9:.0f} GFLOP/s), PyTorch FFN {torch_s * 1e3:.1f} ms",
          flush=True)
    results = []
    for tables in args.tables:
        for projection, table_dtype in [(projection, dtype) for projection in ("dense", "bh4")
                                        for dtype in (np.float32, np.float16)]:
            p = lookup_params(rng, tables, projection)
            p["tables"] = p["tables"].astype(table_dtype)
            kwargs = dict(code_bits=BITS, projection=projection, **p)
            got = effattn.ops.lookup_ffn(x[:256], **kwargs)
            want = reference.lookup_ffn(x[:256], **kwargs)
            error = float(np.linalg.norm(got - want) / np.linalg.norm(want))
            seconds = best_time(lambda: effattn.ops.lookup_ffn(x, **kwargs), args.repeats)
            flops = lookup_flops(n, tables, projection)
            table_bytes = p["tables"].nbytes
            row = dict(tokens=n, tables=tables, projection=projection,
                       table_dtype=np.dtype(table_dtype).name, effattn_s=seconds,
                       flops=flops, table_mib=table_bytes / 2**20,
                       weight_mib=sum(a.nbytes for a in p.values()) / 2**20,
                       error_vs_oracle=error, sgemm_ffn_s=sgemm_s, torch_ffn_s=torch_s,
                       dense_ffn_flops=dense_flops, dense_ffn_weight_mib=dense_bytes / 2**20,
                       speedup_vs_sgemm=sgemm_s / seconds, speedup_vs_torch=torch_s / seconds)
            results.append(row)
            print(f"LookupFFN T={tables} {projection} {row['table_dtype']} tables: "
                  f"{seconds * 1e3:.1f} ms, "
                  f"{flops / 1e9:.2f} GFLOP ({dense_flops / flops:.1f}x fewer), tables "
                  f"{row['table_mib']:.0f} MiB | {row['speedup_vs_sgemm']:.2f}x OpenBLAS GEMMs, "
                  f"{row['speedup_vs_torch']:.2f}x PyTorch FFN | rel. error vs oracle "
                  f"{error:.1e}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(results=results), f, indent=1)


if __name__ == "__main__":
    main()
