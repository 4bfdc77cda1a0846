"""effattn.lookup_ffn: the numpy oracle against independent computations, and
compiled code against the oracle (codes exactly, outputs with a tolerance),
for both projection forms."""

import numpy as np
import pytest

import effattn
from effattn import reference


def dense_params(rng, d, tables, bits, d_out):
    return dict(
        proj_weight=(rng.standard_normal((tables * bits, d)) / np.sqrt(d)).astype(np.float32),
        proj_bias=(0.1 * rng.standard_normal(tables * bits)).astype(np.float32),
        tables=(0.5 * rng.standard_normal((tables, 2**bits, d_out))).astype(np.float32),
        bias=(0.1 * rng.standard_normal(d_out)).astype(np.float32))


def bh4_params(rng, d, tables, bits, d_out, block_size):
    padded = 1 << (d - 1).bit_length()
    repeats = -(-tables * bits // padded)
    params = dense_params(rng, d, tables, bits, d_out)
    params["proj_weight"] = (rng.standard_normal(
        (repeats, 4, padded // block_size, block_size, block_size))
        / np.sqrt(block_size * padded)).astype(np.float32)
    return params


def test_walsh_hadamard_is_the_sylvester_matrix():
    rng = np.random.default_rng(0)
    for n in (1, 2, 16, 64):
        x = rng.standard_normal((3, n))
        np.testing.assert_allclose(reference.walsh_hadamard(x), x @ reference.hadamard(n),
                                   atol=1e-12)
    with pytest.raises(ValueError, match="power of two"):
        reference.walsh_hadamard(np.ones(12))


def test_codes_are_msb_first_and_zero_is_bit_zero():
    """With an identity projection z = x: the first coordinate is the most
    significant bit, and an exact 0 gives bit 0."""
    bits, tables = 4, 2
    x = np.array([[1.0, -1.0, -2.0, -3.0, 0.0, 0.5, 0.0, 7.0]], np.float32)
    codes, scores = reference.lookup_codes(x, np.eye(8, dtype=np.float32), np.zeros(8),
                                           tables, bits)
    np.testing.assert_array_equal(codes, [[0b1000, 0b0101]])
    z = np.abs(x.reshape(tables, bits))
    want = z.sum(axis=1) / np.prod(1 + np.exp(-2 * z), axis=1)
    np.testing.assert_allclose(scores[0], want, rtol=1e-6)


def test_oracle_sums_score_weighted_table_rows():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 12)).astype(np.float32)
    p = dense_params(rng, 12, 3, 3, 7)
    codes, scores = reference.lookup_codes(x, p["proj_weight"], p["proj_bias"], 3, 3)
    want = p["bias"] + sum(scores[:, t, None] * p["tables"][t, codes[:, t]] for t in range(3))
    np.testing.assert_allclose(reference.lookup_ffn(x, code_bits=3, **p), want, rtol=1e-5,
                               atol=1e-6)


def test_bh4_equals_its_dense_matrix():
    """BH4 is linear plus the bias: its matrix, built column by column from
    unit vectors, reproduces it as a dense projection."""
    rng = np.random.default_rng(2)
    d, tables, bits = 24, 5, 8  # P = 32, R = 2 repeats
    p = bh4_params(rng, d, tables, bits, 6, block_size=8)
    width = tables * bits
    matrix = reference.bh4_projection(np.eye(d, dtype=np.float32), p["proj_weight"],
                                      np.zeros(width), width).T
    x = rng.standard_normal((4, d)).astype(np.float32)
    np.testing.assert_allclose(
        reference.bh4_projection(x, p["proj_weight"], p["proj_bias"], width),
        x @ matrix.T + p["proj_bias"], rtol=1e-4, atol=1e-5)


def code_probe_tables(tables, bits):
    """Tables whose output exposes codes and scores: column 2t holds the row
    index c, column 2t + 1 holds 1, so out[2t] / out[2t + 1] = code_t."""
    probe = np.zeros((tables, 2**bits, 2 * tables), np.float32)
    for t in range(tables):
        probe[t, :, 2 * t] = np.arange(2**bits)
        probe[t, :, 2 * t + 1] = 1.0
    return probe


@pytest.mark.parametrize("projection", ["dense", "bh4"])
def test_compiled_codes_equal_the_oracle(projection):
    rng = np.random.default_rng(3)
    d, tables, bits = 48, 6, 8
    p = (dense_params(rng, d, tables, bits, 4) if projection == "dense"
         else bh4_params(rng, d, tables, bits, 4, block_size=16))
    x = rng.standard_normal((2, 40, d)).astype(np.float32)
    p["tables"] = code_probe_tables(tables, bits)
    p["bias"] = np.zeros(2 * tables, np.float32)
    out = effattn.ops.lookup_ffn(x, code_bits=bits, projection=projection, **p)
    codes, scores = reference.lookup_codes(x, p["proj_weight"], p["proj_bias"], tables, bits,
                                           projection)
    np.testing.assert_allclose(out[..., 1::2], scores, rtol=1e-4)
    np.testing.assert_array_equal(np.rint(out[..., 0::2] / out[..., 1::2]), codes)


def lookup_case(projection, shape, tables, bits, d_out):
    """Random x [shape] and the op's parameters for one case (seeded by the
    case)."""
    rng = np.random.default_rng(sum(shape) + tables + bits)
    d = shape[-1]
    block = min(16, 1 << (d - 1).bit_length())
    p = (dense_params(rng, d, tables, bits, d_out) if projection == "dense"
         else bh4_params(rng, d, tables, bits, d_out, block_size=block))
    return rng.standard_normal(shape).astype(np.float32), p


@pytest.mark.parametrize("projection", ["dense", "bh4"])
@pytest.mark.parametrize("shape,tables,bits,d_out", [
    ((7, 64), 8, 8, 32),         # single token axis
    ((2, 3, 33, 40), 5, 4, 24),  # two token axes, D not a power of two
    ((1, 16), 1, 1, 8),          # one table of 2 rows
    ((9, 32), 12, 6, 16),        # T·τ > P: BH4 repeats twice
])
def test_compiled_matches_oracle(projection, shape, tables, bits, d_out):
    x, p = lookup_case(projection, shape, tables, bits, d_out)
    want = reference.lookup_ffn(x, code_bits=bits, projection=projection, **p)
    got = effattn.ops.lookup_ffn(x, code_bits=bits, projection=projection, **p)
    assert got.shape == shape[:-1] + (d_out,) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_compiled_decay_and_f16():
    rng = np.random.default_rng(5)
    p = bh4_params(rng, 32, 4, 8, 16, block_size=16)
    x = rng.standard_normal((10, 32)).astype(np.float32)
    for decay in (0.0, 0.3, 1.0):
        want = reference.lookup_ffn(x, code_bits=8, projection="bh4", decay=decay, **p)
        got = effattn.ops.lookup_ffn(x, code_bits=8, projection="bh4", decay=decay, **p)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    # f16 activations and tables, f32 computation inside: f16 rounding of
    # the output only (codes may differ where z is within f16 error of 0).
    q = dense_params(rng, 32, 4, 4, 16)
    x16 = x.astype(np.float16)
    tables16 = q["tables"].astype(np.float16)
    args = dict(proj_weight=q["proj_weight"], proj_bias=q["proj_bias"], tables=tables16,
                bias=q["bias"], code_bits=4)
    got = effattn.ops.lookup_ffn(x16, **args)
    want = reference.lookup_ffn(x16.astype(np.float32), **args)
    assert got.dtype == np.float16
    close = np.isclose(got.astype(np.float32), want, rtol=2e-3, atol=2e-3)
    assert close.mean() > 0.97


def test_code_bits_beyond_16_is_rejected():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 8)).astype(np.float32)
    with pytest.raises(effattn.CompileError, match="expects 'code_bits' in \\[1, 16\\], got 17"):
        effattn.ops.lookup_ffn(x, np.zeros((17, 8), np.float32), np.zeros(17, np.float32),
                               np.zeros((1, 2, 4), np.float32), np.zeros(4, np.float32),
                               code_bits=17)
