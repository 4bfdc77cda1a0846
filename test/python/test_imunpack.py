"""IM-Unpack: the numpy oracles (effattn.reference.quantize, unpack_operands,
unpacked_matmul) against the authors' vectors and exact int64 GEMMs, and the
compiled effattn.quantize against its oracle (integers compared exactly)."""

import numpy as np
import pytest

import effattn
from effattn import reference
from vectors import load_vectors


def test_row_unpacking_matches_authors_vectors():
    data = load_vectors("imunpack_b8_row")
    bits, strategy = int(data["hp_bit_width"]), str(data["hp_strategy"])
    a_u, b_u, scales, a_index, a_scale, b_index, b_scale = reference.unpack_operands(
        data["A"], data["B"], bits, strategy)
    for name, got in [("A_unpacked", a_u), ("B_unpacked", b_u), ("col_scales", scales),
                      ("A_row_index", a_index), ("A_row_scale", a_scale),
                      ("B_row_index", b_index), ("B_row_scale", b_scale)]:
        np.testing.assert_array_equal(got, data[name], err_msg=name)
    np.testing.assert_array_equal(a_u.shape, data["A_unpacked_shape"])
    np.testing.assert_array_equal(b_u.shape, data["B_unpacked_shape"])
    np.testing.assert_array_equal(
        reference.unpacked_matmul(data["A"], data["B"], bits, strategy), data["C"])


def heavy_hitters(rng, shape, fraction, magnitude=2**15):
    """Small integers in [-3, 3] with `fraction` of the entries up to
    ±magnitude."""
    x = rng.integers(-3, 4, shape)
    heavy = rng.random(shape) < fraction
    x[heavy] = rng.integers(-magnitude, magnitude + 1, heavy.sum())
    return x


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_unpacked_matmul_is_exact_from_low_bit_products(strategy, bits):
    rng = np.random.default_rng(bits * 10 + len(strategy))
    a = heavy_hitters(rng, (24, 40), 0.05)
    b = heavy_hitters(rng, (30, 40), 0.05)
    a[3] = 2**15 - 1  # an all-max row
    b[:, 5] = -(2**15)  # an all-min column
    a_u, b_u, *_ = reference.unpack_operands(a, b, bits, strategy)
    limit = 1 << (bits - 1)
    assert np.abs(a_u).max() < limit and np.abs(b_u).max() < limit
    np.testing.assert_array_equal(reference.unpacked_matmul(a, b, bits, strategy),
                                  a @ b.T)


def test_unpacking_grows_with_heavy_hitters_only():
    rng = np.random.default_rng(3)
    small = rng.integers(-7, 8, (32, 32))
    a_u, b_u, *_ = reference.unpack_operands(small, small, 4, "row")
    assert a_u.shape == (32, 32) and b_u.shape == (32, 32)
    a_u, b_u, *_ = reference.unpack_operands(small * 8, small, 4, "row")
    assert a_u.shape[0] > 32


def test_quantize_scale_rounding_and_no_clipping():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((64, 96)).astype(np.float32)
    q, scale = reference.quantize(x, beta=1.0, levels=15)
    alpha = np.abs(x).max()
    assert scale == np.float32(np.float32(1) / alpha) * np.float32(7.5)
    assert np.abs(q).max() in (7, 8)  # |x| = alpha lands on the 7.5 tie
    np.testing.assert_array_equal(q, np.rint(x * scale))
    # beta < 1: alpha is the k-th largest |x|, and larger entries are not clipped.
    q, scale = reference.quantize(x, beta=0.95, levels=15)
    k = int(x.size * 0.05)
    alpha = np.sort(np.abs(x).ravel())[-k]
    assert scale == np.float32(np.float32(1) / alpha) * np.float32(7.5)
    assert np.abs(q).max() > 8


def test_quantize_rounds_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 4.0], np.float32)
    q, scale = reference.quantize(x, beta=1.0, levels=8)  # scale = 1
    assert scale == 1
    np.testing.assert_array_equal(q, [0, 2, 2, 0, -2, 4])


QUANTIZE_CASES = [
    # shape, beta, levels, dtype, heavy fraction
    ((64, 96), 1.0, 15, np.float32, 0.0),
    ((64, 96), 0.95, 15, np.float32, 0.05),
    ((3, 50, 7), 0.99, 255, np.float32, 0.01),
    ((1000,), 0.9, 7, np.float32, 0.1),
    ((16, 24), 1.0, 255, np.float16, 0.0),
]


@pytest.mark.parametrize("shape,beta,levels,dtype,heavy", QUANTIZE_CASES)
def test_compiled_quantize_matches_oracle_exactly(shape, beta, levels, dtype, heavy):
    rng = np.random.default_rng(len(shape) * 100 + levels)
    x = rng.standard_normal(shape)
    outliers = rng.random(shape) < heavy
    x[outliers] *= 1000  # heavy hitters stay large (no clipping)
    x = x.astype(dtype)
    q, scale = effattn.ops.quantize(x, beta=beta, levels=levels)
    want_q, want_scale = reference.quantize(x, beta=beta, levels=levels)
    assert q.dtype == np.int64 and scale == want_scale
    np.testing.assert_array_equal(q, want_q)


def test_compiled_quantize_ties_at_alpha():
    """|x| = alpha lands on levels/2 = 7.5: the fp32 order of the scale
    decides the tie, and the compiled op decides it like the oracle."""
    rng = np.random.default_rng(77)
    for _ in range(5):
        x = rng.standard_normal((8, 8)).astype(np.float32)
        q, _ = effattn.ops.quantize(x, levels=15)
        np.testing.assert_array_equal(q, reference.quantize(x, levels=15)[0])


def test_compiled_unpacked_matmul_matches_authors_vectors():
    data = load_vectors("imunpack_b8_row")
    got = effattn.ops.unpacked_matmul(data["A"], data["B"], bits=int(data["hp_bit_width"]),
                                      strategy=str(data["hp_strategy"]))
    np.testing.assert_array_equal(got, data["C"])


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
@pytest.mark.parametrize("bits", [2, 4, 8])
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.05])
def test_compiled_unpacked_matmul_is_exact(strategy, bits, fraction):
    rng = np.random.default_rng(bits * 1000 + int(fraction * 100) + len(strategy))
    a = heavy_hitters(rng, (37, 48), fraction)
    b = heavy_hitters(rng, (29, 48), fraction)
    got = effattn.ops.unpacked_matmul(a, b, bits=bits, strategy=strategy)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, a @ b.T)
    np.testing.assert_array_equal(got, reference.unpacked_matmul(a, b, bits, strategy))


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
def test_compiled_unpacked_matmul_extremes(strategy):
    """Largest digit magnitudes everywhere: all-max and all-min rows of i32
    range against entries up to 2^26 (K·max|a|·max|b| just below 2^63), and
    the extreme b-bit values themselves."""
    for bits in (2, 4, 8):
        top = (1 << (bits - 1)) - 1
        a = np.tile(np.array([top, -top, 2**31 - 1, -(2**31), 0, 1, -1], np.int64), (5, 3))
        a[2] = -(2**31)
        b = np.tile(np.array([-(2**26), 2**26 - 1, top, -top, -1, 0, 1], np.int64), (4, 3))
        b[1] = 2**26 - 1
        assert a.shape[1] * 2**31 * 2**26 < 2**63
        np.testing.assert_array_equal(
            effattn.ops.unpacked_matmul(a, b, bits=bits, strategy=strategy), a @ b.T)


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
def test_compiled_unpacked_matmul_reports_i64_overflow(strategy):
    """K·max|a|·max|b| beyond 2^63 - 1 is an error (status 4), not a wrapped
    result; at the limit itself the result is exact."""
    k = 4
    a = np.zeros((3, k), np.int64)
    b = np.zeros((2, k), np.int64)
    a[1, 2] = 2**31
    b[0, 2] = ((2**63 - 1) // k) // 2**31
    np.testing.assert_array_equal(
        effattn.ops.unpacked_matmul(a, b, bits=8, strategy=strategy), a @ b.T)
    b[1, 0] = b[0, 2] + 1
    with pytest.raises(effattn.EffattnError, match="K \\* max\\|lhs\\| \\* max\\|rhs\\| exceeds") as error:
        effattn.ops.unpacked_matmul(a, b, bits=8, strategy=strategy)
    assert error.value.status == 4
    # Without an error the next call succeeds again (the status is cleared).
    b[1, 0] = 0
    np.testing.assert_array_equal(
        effattn.ops.unpacked_matmul(a, b, bits=8, strategy=strategy), a @ b.T)


def test_inner_dimension_beyond_exact_i32_accumulation_is_rejected():
    a = np.zeros((2, 140000), np.int64)
    with pytest.raises(effattn.CompileError, match="K \\* \\(2\\^\\(bits-1\\) - 1\\)\\^2 < 2\\^31"):
        effattn.ops.unpacked_matmul(a, a, bits=8)


def test_compiled_unpacked_sizes_match_the_authors():
    """The compiled unpack step splits like the authors: their vectors'
    unpacked shapes."""
    data = load_vectors("imunpack_b8_row")
    sizes = effattn.ops.unpacked_sizes(data["A"], data["B"], bits=int(data["hp_bit_width"]),
                                       strategy=str(data["hp_strategy"]))
    np.testing.assert_array_equal(
        sizes, [data["A_unpacked_shape"][0], data["B_unpacked_shape"][0],
                data["A_unpacked_shape"][1]])
    assert data["B_unpacked_shape"][1] == data["A_unpacked_shape"][1]


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_compiled_unpacked_sizes_match_oracle(strategy, bits):
    """[M', N', K''] equal the oracle's unpacked shapes, with heavy hitters up
    to 2^40, ±2^62 rows and the b-bit extremes (for "both" this checks the
    greedy's choices and tie rules)."""
    rng = np.random.default_rng(40 + bits + len(strategy))
    a = heavy_hitters(rng, (50, 20), 0.05, magnitude=2**40)
    b = heavy_hitters(rng, (30, 20), 0.1, magnitude=2**20)
    a[0] = -(2**62)
    a[1] = 2**62
    a[2] = (1 << (bits - 1)) - 1
    a[3] = -(1 << (bits - 1))
    b[:, 4] = 2**12
    a_u, b_u, *_ = reference.unpack_operands(a, b, bits, strategy)
    np.testing.assert_array_equal(effattn.ops.unpacked_sizes(a, b, bits=bits, strategy=strategy),
                                  [a_u.shape[0], b_u.shape[0], a_u.shape[1]])


@pytest.mark.parametrize("strategy", ["row", "column", "both"])
@pytest.mark.parametrize("shape", [(0, 5, 4), (3, 0, 4), (3, 5, 0)])
def test_compiled_unpacked_matmul_of_empty_shapes(strategy, shape):
    """M, N or K of 0: an empty (or, for K = 0, zero) product, and the
    oracle's unpacked sizes (an empty row needs no split)."""
    m, n, k = shape
    rng = np.random.default_rng(m + 10 * n + 100 * k)
    a = heavy_hitters(rng, (m, k), 0.2)
    b = heavy_hitters(rng, (n, k), 0.2)
    np.testing.assert_array_equal(
        effattn.ops.unpacked_matmul(a, b, bits=4, strategy=strategy), a @ b.T)
    a_u, b_u, *_ = reference.unpack_operands(a, b, 4, strategy)
    np.testing.assert_array_equal(effattn.ops.unpacked_sizes(a, b, bits=4, strategy=strategy),
                                  [a_u.shape[0], b_u.shape[0], a_u.shape[1]])


def unpacked_matmul_module(m, n, k, bits, strategy, config):
    attrs = f'bits = {bits}, strategy = "{strategy}"'
    if config:
        attrs += f", lowering_config = #effattn.pair_gemm_config<{config}>"
    a, b, c = (f"tensor<{m}x{k}xi64>", f"tensor<{n}x{k}xi64>", f"tensor<{m}x{n}xi64>")
    return f"""
func.func @um(%a: {a}, %b: {b}) -> {c} {{
  %e = tensor.empty() : {c}
  %r = effattn.unpacked_matmul {{{attrs}}} ins(%a, %b : {a}, {b}) outs(%e : {c}) -> {c}
  return %r : {c}
}}
"""


@pytest.mark.parametrize("target", ["host", "x86-64-v3"])
@pytest.mark.parametrize("config", [
    None,                                 # the target's (configure-lowering)
    "vector_width = 16, mr = 8, nr = 32",  # vpmaddwd / vpdpwssd on AVX-512
    "vector_width = 8, mr = 6, nr = 16",   # vpmaddwd on AVX2
    "vector_width = 4, mr = 3, nr = 8",    # SSE2's pmaddwd
    "vector_width = 2, mr = 5, nr = 6",    # no such instruction: shuffles
])
@pytest.mark.parametrize("strategy", ["row", "column"])
def test_pair_kernel_is_exact(target, config, strategy):
    """The register-tiled i16-pair kernel of the low-bit GEMMs: odd K (a
    zero pair half), rows and columns that fill no whole register or output
    tile (70 rows, 300 columns: two column tiles), several digit weights."""
    m, n, k, bits = 70, 300, 45, 4
    rng = np.random.default_rng(len(strategy) + len(config or ""))
    a = heavy_hitters(rng, (m, k), 0.05)
    b = heavy_hitters(rng, (n, k), 0.05)
    module = effattn.compile(unpacked_matmul_module(m, n, k, bits, strategy, config),
                             target=target, module_name="um")
    np.testing.assert_array_equal(module.um(a, b), a @ b.T)


def test_pair_kernel_sums_are_exact_at_the_i32_bound():
    """8-bit digits at their extreme everywhere: (-127)·(-127) summed over
    the verifier's largest odd K = 131071 is 2,114,044,159, just below
    2^31, through the pair kernel's multiply-adds: its i32 sums must neither
    saturate nor wrap."""
    m, n, k = 3, 40, 131071
    a = np.full((m, k), -127, np.int64)
    b = np.full((n, k), -127, np.int64)
    b[1] = 127
    module = effattn.compile(unpacked_matmul_module(m, n, k, 8, "row", None),
                             module_name="um")
    np.testing.assert_array_equal(module.um(a, b), a @ b.T)
