"""FrameQuant: the numpy oracle (effattn.reference.frame_*) against the
authors' vectors, the frame's algebra (Parseval blocks, exact inverse) and the
quality claim (2-bit error well below plain RTN); the compiled ops
(effattn.ops.frame_quantize, folded at compile time, and frame_linear on the
packed codes) against the oracle: codes, zero points and packed words
exactly, scales to 1e-6, outputs to 1e-5 of x·Ŵᵀ."""

import os

import numpy as np
import pytest

import effattn
from effattn import ops, reference
from vectors import load_vectors


def test_oracle_reproduces_the_authors_one_sided_vectors():
    data = load_vectors("framequant_d64_r1.0")
    seed, d = int(data["hp_seed"]), int(data["hp_d"])
    blocks = reference.frame_blocks(d, float(data["hp_redundancy"]))
    np.testing.assert_allclose(blocks, data["P"], atol=1e-6)
    np.testing.assert_array_equal(reference.frame_sign_diagonal(seed, d), data["sign_diag"])
    assert reference.hadamard_chunk(d) == int(data["hp_hadamard_chunk"])
    projected = reference.frame_project(data["W"], seed, blocks)
    np.testing.assert_allclose(projected, data["W_proj"], atol=1e-5)
    np.testing.assert_allclose(reference.frame_inverse(projected, seed, d, blocks),
                               data["W_proj_inv"], atol=1e-5)
    packed = reference.frame_quantize(data["W"], bits=int(data["hp_wbits"]),
                                      redundancy=float(data["hp_redundancy"]),
                                      seed_in=seed, seed_out=None,
                                      x_sigma=float(data["hp_x_sigma"]))
    np.testing.assert_array_equal(packed.codes, data["q_codes"])
    np.testing.assert_allclose(packed.scale, data["q_scale"], rtol=1e-6)
    np.testing.assert_array_equal(packed.zero, data["q_zero"])
    np.testing.assert_allclose(packed.dequantized, data["W_proj_dequant"], rtol=1e-6,
                               atol=1e-6)
    w_hat = packed.W_hat
    assert np.linalg.norm(w_hat - data["W_hat"]) <= 1e-5 * np.linalg.norm(data["W_hat"])
    x = np.random.default_rng(0).standard_normal((5, d)).astype(np.float32)
    np.testing.assert_allclose(reference.frame_linear(x, packed), x @ data["W_hat"].T,
                               rtol=1e-4, atol=1e-4)


def test_oracle_reproduces_the_authors_baselines():
    data = load_vectors("framequant_d64_r1.0")
    bits = int(data["hp_wbits"])
    np.testing.assert_allclose(reference.rtn_minmax(data["W"], bits), data["W_rtn_minmax_noframe"],
                               rtol=1e-6, atol=1e-6)
    codes, scale, zero = reference.frame_rtn(data["W"], bits, float(data["hp_x_sigma"]))
    np.testing.assert_allclose(scale * (codes - zero), data["W_rtn_xsigma_noframe"],
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("d,redundancy,k", [(64, 1.0, 8), (96, 1.0, 8), (64, 1.1, 9),
                                            (96, 1.1, 9), (48, 1.5, 12)])
def test_frame_blocks_are_parseval_and_the_inverse_is_exact(d, redundancy, k):
    """Exact angles: Parseval to rounding and an exact inverse; the authors'
    float32 angles: off by at most ~2e-6, and within 1e-5 of the exact
    blocks."""
    blocks = reference.frame_blocks(d, redundancy, float32_angles=False)
    assert blocks.shape == (d // 16, 2 * k, 16)
    for block in blocks:
        np.testing.assert_allclose(block.T @ block, np.eye(16), atol=1e-12)
    authors = reference.frame_blocks(d, redundancy)
    np.testing.assert_allclose(authors, blocks, atol=1e-5)
    for block in authors:
        np.testing.assert_allclose(block.T @ block, np.eye(16), atol=1e-5)
    w = np.random.default_rng(d + k).standard_normal((7, d))
    projected = reference.frame_project(w, 1234, blocks)
    assert projected.shape == (7, 2 * k * d // 16)
    np.testing.assert_allclose(reference.frame_inverse(projected, 1234, d, blocks), w,
                               atol=1e-12)
    # Without a frame the transform is orthonormal (Hadamard chunks of 32 for d = 96).
    plain = reference.frame_project(w, 99)
    np.testing.assert_allclose(np.linalg.norm(plain, axis=1), np.linalg.norm(w, axis=1))


def test_two_sided_round_trip_and_quality_against_plain_rtn():
    """2 bits, both sides, a Gaussian weight with three outlier columns (5×):
    the frame reconstruction error (0.42 at redundancy 1.0, 0.37 at 1.1) is
    well below plain per-row RTN's (0.73): the outliers stretch every row's
    range in the original basis, the randomized Hadamard spreads them. (With
    outliers so large that they hold most of the energy, e.g. 25×, RTN's
    relative error drops to ~0.39 because it keeps the outliers and loses
    the rest.)"""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((128, 256)).astype(np.float32)
    w[:, [3, 100, 200]] *= 5
    error = {}
    for redundancy in (1.0, 1.1):
        packed = reference.frame_quantize(w, bits=2, redundancy=redundancy, seed_in=11,
                                          seed_out=12)
        assert packed.codes.min() >= 0 and packed.codes.max() <= 3
        error[redundancy] = np.linalg.norm(packed.W_hat - w) / np.linalg.norm(w)
    rtn = np.linalg.norm(reference.rtn_minmax(w, 2) - w) / np.linalg.norm(w)
    assert error[1.0] < 0.6 * rtn, (error, rtn)
    assert error[1.1] < error[1.0]


def relative_error(got, want):
    return np.linalg.norm(got - want) / np.linalg.norm(want)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("shape,redundancy,seed_out", [((48, 64), 1.0, None),
                                                       ((32, 96), 1.1, 9)])
def test_compiled_quantizer_and_linear_match_the_oracle(bits, shape, redundancy, seed_out):
    rng = np.random.default_rng(bits)
    w = rng.standard_normal(shape).astype(np.float32)
    w[:, 5] *= 6  # an outlier column
    kwargs = dict(bits=bits, redundancy=redundancy, seed_in=17, seed_out=seed_out)
    compiled = ops.frame_quantize(w, **kwargs)
    oracle = reference.frame_quantize(w, **kwargs)
    np.testing.assert_array_equal(compiled.codes, oracle.codes)
    np.testing.assert_array_equal(compiled.zero, oracle.zero)
    np.testing.assert_allclose(compiled.scale, oracle.scale, rtol=1e-6)
    # The compiler's packed words are the documented layout, and unpack back.
    np.testing.assert_array_equal(compiled.compiled_words, oracle.packed)
    np.testing.assert_array_equal(
        reference.unpack_frame_codes(oracle.packed, *oracle.codes.shape, bits), oracle.codes)
    # Batch 1, a batch that leaves a tail after the register tiles, and
    # leading batch dimensions.
    for x_shape in [(1, shape[1]), (7, shape[1]), (2, 3, shape[1]), (shape[1],)]:
        x = rng.standard_normal(x_shape).astype(np.float32)
        got = ops.frame_linear(x, compiled)
        assert got.shape == x_shape[:-1] + (shape[0],)
        assert relative_error(got, reference.frame_linear(x, oracle)) < 1e-5, x_shape


@pytest.mark.parametrize("target", ["x86-64-v3", "host"])
def test_both_kernels_of_two_bit_codes(target):
    """2-bit codes run on the table kernel with AVX-512 (this machine's
    host) and on the field kernel otherwise (x86-64-v3: AVX2): both match
    the oracle, at batch 1 and at a batch with a tail of register tiles."""
    rng = np.random.default_rng(7)
    w = rng.standard_normal((48, 80)).astype(np.float32)
    with ops.target(target):
        packed = ops.frame_quantize(w, bits=2, redundancy=1.1, seed_in=4, seed_out=5)
        oracle = reference.frame_quantize(w, bits=2, redundancy=1.1, seed_in=4, seed_out=5)
        np.testing.assert_array_equal(packed.codes, oracle.codes)
        for batch in (1, 11):
            x = rng.standard_normal((batch, 80)).astype(np.float32)
            assert relative_error(ops.frame_linear(x, packed),
                                  reference.frame_linear(x, oracle)) < 1e-5


def test_compiled_ops_reproduce_the_authors_vectors():
    data = load_vectors("framequant_d64_r1.0")
    seed, bits = int(data["hp_seed"]), int(data["hp_wbits"])
    packed = ops.frame_quantize(data["W"], bits=bits, redundancy=float(data["hp_redundancy"]),
                                seed_in=seed, seed_out=None, x_sigma=float(data["hp_x_sigma"]))
    np.testing.assert_array_equal(packed.codes, data["q_codes"])
    np.testing.assert_array_equal(packed.zero, data["q_zero"])
    np.testing.assert_allclose(packed.scale, data["q_scale"], rtol=1e-6)
    assert relative_error(packed.W_hat, data["W_hat"]) <= 1e-5
    x = np.random.default_rng(1).standard_normal((5, 64)).astype(np.float32)
    assert relative_error(ops.frame_linear(x, packed), x @ data["W_hat"].T) <= 1e-5


def test_compiled_quality_against_plain_rtn():
    """The compiled 2-bit two-sided quantizer on a Gaussian weight with
    outlier columns: reconstruction error 0.42 (redundancy 1.0) and 0.37
    (1.1) vs 0.73 for per-row RTN in the original basis."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((128, 256)).astype(np.float32)
    w[:, [3, 100, 200]] *= 5
    rtn = relative_error(reference.rtn_minmax(w, 2), w)
    errors = [relative_error(ops.frame_quantize(w, bits=2, redundancy=r, seed_in=11,
                                                seed_out=12).W_hat, w) for r in (1.0, 1.1)]
    assert errors[0] < 0.6 * rtn and errors[1] < errors[0], (errors, rtn)


def test_model_binary_holds_only_packed_codes(tmp_path):
    """A layer with constant f32 weights compiles into a library without
    them: 256×256 f32 weights are 256 KiB, their 2-bit codes 16 KiB."""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((256, 256)).astype(np.float32)
    text = f"""
func.func @layer(%x: tensor<4x256xf32>) -> tensor<4x256xf32> {{
  %w = arith.constant dense<"0x{w.tobytes().hex().upper()}"> : tensor<256x256xf32>
  %c, %s, %z = effattn.frame_quantize {{seed_in = 3, seed_out = 4}} %w
      : tensor<256x256xf32> -> tensor<16x16x16xi32>, tensor<256xf32>, tensor<256xf32>
  %init = tensor.empty() : tensor<4x256xf32>
  %y = effattn.frame_linear {{seed_in = 3, seed_out = 4}}
      ins(%x, %c, %s, %z : tensor<4x256xf32>, tensor<16x16x16xi32>, tensor<256xf32>, tensor<256xf32>)
      outs(%init : tensor<4x256xf32>) -> tensor<4x256xf32>
  return %y : tensor<4x256xf32>
}}
"""
    module = effattn.compile(text, module_name="layer", cache=False)
    x = rng.standard_normal((4, 256)).astype(np.float32)
    oracle = reference.frame_quantize(w, seed_in=3, seed_out=4)
    assert relative_error(module.layer(x), reference.frame_linear(x, oracle)) < 1e-5
    assert os.path.getsize(module.path) < w.nbytes // 2, os.path.getsize(module.path)
