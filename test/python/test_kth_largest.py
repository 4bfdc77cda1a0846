"""effattn.kth_largest, the threshold of MRA's top-k blocks and of the
quantizer's clipping percentile, compiled for the CPU (its 32-step
bisection) against the numpy oracle, exactly: random rows, ties, the ends
of the i32 range and every k of a short row."""

import numpy as np
import pytest

import effattn
from effattn import reference

INT32_MIN, INT32_MAX = np.iinfo(np.int32).min, np.iinfo(np.int32).max


def kth_largest_function(rows, length, k):
    """MLIR of @kth_largest: effattn.kth_largest {k} on i32 [rows, length]."""
    return f"""func.func @kth_largest(%x: tensor<{rows}x{length}xi32>) -> tensor<{rows}xi32> {{
  %t = effattn.kth_largest %x {{k = {k}}} : tensor<{rows}x{length}xi32> -> tensor<{rows}xi32>
  return %t : tensor<{rows}xi32>
}}
"""


def kth_largest_rows(rng, rows, length):
    """Rows that exercise the selection: uniform over the whole i32 range,
    a narrow range full of ties, keys of floats (as MRA and the quantizer
    pass them: the bit patterns of f32 scores, negatives flipped), both
    ends of the range, and one value repeated."""
    kinds = [
        lambda: rng.integers(INT32_MIN, INT32_MAX, length, endpoint=True),
        lambda: rng.integers(-3, 4, length),
        lambda: float_keys(rng.standard_normal(length).astype(np.float32)),
        lambda: rng.choice([INT32_MIN, INT32_MAX, 0, -1], length),
        lambda: np.full(length, rng.integers(INT32_MIN, INT32_MAX)),
    ]
    return np.stack([kinds[r % len(kinds)]() for r in range(rows)]).astype(np.int32)


def float_keys(values):
    """The i32 keys of f32 values whose signed order is the float order
    (what effattn's decompositions compute before selecting)."""
    bits = values.view(np.int32)
    return np.where(bits < 0, bits ^ np.int32(INT32_MAX), bits)


KTH_LARGEST_CASES = [(5, 1000, 1), (5, 1000, 37), (5, 1000, 1000), (10, 4099, 2048),
                     (1, 70000, 12345)]


@pytest.mark.parametrize("rows,length,k", KTH_LARGEST_CASES)
def test_kth_largest_matches_oracle(rows, length, k):
    rng = np.random.default_rng(rows * 100000 + length + k)
    x = kth_largest_rows(rng, rows, length)
    module = effattn.compile(kth_largest_function(rows, length, k),
                             module_name="kth_largest")
    got = module.kth_largest(x)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, reference.kth_largest(x, k))


def test_kth_largest_every_k_of_a_short_row():
    """Every rank of a row with ties and both ends of the range."""
    row = np.array([5, INT32_MAX, -7, 5, INT32_MIN, 0, 5, -7, INT32_MAX, 1],
                   dtype=np.int32)
    x = np.stack([row, row[::-1], -np.clip(row, -INT32_MAX, None)])
    for k in range(1, row.size + 1):
        module = effattn.compile(kth_largest_function(3, row.size, k),
                                 module_name=f"kth_largest_{k}")
        np.testing.assert_array_equal(module.kth_largest(x),
                                      reference.kth_largest(x, k))


def test_kth_largest_oracle_is_topk():
    """The oracle is torch.topk's last value (here by a full descending
    sort), and rejects ranks outside [1, L]."""
    x = np.array([[3, 1, 3, 2], [0, -5, 9, 9]], dtype=np.int32)
    np.testing.assert_array_equal(reference.kth_largest(x, 2), [3, 9])
    np.testing.assert_array_equal(reference.kth_largest(x, 3), [2, 0])
    with pytest.raises(ValueError):
        reference.kth_largest(x, 5)
