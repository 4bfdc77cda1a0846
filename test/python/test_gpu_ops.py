"""The effattn ops other than attention, and plain linalg, compiled for an
NVIDIA GPU (each linalg op of their decomposition a kernel) against the
numpy oracles, on a GPU and emulated on the CPU; see gpu.py for how the
tests compile, run and skip."""

import numpy as np
import pytest

import effattn
from effattn import reference
from effattn.compiler import CompileError
from gpu import ON_GPU_AND_EMULATED, TARGET, run_on_gpu
from test_lookup_ffn import bh4_params, dense_params
from vectors import random_self_attention, relative_error


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,d,e,landmarks,init,masked,conv,dtype", [
    ((2, 3), 64, 32, 16, 8, "original", True, True, np.float32),
    ((4,), 37, 8, 8, 5, "exact", False, False, np.float32),
    ((2,), 48, 16, 16, 12, "exact", True, False, np.float16),
])
def test_gpu_nystrom_matches_oracle(batch, n, d, e, landmarks, init, masked,
                                    conv, dtype, emulated):
    rng = np.random.default_rng(300 + n + landmarks)
    q, k, v, mask = random_self_attention(rng, batch, n, d, e, dtype, masked)
    weight = rng.standard_normal((batch[-1], 5)).astype(dtype) if conv else None
    kwargs = dict(mask=mask, num_landmarks=landmarks, pinv_init=init,
                  conv_weight=weight)
    got = run_on_gpu(effattn.ops.nystrom_attention, q, k, v, emulated=emulated,
                     **kwargs)
    want = reference.nystrom_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    assert relative_error(got, want) <= (1e-5 if dtype == np.float32 else 5e-3)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("batch,n,d,e,version,masked,dtype", [
    ((2, 3), 37, 16, 8, 1, True, np.float32),
    ((2,), 50, 32, 16, 2, False, np.float32),
    ((2,), 24, 16, 16, 1, True, np.float16),
])
def test_gpu_yoso_expectation_matches_oracle(batch, n, d, e, version, masked,
                                             dtype, emulated):
    rng = np.random.default_rng(400 + n)
    q, k, v, mask = random_self_attention(rng, batch, n, d, e, dtype, masked)
    kwargs = dict(mask=mask, mode="expectation", hash_bits=8, version=version)
    got = run_on_gpu(effattn.ops.yoso_attention, q, k, v, emulated=emulated,
                     **kwargs)
    want = reference.yoso_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    assert relative_error(got, want) <= (1e-5 if dtype == np.float32 else 5e-3)


@ON_GPU_AND_EMULATED
@pytest.mark.parametrize("projection", ["dense", "bh4"])
@pytest.mark.parametrize("shape,tables,bits,d_out", [
    ((7, 64), 8, 8, 32),
    ((2, 3, 33, 40), 5, 4, 24),
])
def test_gpu_lookup_ffn_matches_oracle(projection, shape, tables, bits, d_out,
                                      emulated):
    rng = np.random.default_rng(sum(shape) + tables + bits)
    d = shape[-1]
    block = min(16, 1 << (d - 1).bit_length())
    p = (dense_params(rng, d, tables, bits, d_out) if projection == "dense"
         else bh4_params(rng, d, tables, bits, d_out, block_size=block))
    x = rng.standard_normal(shape).astype(np.float32)
    got = run_on_gpu(effattn.ops.lookup_ffn, x, code_bits=bits,
                     projection=projection, emulated=emulated, **p)
    want = reference.lookup_ffn(x, code_bits=bits, projection=projection, **p)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


#: A model's own linalg: a GEMM, a 0-d full reduction, a broadcast and a
#: transposed (strided) copy between them.
MODEL = """
#id = affine_map<(i, j) -> (i, j)>
#all = affine_map<(i, j) -> ()>
func.func @model(%a: tensor<70x33xf32>, %b: tensor<33x50xf32>) -> tensor<50x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<70x50xf32>
  %c0 = linalg.fill ins(%zero : f32) outs(%e : tensor<70x50xf32>) -> tensor<70x50xf32>
  %c = linalg.matmul ins(%a, %b : tensor<70x33xf32>, tensor<33x50xf32>) outs(%c0 : tensor<70x50xf32>) -> tensor<70x50xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %s = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]} ins(%c : tensor<70x50xf32>) outs(%s1 : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %y = arith.addf %x, %acc : f32
    linalg.yield %y : f32
  } -> tensor<f32>
  %d = linalg.generic {indexing_maps = [#id, #all, #id], iterator_types = ["parallel", "parallel"]} ins(%c, %s : tensor<70x50xf32>, tensor<f32>) outs(%e : tensor<70x50xf32>) {
  ^bb0(%x: f32, %t: f32, %o: f32):
    %y = arith.subf %x, %t : f32
    linalg.yield %y : f32
  } -> tensor<70x50xf32>
  %t0 = tensor.empty() : tensor<50x70xf32>
  %t = linalg.transpose ins(%d : tensor<70x50xf32>) outs(%t0 : tensor<50x70xf32>) permutation = [1, 0]
  return %t : tensor<50x70xf32>
}
"""


@ON_GPU_AND_EMULATED
def test_gpu_linalg_model_matches_numpy(emulated):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((70, 33)).astype(np.float32)
    b = rng.standard_normal((33, 50)).astype(np.float32)
    module = effattn.compile(MODEL, target=TARGET, module_name="gpu_model",
                             emulate_gpu=emulated)
    got = run_on_gpu(module.model, a, b, emulated=emulated)
    c = a.astype(np.float64) @ b
    np.testing.assert_allclose(got, (c - c.sum()).T, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("call,reason", [
    (lambda x: effattn.ops.mra_attention(x, x, x, block_size=8, num_blocks=4),
     "the block selection runs on the host"),
    (lambda x: effattn.ops.yoso_attention(
        x, x, x, mode="lsh", hash_bits=4, num_hashes=2,
        projection=np.ones((16, 8), np.float32)),
     "the LSH bucket scatter runs on the host"),
])
def test_ops_without_gpu_lowering_are_compile_errors(call, reason):
    x = np.ones((2, 32, 16), np.float32)
    with pytest.raises(CompileError, match=f"has no GPU lowering yet: {reason}"):
        with effattn.ops.target(TARGET):
            call(x)
