#!/usr/bin/env python3
"""IM-Unpack: unpack overhead per strategy and exact low-bit GEMM speed.

For M = N = K in --sizes and a fraction of heavy hitters in --heavy, both
operands hold b-bit values (|x| < 2^(b-1), b = --bits) except the heavy
hitters, which are up to ±2^15. Reported:

* overhead: the unpacked GEMM's size over the original one, per strategy,
  from the compiled effattn.unpacked_sizes (checked against the oracle's
  unpacking, `effattn.reference.unpack_operands`, up to n = 512):
  (M'·N'·K'') / (M·N·K) — (M'/M)·(N'/N) for "row", K''/K for "column";
* time and GOP/s (2·M·N·K operations of the original problem; the low-bit
  core is also given at its own unpacked size) of:
  - effattn.unpacked_matmul, strategies "row", "column" and "both", end to
    end (plan, unpack, i8 GEMMs with i32 accumulation, pack), checked exact;
  - the effattn low-bit core: the same op on b-bit operands of the row
    strategy's unpacked shapes (so nothing is split), i.e. its i8 GEMM plus
    linear-time bookkeeping;
  - OpenBLAS cblas_sgemm (fp32) and oneDNN dnnl_gemm_s8s8s32 at M x N x K,
    called through ctypes in this process;
* the core's and the whole op's throughput relative to sgemm's, measured in
  the same run (this VM's nominal fp32 peak, ~166 GFLOP/s, is not a safe
  denominator: OpenBLAS has measured above it at n = 512).

Times are the best of at least --repeats calls (and of all calls within
0.5 s) after a warm-up (which compiles).
Usage: PYTHONPATH=python python3 benchmarks/imunpack_bench.py [--sizes 512 2048]
       [--heavy 0.01 0.05] [--bits 8] [--distribution entries|rows] [--repeats 5]
       [--json out.json]
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import effattn  # noqa: E402
from effattn import reference  # noqa: E402
from timing import best_time  # noqa: E402

def operands(rng, size, heavy, bits, distribution):
    """b-bit operands with heavy hitters up to ±2^15: a fraction `heavy` of the
    entries ("entries"), or of the rows, all of whose entries are heavy
    ("rows", like the authors' profile.py)."""
    top = (1 << (bits - 1)) - 1

    def draw():
        x = rng.integers(-top, top + 1, (size, size))
        if distribution == "rows":
            hitters = np.broadcast_to(rng.random((size, 1)) < heavy, x.shape)
        else:
            hitters = rng.random(x.shape) < heavy
        x[hitters] = rng.integers(-(2**15), 2**15 + 1, int(hitters.sum()))
        return x
    return draw(), draw()


def load_baselines():
    blas = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
    blas.cblas_sgemm.argtypes = [ctypes.c_int] * 3 + [ctypes.c_int] * 3 + [
        ctypes.c_float, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
        ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
    try:
        dnnl = ctypes.CDLL("libdnnl.so.2")
        dim = ctypes.c_int64
        dnnl.dnnl_gemm_s8s8s32.argtypes = [
            ctypes.c_char, ctypes.c_char, ctypes.c_char, dim, dim, dim, ctypes.c_float,
            ctypes.c_void_p, dim, ctypes.c_int8, ctypes.c_void_p, dim, ctypes.c_int8,
            ctypes.c_float, ctypes.c_void_p, dim, ctypes.c_void_p]
    except OSError:
        dnnl = None
        print("oneDNN (libdnnl.so.2) not found: its column is skipped")
    return blas, dnnl


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--heavy", type=float, nargs="+", default=[0.01, 0.05])
    parser.add_argument("--bits", type=int, default=8)
    parser.add_argument("--distribution", choices=["entries", "rows"], default="entries",
                        help="heavy hitters scattered over entries or whole rows")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    blas, dnnl = load_baselines()
    rng = np.random.default_rng(0)
    results = []
    for size in args.sizes:
        for heavy in args.heavy:
            a, b = operands(rng, size, heavy, args.bits, args.distribution)
            ops = 2.0 * size ** 3
            row = dict(size=size, heavy=heavy, bits=args.bits, distribution=args.distribution)
            want = a @ b.T
            for strategy in ("row", "column", "both"):
                sizes = effattn.ops.unpacked_sizes(a, b, bits=args.bits, strategy=strategy)
                if size <= 512:  # the oracle's greedy is O(splits·size²) in numpy
                    a_u, b_u, *_ = reference.unpack_operands(a, b, args.bits, strategy)
                    assert tuple(sizes) == (a_u.shape[0], b_u.shape[0], a_u.shape[1]), \
                        f"{strategy}: unpacked sizes differ from the oracle's"
                row[f"overhead_{strategy}"] = float(np.prod(sizes.astype(np.float64))) / size ** 3
                if strategy == "row":
                    unpacked_rows = int(sizes[0]), int(sizes[1])

                def run(strategy=strategy):
                    return effattn.ops.unpacked_matmul(a, b, bits=args.bits, strategy=strategy)
                assert np.array_equal(run(), want), f"unpacked_matmul ({strategy}) is not exact"
                row[f"effattn_{strategy}_s"] = best_time(run, args.repeats)

            # The core: the same op on b-bit operands of the unpacked shape
            # (nothing to split: digit counts, an identity unpack, the i8 GEMM
            # and a trivial pack).
            m, n = unpacked_rows
            top = (1 << (args.bits - 1)) - 1
            core_a = rng.integers(-top, top + 1, (m, size))
            core_b = rng.integers(-top, top + 1, (n, size))
            row["effattn_core_s"] = best_time(
                lambda: effattn.ops.unpacked_matmul(core_a, core_b, bits=args.bits),
                args.repeats)
            row["core_unpacked_ops"] = 2.0 * m * n * size

            fa, fb = (np.ascontiguousarray(x, dtype=np.float32) for x in (a, b))
            fc = np.empty((size, size), np.float32)
            # Row-major (101), C = A·Bᵀ (NoTrans 111, Trans 112).
            row["sgemm_s"] = best_time(lambda: blas.cblas_sgemm(
                101, 111, 112, size, size, size, 1.0, fa.ctypes.data, size,
                fb.ctypes.data, size, 0.0, fc.ctypes.data, size), args.repeats)
            if dnnl is not None:
                ia, ib = (np.clip(x, -127, 127).astype(np.int8) for x in (a, b))
                ic = np.empty((size, size), np.int32)
                zero = np.zeros(1, np.int32)
                row["dnnl_s8_s"] = best_time(lambda: dnnl.dnnl_gemm_s8s8s32(
                    b"N", b"T", b"F", size, size, size, 1.0, ia.ctypes.data, size, 0,
                    ib.ctypes.data, size, 0, 0.0, ic.ctypes.data, size, zero.ctypes.data),
                    args.repeats)
            for key in ("effattn_row", "effattn_column", "effattn_both", "effattn_core",
                        "sgemm", "dnnl_s8"):
                if f"{key}_s" in row:
                    row[f"{key}_gops"] = ops / row[f"{key}_s"] / 1e9
            row["core_unpacked_gops"] = row["core_unpacked_ops"] / row["effattn_core_s"] / 1e9
            row["core_vs_sgemm"] = row["core_unpacked_gops"] / row["sgemm_gops"]
            row["total_vs_sgemm"] = row["sgemm_s"] / row["effattn_row_s"]
            row["total_vs_core"] = row["effattn_row_s"] / row["effattn_core_s"]
            results.append(row)
            print(f"n={size} heavy={heavy:.0%}: overhead row {row['overhead_row']:.2f} "
                  f"column {row['overhead_column']:.2f} both {row['overhead_both']:.2f} | "
                  f"GOP/s (of the {size}^3 problem): effattn row {row['effattn_row_gops']:.1f}, "
                  f"column {row['effattn_column_gops']:.1f}, both {row['effattn_both_gops']:.1f}, "
                  f"core {row['effattn_core_gops']:.1f} ({row['core_unpacked_gops']:.1f} on "
                  f"{m}x{n}x{size}, {row['core_vs_sgemm']:.2f}x sgemm), "
                  f"sgemm {row['sgemm_gops']:.1f}, "
                  f"dnnl s8 {row.get('dnnl_s8_gops', float('nan')):.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(bits=args.bits, results=results), f, indent=1)


if __name__ == "__main__":
    main()
