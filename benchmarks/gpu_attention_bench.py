#!/usr/bin/env python3
"""effattn exact and approximate attention on an NVIDIA GPU vs PyTorch SDPA.

Shapes: batch·heads = 16, d = 128, n = m ∈ --sizes, --dtypes (f16, bf16,
f32). Methods (--methods): "exact" (effattn.attention, flash kernels on
tensor cores: f16/bf16, and f32 as 3xTF32 where it fits), "exact-w32" (the
same with 32 query rows per warp instead of the model's 16: two m16 tiles
sharing each K and V fragment), "exact-fma" (f32 on the SIMT kernel, f32
FMAs: --gpu-f32-contractions=fma), "exact-causal" (a causal window, against
SDPA with is_causal=True; both count half the FLOPs, and effattn's blocks
skip the key tiles past their window), "nystrom" (64 landmarks), "yoso-lsh"
(τ = 8, 16 hashes, a Gaussian
projection), "mra" (blocks of 32, 8 per block row, "full") and "mra-s" (the
same, "sparse"): the approximate ones as their decompositions' kernels
(effattn-gpu-map-linalg). Every row is timed against PyTorch's
scaled_dot_product_attention (exact, flash) on the same tensors in the same
run. effattn's library (effattn-compile --target=cuda:<chip>) is called
through its C ABI on PyTorch's device tensors, so neither side copies
between host and device inside the timed region; each time is the median of
--repeats calls after a warm-up, measured with CUDA events around the call
(effattn's entry point returns when its kernels have finished). TFLOP/s use
the exact rule 4·B·n·m·d for every method, half of it for exact-causal (so
an approximation's figure is "exact-attention FLOP/s equivalent"); "vs SDPA" is SDPA's time over
effattn's. The error column is max |effattn - SDPA| for exact attention and
the relative Frobenius distance to SDPA for the approximations (how far the
approximation is from exact attention on these random inputs).

A method or dtype a method does not compile for is reported and skipped.
--profile adds each row's heaviest GPU kernels per call (PyTorch's profiler,
which also sees the kernels effattn's library launches), printed under the
row and kept in the JSON as "kernels": where the time goes inside the
approximate methods' chains of kernels.

Two phases, because the GPU machine need not have the compiler:
  PYTHONPATH=python python3 benchmarks/gpu_attention_bench.py --compile-only
      compiles the libraries into EFFATTN_CACHE_DIR (any machine with the
      CUDA toolkit);
  PYTHONPATH=python python3 benchmarks/gpu_attention_bench.py [--json out.json]
      runs them on the GPU (needs torch with CUDA) from the same cache.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from effattn import ops  # noqa: E402
from gpu_timing import abi_call, finish, kernel_profile, median_ms, torch_dtype  # noqa: E402

BATCH, HEAD_DIM = 16, 128
TAU, HASHES = 8, 16

#: method -> (effattn op, attributes, optional operands as (keyword, shape),
#: effattn.compile options).
METHODS = {
    "exact": ("attention", (), (), ()),
    "exact-w32": ("attention", (), (), (("attention_warp_rows", 32),)),
    "exact-fma": ("attention", (), (), (("f32_contractions", "fma"),)),
    "exact-causal": ("attention", ("causal",), (), ()),
    "nystrom": ("nystrom_attention", ("num_landmarks = 64",), (), ()),
    "yoso-lsh": ("yoso_attention",
                 ('mode = "lsh"', f"hash_bits = {TAU}", f"num_hashes = {HASHES}"),
                 (("projection", (HEAD_DIM, TAU * HASHES)),), ()),
    "mra": ("mra_attention", ("block_size = 32", "blocks_per_row = 8", 'mode = "full"'), (),
            ()),
    "mra-s": ("mra_attention", ("block_size = 32", "blocks_per_row = 8", 'mode = "sparse"'),
              (), ()),
}


def compile_method(method, n, dtype, chip):
    """The cached library computing `method` on [BATCH, n, d], or the
    compiler's error."""
    op, attrs, clauses, options = METHODS[method]
    if method == "exact-fma" and dtype != "f32":
        return ValueError("f32_contractions changes f32 only (the same kernel as exact)")
    t = f"tensor<{BATCH}x{n}x{HEAD_DIM}x{dtype}>"
    clause_types = tuple(
        (keyword, f"tensor<{'x'.join(map(str, shape))}x{dtype}>") for keyword, shape in clauses)
    try:
        return ops._one_op_module(op, attrs, (t, t, t), clause_types, t, f"cuda:{chip}",
                                  options=options)
    except ops.compiler.CompileError as error:
        return error


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 16384])
    parser.add_argument("--dtypes", nargs="+", default=["f16", "bf16", "f32"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--json")
    parser.add_argument("--profile", action="store_true",
                        help="also record each row's heaviest GPU kernels")
    args = parser.parse_args()

    modules = {}
    for n in args.sizes:
        for dt in args.dtypes:
            for method in args.methods:
                module = compile_method(method, n, dt, args.chip)
                if isinstance(module, Exception):
                    print(f"skipped {method} n={n} {dt}: {str(module).splitlines()[0]}")
                    continue
                modules[(n, dt, method)] = module
    if args.compile_only:
        print(f"compiled {len(modules)} libraries")
        return

    import torch
    import torch.nn.functional as F

    device = torch.cuda.get_device_name()
    print(f"device: {device}; batch·heads = {BATCH}, d = {HEAD_DIM}")
    print(f"{'n':>6} {'dtype':>5} {'method':>12} {'effattn ms':>11} {'TFLOP/s':>8} "
          f"{'SDPA ms':>9} {'TFLOP/s':>8} {'vs SDPA':>8} {'error':>9}")
    rows = []
    for (n, dt, method), module in modules.items():
        gen = torch.Generator(device="cuda").manual_seed(n)
        q, k, v = (torch.randn(BATCH, n, HEAD_DIM, device="cuda", dtype=torch_dtype(dt),
                               generator=gen) for _ in range(3))
        extra = [torch.randn(*shape, device="cuda", dtype=torch_dtype(dt), generator=gen)
                 for _, shape in METHODS[method][2]]
        out = torch.empty_like(q)
        run_effattn = abi_call(module, METHODS[method][0], (q, k, v, *extra, out))

        causal = "causal" in METHODS[method][1]

        def run_sdpa():
            return F.scaled_dot_product_attention(q[None], k[None], v[None],
                                                  is_causal=causal)

        ms = median_ms(run_effattn, args.repeats)
        sdpa_ms = median_ms(run_sdpa, args.repeats)
        want = run_sdpa()[0].float()
        if METHODS[method][0] == "attention":
            err = (out.float() - want).abs().max().item()
        else:
            err = ((out.float() - want).norm() / want.norm()).item()
        flops = 4.0 * BATCH * n * n * HEAD_DIM / (2 if causal else 1)
        row = {"n": n, "dtype": dt, "method": method, "effattn_ms": ms, "sdpa_ms": sdpa_ms,
               "effattn_tflops": flops / ms / 1e9, "sdpa_tflops": flops / sdpa_ms / 1e9,
               "ratio": sdpa_ms / ms,
               "max_abs_error" if METHODS[method][0] == "attention" else "relative_error": err,
               "device": device}
        rows.append(row)
        print(f"{n:>6} {dt:>5} {method:>12} {ms:>11.2f} {row['effattn_tflops']:>8.1f} "
              f"{sdpa_ms:>9.2f} {row['sdpa_tflops']:>8.1f} {row['ratio']:>8.3f} "
              f"{err:>9.2e}")
        if args.profile:
            row["kernels"] = kernel_profile(run_effattn, args.repeats)
            for kernel in row["kernels"]:
                if "error" in kernel:
                    print(f"{'':>8}profile: {kernel['error']}")
                    continue
                print(f"{'':>8}{kernel['total_us']:>10.1f} us {kernel['calls']:>4}x  "
                      f"{kernel['kernel'][:60]}")
        # The next libraries get the memory this one keeps for its temporaries.
        module.release_device_memory()
        finish(rows, args.json)


if __name__ == "__main__":
    main()
