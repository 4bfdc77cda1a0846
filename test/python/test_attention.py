"""Compiled effattn.attention against the numpy oracle on random inputs.

Each case builds a one-op module, compiles it with effattn-cpu-pipeline for
the host CPU and compares its output with `effattn.reference.attention`.
The oracle itself is checked against the authors' code through the shared
MRA vectors (all blocks selected == exact attention).
"""

import os

import numpy as np
import pytest

from effattn import reference, toolchain

VECTORS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                       "vectors")

#: max |compiled - oracle| allowed per element type (outputs are O(1)).
ATOL = {"f32": 2e-6, "f16": 2e-3}


def tensor_type(shape, elem):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{elem}>"


def attention_module(q_shape, k_shape, v_shape, elem, masked, causal, scale):
    """MLIR text of `func.func @attention` wrapping one effattn.attention."""
    out_shape = q_shape[:-1] + v_shape[-1:]
    tq, tk, tv, to = (tensor_type(s, elem)
                      for s in (q_shape, k_shape, v_shape, out_shape))
    tm = tensor_type(k_shape[:-1], "i1")
    attrs = (["causal"] if causal else []) + (
        [f"scale = {scale:e} : f32"] if scale is not None else [])
    attr_dict = "{" + ", ".join(attrs) + "} " if attrs else ""
    mask_arg = f", %m: {tm}" if masked else ""
    mask_clause = f" mask(%m : {tm})" if masked else ""
    return f"""
func.func @attention(%q: {tq}, %k: {tk}, %v: {tv}{mask_arg}, %o: {to}) -> {to} {{
  %r = effattn.attention {attr_dict}ins(%q, %k, %v : {tq}, {tk}, {tv}){mask_clause} outs(%o : {to}) -> {to}
  return %r : {to}
}}
"""


CASES = [
    # batch, n, m, d, e, elem, masked, causal, scale
    ((), 37, 50, 32, 16, "f32", False, False, None),
    ((2, 3), 64, 64, 64, 64, "f32", True, False, None),
    ((2,), 70, 45, 16, 24, "f32", False, True, None),
    ((3,), 33, 80, 8, 8, "f32", True, True, 0.5),
    ((2, 2), 40, 40, 32, 32, "f16", True, True, None),
    ((1,), 1, 1, 4, 4, "f32", False, False, None),
]


@pytest.mark.parametrize("batch,n,m,d,e,elem,masked,causal,scale", CASES)
def test_compiled_attention_matches_oracle(tmp_path, batch, n, m, d, e, elem,
                                           masked, causal, scale):
    rng = np.random.default_rng(1234 + n * 7 + m)
    dtype = toolchain.DTYPES[elem]
    q = rng.standard_normal(batch + (n, d)).astype(dtype)
    k = rng.standard_normal(batch + (m, d)).astype(dtype)
    v = rng.standard_normal(batch + (m, e)).astype(dtype)
    mask = rng.random(batch + (m,)) < 0.8 if masked else None
    if masked:
        mask[..., 0] = True
    init = np.zeros(batch + (n, e), dtype=dtype)

    module = attention_module(q.shape, k.shape, v.shape, elem, masked, causal,
                              scale)
    lib = toolchain.compile_module(module, workdir=str(tmp_path))
    args = [q, k, v] + ([mask] if masked else []) + [init]
    got = lib.call("attention", *args, result_dtype=dtype)

    want = reference.attention(q, k, v, mask=mask, scale=scale, causal=causal)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[elem])


def test_reference_matches_authors_exact_attention():
    """MRA with every block selected is exact attention in the authors' code."""
    path = os.path.join(VECTORS, "mra2_sparse_allblocks_nomask.npz")
    if not os.path.exists(path):
        pytest.skip("shared/vectors not present")
    data = np.load(path)
    got = reference.attention(data["Q"], data["K"], data["V"],
                              mask=data["mask"])
    rel = np.linalg.norm(got - data["X"]) / np.linalg.norm(data["X"])
    assert rel <= 1e-5


def test_reference_fully_masked_query_is_uniform_average():
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((1, 4, 8)) for _ in range(3))
    mask = np.zeros((1, 4), dtype=bool)
    got = reference.attention(q, k, v, mask=mask)
    np.testing.assert_allclose(got, np.broadcast_to(v.mean(axis=1), got.shape),
                               atol=1e-12)


def test_reference_causal_first_row_sees_only_first_key():
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal((5, 3)) for _ in range(3))
    got = reference.attention(q, k, v, causal=True)
    np.testing.assert_allclose(got[0], v[0], atol=1e-12)


def test_compile_error_is_reported(tmp_path):
    bad = attention_module((4, 8), (5, 6), (5, 8), "f32", False, False, None)
    with pytest.raises(toolchain.ToolchainError, match="head dimension D"):
        toolchain.compile_module(bad, workdir=str(tmp_path))
