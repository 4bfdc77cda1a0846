"""effattn.yoso_attention: compiled code vs the numpy oracle vs the authors."""

import numpy as np
import pytest

import effattn
from effattn import reference
from vectors import load_vectors, random_self_attention, relative_error


def test_expectation_matches_authors_vectors():
    data = load_vectors("yoso_e_v1_tau8_nomask")
    kwargs = dict(mask=data["mask"], hash_bits=int(data["hp_hash_code_len"]),
                  version=int(data["hp_version"]))
    for impl in (reference.yoso_attention, effattn.ops.yoso_attention):
        got = impl(data["Q"], data["K"], data["V"], **kwargs)
        assert relative_error(got, data["X"]) <= 1e-4


def test_lsh_matches_authors_vectors_and_codes():
    data = load_vectors("yoso_lsh_gauss_m16_tau8_nomask")
    b, h, _, d = data["Q"].shape
    projection = data["R"].reshape(b, h, d, -1)
    tau, hashes = int(data["hp_hash_code_len"]), int(data["hp_num_hash"])
    for name in ("Q", "K"):
        codes = reference.yoso_hash_codes(data[name], projection, tau, hashes)
        np.testing.assert_array_equal(codes, data[f"{name}_hash_code"])
    kwargs = dict(mask=data["mask"], mode="lsh", hash_bits=tau,
                  num_hashes=hashes, projection=projection)
    for impl in (reference.yoso_attention, effattn.ops.yoso_attention):
        got = impl(data["Q"], data["K"], data["V"], **kwargs)
        assert relative_error(got, data["X"]) <= 1e-5


CASES = [
    # batch, n, d, e, mode, tau, hashes, masked, shared projection, version, dtype
    ((2, 3), 37, 16, 8, "expectation", 8, None, True, None, 1, np.float32),
    ((2,), 50, 32, 16, "expectation", 4, None, False, None, 2, np.float32),
    ((2, 2), 29, 16, 16, "lsh", 8, 16, True, False, 1, np.float32),
    ((3,), 45, 8, 8, "lsh", 5, 7, False, True, 1, np.float32),
    ((), 33, 16, 4, "lsh", 12, 3, True, True, 1, np.float32),
    ((2,), 24, 16, 16, "expectation", 8, None, True, None, 1, np.float16),
]


def yoso_case(rng, batch, n, d, e, mode, tau, hashes, masked, shared, version,
              dtype):
    """Random q, k, v and the op's keyword arguments for one case of CASES
    (LSH: a Gaussian projection, shared by the batch or per batch)."""
    q, k, v, mask = random_self_attention(rng, batch, n, d, e, dtype, masked)
    projection = None
    if mode == "lsh":
        shape = (d, hashes * tau) if shared else batch + (d, hashes * tau)
        projection = rng.standard_normal(shape).astype(dtype)
    return q, k, v, dict(mask=mask, mode=mode, hash_bits=tau, num_hashes=hashes,
                         projection=projection, version=version)


@pytest.mark.parametrize(
    "batch,n,d,e,mode,tau,hashes,masked,shared,version,dtype", CASES)
def test_compiled_matches_oracle(batch, n, d, e, mode, tau, hashes, masked,
                                 shared, version, dtype):
    rng = np.random.default_rng(200 + n + tau)
    q, k, v, kwargs = yoso_case(rng, batch, n, d, e, mode, tau, hashes, masked,
                                shared, version, dtype)
    got = effattn.ops.yoso_attention(q, k, v, **kwargs)
    want = reference.yoso_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    tolerance = 1e-4 if dtype == np.float32 else 5e-3
    assert relative_error(got, want) <= tolerance


def test_lsh_estimate_converges_to_expectation():
    """Averaged over many Gaussian projections, the LSH estimate (before the
    row normalisation) converges to YOSO-E's B·V."""
    rng = np.random.default_rng(2024)
    n, d, e, tau, hashes, draws = 12, 8, 4, 3, 8, 400
    q, k = (rng.standard_normal((n, d)) for _ in range(2))
    v = rng.standard_normal((n, e))
    ones = np.ones(n)
    cosine = reference._l2_normalize(q) @ reference._l2_normalize(k).T
    expected = ((1 - np.arccos(np.clip(cosine, -1, 1)) / np.pi) ** tau) @ v
    estimate = np.zeros((n, e))
    for _ in range(draws):
        projection = rng.standard_normal((d, hashes * tau))
        estimate += reference.yoso_lsh_estimate(q, k, v, ones, ones, projection,
                                                tau, hashes)
    estimate /= draws
    # Standard error ~ 1/sqrt(hashes * draws) relative; 5x margin.
    assert relative_error(estimate, expected) < 0.05


def test_masked_queries_give_zero_rows():
    rng = np.random.default_rng(4)
    q, k, v = (rng.standard_normal((2, 10, 8)).astype(np.float32) for _ in range(3))
    mask = np.ones((2, 10), dtype=bool)
    mask[:, 7:] = False
    for mode, extra in (("expectation", {}),
                        ("lsh", dict(num_hashes=4,
                                     projection=rng.standard_normal((8, 16)).astype(np.float32)))):
        got = effattn.ops.yoso_attention(q, k, v, mask=mask, mode=mode, hash_bits=4, **extra)
        assert np.all(got[:, 7:] == 0)
        norms = np.linalg.norm(got[:, :7], axis=-1)
        if mode == "expectation":
            np.testing.assert_allclose(norms, 1, atol=1e-5)
        else:  # a query whose buckets hold no key at all keeps a zero row
            assert np.all((np.abs(norms - 1) < 1e-5) | (norms == 0))


def fast_hash_module(batch, n, d, e, tau, hashes, diag_shape, masked):
    def t(shape, elem="f32"):
        return "tensor<" + "x".join(map(str, shape)) + f"x{elem}>"
    tq, tv, tm, td = t(batch + (n, d)), t(batch + (n, e)), t(batch + (n,), "i1"), t(diag_shape)
    mask_arg = f", %m: {tm}" if masked else ""
    mask_clause = f" mask(%m : {tm})" if masked else ""
    return f"""
func.func @fast_hash(%q: {tq}, %k: {tq}, %v: {tv}{mask_arg}, %dg: {td}) -> {tv} {{
  %init = tensor.empty() : {tv}
  %r = effattn.yoso_attention {{mode = "lsh", hash_bits = {tau}, num_hashes = {hashes}}}
      ins(%q, %k, %v : {tq}, {tq}, {tv}){mask_clause} hadamard_diagonals(%dg : {td})
      outs(%init : {tv}) -> {tv}
  return %r : {tv}
}}
"""


@pytest.mark.parametrize("batch,n,d,e,tau,hashes,per_batch,masked", [
    ((2, 3), 37, 16, 8, 3, 9, True, True),
    ((2,), 29, 64, 16, 8, 16, False, False),
    ((), 20, 32, 4, 5, 7, False, True),
])
def test_fast_hash_diagonals_match_oracle(batch, n, d, e, tau, hashes,
                                          per_batch, masked):
    """The op's hadamard_diagonals form equals the oracle's equivalent
    projection (yoso_fast_hash_projection)."""
    rng = np.random.default_rng(300 + n)
    parts = -(-hashes // (d // tau))
    diag_shape = (batch if per_batch else ()) + (3, parts, d)
    diagonals = rng.choice([-1.0, 1.0], size=diag_shape).astype(np.float32)
    q, k = (rng.standard_normal(batch + (n, d)).astype(np.float32) for _ in range(2))
    v = rng.standard_normal(batch + (n, e)).astype(np.float32)
    mask = rng.random(batch + (n,)) < 0.8 if masked else None
    module = effattn.compile(fast_hash_module(batch, n, d, e, tau, hashes, diag_shape,
                                              masked), module_name="fast_hash")
    args = [q, k, v] + ([mask] if masked else []) + [diagonals]
    got = module.fast_hash(*args)
    projection = reference.yoso_fast_hash_projection(diagonals, tau, hashes)
    want = reference.yoso_attention(q, k, v, mask=mask, mode="lsh", hash_bits=tau,
                                    num_hashes=hashes, projection=projection)
    assert relative_error(got, want) <= 1e-5


def test_fast_hash_projection_is_the_authors_transform():
    """Codes from the equivalent projection equal the authors' fast hash,
    evaluated directly: y = H(D2 ⊙ H(D1 ⊙ H(D0 ⊙ x))), bits y[cτ + t]."""
    rng = np.random.default_rng(11)
    d, tau, hashes = 16, 3, 9
    per_part = d // tau
    parts = -(-hashes // per_part)
    diagonals = rng.choice([-1.0, 1.0], size=(3, parts, d))
    x = rng.standard_normal((6, d))
    h = reference.hadamard(d)
    direct = np.zeros((6, hashes), dtype=np.int64)
    for i in range(6):
        for p in range(parts):
            y = h @ (diagonals[2, p] * (h @ (diagonals[1, p] * (h @ (diagonals[0, p] * x[i])))))
            for c in range(per_part):
                if p * per_part + c < hashes:
                    direct[i, p * per_part + c] = sum(
                        int(y[c * tau + t] > 0) << t for t in range(tau))
    projection = reference.yoso_fast_hash_projection(diagonals, tau, hashes)
    np.testing.assert_array_equal(reference.yoso_hash_codes(x, projection, tau, hashes),
                                  direct)
