"""Numerical edge cases with a defined, documented result (docs/reliability.md):
single tokens and unit dimensions, scores that overflow f32, NaN inputs,
exact zeros in LookupFFN's projection. Compiled code against the oracle or a
closed form; nothing may crash."""

import numpy as np
import pytest

import effattn
from effattn import reference


def test_attention_single_query_single_key_unit_dims():
    rng = np.random.default_rng(0)
    # n = 1, m = 1: the output is the one value row, whatever the score.
    q, k = rng.standard_normal((2, 1, 3)).astype(np.float32), rng.standard_normal(
        (2, 1, 3)).astype(np.float32)
    v = rng.standard_normal((2, 1, 5)).astype(np.float32)
    np.testing.assert_allclose(effattn.ops.attention(q, k, v), v, rtol=0, atol=0)
    # d = 1 and e = 1.
    q, k, v = (rng.standard_normal((7, 1)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(effattn.ops.attention(q, k, v), reference.attention(q, k, v),
                               atol=2e-6)


def test_attention_scores_that_overflow_give_nan_rows_only():
    """Scores beyond f32 (here q·k ≈ 1e40) make their query row NaN (∞ − ∞
    in the max-shifted softmax, computed in f32); the float64 oracle does not
    overflow there. Other rows are exact."""
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((6, 4)).astype(np.float32) for _ in range(3))
    q[2] = 1e20
    k[3] = 1e20
    got = effattn.ops.attention(q, k, v)
    want = reference.attention(q, k, v)
    assert np.isnan(got[2]).all() and np.isfinite(want[2]).all()
    rows = [0, 1, 3, 4, 5]
    assert np.isfinite(got[rows]).all()
    np.testing.assert_allclose(got[rows], want[rows], atol=2e-6)


def test_attention_nan_input_poisons_only_what_reads_it():
    """A NaN in a query row poisons that row; a NaN in a value row poisons
    that column of every output row — also when its key is masked (weight 0
    times NaN is NaN: masking does not sanitise inputs), as in the oracle."""
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((5, 4)).astype(np.float32) for _ in range(3))
    q[1, 0] = np.nan
    got = effattn.ops.attention(q, k, v)
    assert np.isnan(got[1]).all() and np.isfinite(np.delete(got, 1, axis=0)).all()
    q[1, 0] = 0.0
    v[4, 2] = np.nan
    assert np.isnan(effattn.ops.attention(q, k, v)[:, 2]).all()
    mask = np.array([True, True, True, True, False])
    masked = effattn.ops.attention(q, k, v, mask=mask)
    want = reference.attention(q, k, v, mask=mask)
    assert np.isnan(masked[:, 2]).all() and np.isnan(want[:, 2]).all()
    np.testing.assert_allclose(np.delete(masked, 2, axis=1), np.delete(want, 2, axis=1),
                               atol=2e-6)


def test_nystrom_and_yoso_single_token():
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 1, 8)).astype(np.float32) for _ in range(3))
    # One landmark over one token is exact attention: the value row.
    np.testing.assert_allclose(effattn.ops.nystrom_attention(q, k, v, num_landmarks=1), v,
                               atol=2e-6)
    # YOSO normalises output rows: one key gives v / ‖v‖.
    got = effattn.ops.yoso_attention(q, k, v, hash_bits=4)
    np.testing.assert_allclose(got, v / np.linalg.norm(v, axis=-1, keepdims=True),
                               atol=2e-6)


def test_lookup_ffn_exact_zero_projection_gives_code_zero_and_the_bias():
    """z = 0 exactly: every bit is 0 (the test is z > 0) and the score is
    Σ|z| / Π(1 + 1) = 0, so the output is the bias, exactly."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 16)).astype(np.float32)
    tables = rng.standard_normal((4, 16, 8)).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    got = effattn.ops.lookup_ffn(x, np.zeros((16, 16), np.float32), np.zeros(16, np.float32),
                                 tables, bias, code_bits=4)
    np.testing.assert_array_equal(got, np.broadcast_to(bias, got.shape))
    codes, scores = reference.lookup_codes(x, np.zeros((16, 16)), np.zeros(16), 4, 4)
    assert not codes.any() and not scores.any()


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_unpacked_matmul_int64_extremes_within_the_guard(bits):
    """-2^63 and 2^63 - 1 against zeros and ±1 (K·max|a|·max|b| ≤ 2^63 - 1
    with K = 1): exact; -2^63 · 1 is the one product at the edge."""
    a = np.array([[-(2**63)], [2**63 - 1], [0], [1]], np.int64)
    b = np.array([[1], [0], [-1]], np.int64)
    with pytest.raises(effattn.EffattnError, match="exceeds 2\\^63 - 1"):
        # |-2^63| · 1 = 2^63 > 2^63 - 1: rejected although -2^63 · 1 fits.
        effattn.ops.unpacked_matmul(a, b, bits=bits)
    a[0, 0] = -(2**63) + 1
    got = effattn.ops.unpacked_matmul(a, b, bits=bits)
    np.testing.assert_array_equal(got, a @ b.T)
