#!/usr/bin/env python3
"""effattn's GEMM kernels on an NVIDIA GPU vs PyTorch (cuBLAS).

C[M, N] = A[M, K] · B[N, K]ᵀ (both operands contiguous along K, as in a
linear layer and in IM-Unpack's low-bit GEMMs), M = N = K ∈ --sizes, for
--dtypes: "f16" and "bf16" into f32, "i8" into i32 and "f32" (as 3xTF32:
three tf32 products per multiply-add, f32-level accuracy) on effattn's
tensor-core kernel (mma.sync), and "f32-fma" (f32 on its SIMT kernel,
--gpu-f32-contractions=fma: which of the two f32 kernels is faster). The
baselines, on the same tensors in the
same run: torch.matmul (f16/bf16 results, f32 accumulation; f32 with TF32
off, PyTorch's default: cuBLAS's FP32 kernels) and torch._int_mm for i8. effattn's
library (effattn-compile --target=cuda:<chip>) is called through its C ABI on
PyTorch's device tensors; each time is the median of --repeats calls after a
warm-up, with CUDA events. TFLOP/s (TOP/s for i8) count 2·M·N·K; "vs
PyTorch" is PyTorch's time over effattn's; the error column is max
|effattn - PyTorch| relative to max |PyTorch| (0 for i8: exact).

Two phases, because the GPU machine need not have the compiler:
  PYTHONPATH=python python3 benchmarks/gpu_gemm_bench.py --compile-only
  PYTHONPATH=python python3 benchmarks/gpu_gemm_bench.py [--json out.json]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import effattn  # noqa: E402
from gpu_timing import abi_call, finish, median_ms, torch_dtype  # noqa: E402

#: dtype -> (MLIR element type of A and B, of C, its zero, effattn.compile
#: options).
DTYPES = {
    "f16": ("f16", "f32", "0.0", {}),
    "bf16": ("bf16", "f32", "0.0", {}),
    "i8": ("i8", "i32", "0", {}),
    "f32": ("f32", "f32", "0.0", {}),
    "f32-fma": ("f32", "f32", "0.0", {"f32_contractions": "fma"}),
}


def gemm_source(size, dtype):
    """`func.func @gemm(A, B) -> A·Bᵀ` for square operands of `size`."""
    element, acc, zero, _ = DTYPES[dtype]
    a = f"tensor<{size}x{size}x{element}>"
    c = f"tensor<{size}x{size}x{acc}>"
    maps = ("affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>, "
            "affine_map<(i, j, k) -> (i, j)>")
    return f"""
func.func @gemm(%a: {a}, %b: {a}) -> {c} {{
  %zero = arith.constant {zero} : {acc}
  %e = tensor.empty() : {c}
  %c = linalg.fill ins(%zero : {acc}) outs(%e : {c}) -> {c}
  %r = linalg.matmul indexing_maps = [{maps}] ins(%a, %b : {a}, {a}) outs(%c : {c}) -> {c}
  return %r : {c}
}}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4096, 8192])
    parser.add_argument("--dtypes", nargs="+", default=list(DTYPES), choices=list(DTYPES))
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--compile-only", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()

    modules = {(size, dt): effattn.compile(gemm_source(size, dt), target=f"cuda:{args.chip}",
                                           module_name=f"gemm_{dt.replace('-', '_')}_{size}",
                                           **DTYPES[dt][3])
               for size in args.sizes for dt in args.dtypes}
    if args.compile_only:
        print(f"compiled {len(modules)} libraries")
        return

    import torch

    device = torch.cuda.get_device_name()
    print(f"device: {device}; C = A·Bᵀ, M = N = K")
    print(f"{'size':>6} {'dtype':>7} {'effattn ms':>11} {'TFLOP/s':>8} {'PyTorch ms':>11} "
          f"{'TFLOP/s':>8} {'vs PyTorch':>10} {'error':>9}")
    rows = []
    for (size, dt), module in modules.items():
        gen = torch.Generator(device="cuda").manual_seed(size)
        if dt == "i8":
            a, b = (torch.randint(-128, 128, (size, size), device="cuda", dtype=torch.int8,
                                  generator=gen) for _ in range(2))
            out = torch.empty(size, size, device="cuda", dtype=torch.int32)

            def run_torch():
                return torch._int_mm(a, b.t())
        else:
            a, b = (torch.randn(size, size, device="cuda", dtype=torch_dtype(DTYPES[dt][0]),
                            generator=gen)
                    for _ in range(2))
            out = torch.empty(size, size, device="cuda", dtype=torch.float32)

            def run_torch():
                return torch.matmul(a, b.t())
        run_effattn = abi_call(module, "gemm", (a, b, out))
        ms = median_ms(run_effattn, args.repeats)
        torch_ms = median_ms(run_torch, args.repeats)
        want = run_torch().to(out.dtype)
        if dt == "i8":
            err = float((out != want).sum().item())
        else:
            err = ((out - want).abs().max() / want.abs().max()).item()
        flops = 2.0 * size ** 3
        row = {"size": size, "dtype": dt, "effattn_ms": ms, "torch_ms": torch_ms,
               "effattn_tflops": flops / ms / 1e9, "torch_tflops": flops / torch_ms / 1e9,
               "ratio": torch_ms / ms,
               "mismatches" if dt == "i8" else "relative_error": err, "device": device}
        rows.append(row)
        print(f"{size:>6} {dt:>7} {ms:>11.3f} {row['effattn_tflops']:>8.1f} {torch_ms:>11.3f} "
              f"{row['torch_tflops']:>8.1f} {row['ratio']:>10.3f} {err:>9.2e}")
        finish(rows, args.json)


if __name__ == "__main__":
    main()
