#!/usr/bin/env python3
"""effattn exact attention on an NVIDIA GPU vs PyTorch SDPA, same inputs.

Shapes: batch·heads = 16, d = 128, n = m ∈ --sizes, f16, bf16 and f32. effattn's
library (effattn-compile --target=cuda:<chip>) is called through its C ABI
on PyTorch's device tensors, so neither side copies between host and device
inside the timed region; each time is the median of --repeats calls after a
warm-up, measured with CUDA events around the call (effattn's entry point
returns when its kernel has finished). FLOP rule: 4·B·n·m·d (QKᵀ and PV,
multiply-adds counted as 2). The error column is max |effattn - SDPA|.

Two phases, because the GPU machine need not have the compiler:
  PYTHONPATH=python python3 benchmarks/gpu_attention_bench.py --compile-only
      compiles the libraries into EFFATTN_CACHE_DIR (any machine with the
      CUDA toolkit);
  PYTHONPATH=python python3 benchmarks/gpu_attention_bench.py [--json out.json]
      runs them on the GPU (needs torch with CUDA) from the same cache.
"""

import argparse
import ctypes
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from effattn import ops  # noqa: E402

BATCH, HEAD_DIM = 16, 128


def compile_attention(n, dtype, chip):
    """The cached library computing effattn.attention on [BATCH, n, d]."""
    t = f"tensor<{BATCH}x{n}x{HEAD_DIM}x{dtype}>"
    return ops._one_op_module("attention", (), (t, t, t), (), t, f"cuda:{chip}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--dtypes", nargs="+", default=["f16", "bf16", "f32"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()

    modules = {(n, dt): compile_attention(n, dt, args.chip)
               for n in args.sizes for dt in args.dtypes}
    if args.compile_only:
        print(f"compiled {len(modules)} libraries")
        return

    import torch
    import torch.nn.functional as F

    device = torch.cuda.get_device_name()
    print(f"device: {device}; batch·heads = {BATCH}, d = {HEAD_DIM}")
    print(f"{'n':>6} {'dtype':>5} {'effattn ms':>11} {'TFLOP/s':>8} "
          f"{'SDPA ms':>9} {'TFLOP/s':>8} {'effattn/SDPA':>12} {'max err':>9}")
    rows = []
    for (n, dt), module in modules.items():
        torch_dtype = getattr(torch, {"f16": "float16", "bf16": "bfloat16",
                                      "f32": "float32"}[dt])
        gen = torch.Generator(device="cuda").manual_seed(n)
        q, k, v = (torch.randn(BATCH, n, HEAD_DIM, device="cuda", dtype=torch_dtype,
                               generator=gen) for _ in range(3))
        out = torch.empty_like(q)
        shape = np.array([BATCH, n, HEAD_DIM], np.int64)
        shape_ptr = shape.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))
        call_args = []
        for t in (q, k, v, out):
            call_args += [t.data_ptr(), shape_ptr]

        def run_effattn():
            status = module.attention._fn(*call_args)
            if status:
                raise RuntimeError(module.last_error())

        def run_sdpa():
            return F.scaled_dot_product_attention(q[None], k[None], v[None])

        def median_ms(fn):
            fn()
            torch.cuda.synchronize()
            times = []
            for _ in range(args.repeats):
                start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
                start.record()
                fn()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end))
            return float(np.median(times))

        ms = median_ms(run_effattn)
        sdpa_ms = median_ms(run_sdpa)
        err = (out.float() - run_sdpa()[0].float()).abs().max().item()
        flops = 4.0 * BATCH * n * n * HEAD_DIM
        row = {"n": n, "dtype": dt, "effattn_ms": ms, "sdpa_ms": sdpa_ms,
               "effattn_tflops": flops / ms / 1e9, "sdpa_tflops": flops / sdpa_ms / 1e9,
               "ratio": sdpa_ms / ms, "max_abs_error": err, "device": device}
        rows.append(row)
        print(f"{n:>6} {dt:>5} {ms:>11.2f} {row['effattn_tflops']:>8.1f} "
              f"{sdpa_ms:>9.2f} {row['sdpa_tflops']:>8.1f} {row['ratio']:>12.3f} "
              f"{err:>9.2e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
