"""linalg.matmul through effattn's CPU pipeline: the scheduled GEMM
(effattn-schedule-matmuls: packed panels, register tiles, a peeled tail) and
the generic lowering of shapes it leaves alone, against numpy, for the host
(AVX-512 here: 8 × 32 tiles) and for x86-64-v3 (AVX2: 6 × 16 tiles)."""

import numpy as np
import pytest

import effattn


def matmul_module(m, n, k):
    a, b, c = (f"tensor<{m}x{k}xf32>", f"tensor<{k}x{n}xf32>", f"tensor<{m}x{n}xf32>")
    return f"""
func.func @gemm(%a: {a}, %b: {b}) -> {c} {{
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : {c}
  %init = linalg.fill ins(%zero : f32) outs(%e : {c}) -> {c}
  %r = linalg.matmul ins(%a, %b : {a}, {b}) outs(%init : {c}) -> {c}
  return %r : {c}
}}
"""


@pytest.mark.parametrize("target", ["host", "x86-64-v3"])
@pytest.mark.parametrize("m,n,k", [(256, 384, 512),   # scheduled; AVX2 peels 128 = 21·6 + 2
                                   (64, 1024, 128),   # scheduled, one M block per thread
                                   (96, 40, 64),      # N = 40: generic lowering
                                   (7, 16, 16)])      # M not split: one thread
def test_matmul_matches_numpy(target, m, n, k):
    rng = np.random.default_rng(m + n + k)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    module = effattn.compile(matmul_module(m, n, k), target=target, module_name="gemm")
    want = a.astype(np.float64) @ b.astype(np.float64)
    got = module.gemm(a, b)
    assert np.linalg.norm(got - want) <= 1e-5 * np.linalg.norm(want)


@pytest.mark.parametrize("config", [
    "threads = 1, mc = 32, nc = 64, kc = 64, mr = 4, nr = 16",   # MR divides MC
    "threads = 2, mc = 32, nc = 32, kc = 32, mr = 5, nr = 16",   # a peeled tile of 2
    "threads = 2, mc = 16, nc = 64, kc = 128, mr = 16, nr = 32", # widest register tile
])
def test_matmul_with_user_config_matches_numpy(config):
    """A #effattn.gemm_config written on the matmul replaces the target's."""
    m, n, k = 64, 64, 128
    text = matmul_module(m, n, k).replace(
        "linalg.matmul ins", "linalg.matmul {effattn.lowering_config = "
        f"#effattn.gemm_config<{config}>}} ins")
    rng = np.random.default_rng(7)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    module = effattn.compile(text, module_name="gemm")
    want = a.astype(np.float64) @ b.astype(np.float64)
    assert np.linalg.norm(module.gemm(a, b) - want) <= 1e-5 * np.linalg.norm(want)
