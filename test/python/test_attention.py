"""effattn.ops.attention (compiled for this CPU) against the numpy oracle.

Each case compiles a one-op module through effattn-compile and compares its
output with `effattn.reference.attention` on random inputs with fixed seeds.
The oracle itself is checked against the authors' code through the shared
MRA vectors (all blocks selected == exact attention).
"""

import numpy as np
import pytest

import effattn
from effattn import reference
import attention_cases
from vectors import load_vectors, relative_error


#: max |compiled - oracle| allowed per dtype (outputs are O(1)).
ATOL = {np.float32: 2e-6, np.float16: 2e-3}

CASES = [
    # batch, n, m, d, e, dtype, masked, causal, scale
    ((), 37, 50, 32, 16, np.float32, False, False, None),
    ((2, 3), 64, 64, 64, 64, np.float32, True, False, None),
    ((2,), 70, 45, 16, 24, np.float32, False, True, None),
    ((3,), 33, 80, 8, 8, np.float32, True, True, 0.5),
    ((2, 2), 40, 40, 32, 32, np.float16, True, True, None),
    ((1,), 1, 1, 4, 4, np.float32, False, False, None),
    # Several key blocks of the flash form (a running max and sum rescale
    # the output); rows, keys and value columns are no multiple of a tile.
    ((2,), 45, 700, 64, 64, np.float32, True, True, None),
    ((1,), 100, 1000, 40, 70, np.float32, False, False, None),
    ((2,), 20, 530, 24, 5, np.float16, True, False, None),
]


@pytest.mark.parametrize("batch,n,m,d,e,dtype,masked,causal,scale", CASES)
def test_ops_attention_matches_oracle(batch, n, m, d, e, dtype, masked, causal,
                                      scale):
    rng = np.random.default_rng(1234 + n * 7 + m)
    q = rng.standard_normal(batch + (n, d)).astype(dtype)
    k = rng.standard_normal(batch + (m, d)).astype(dtype)
    v = rng.standard_normal(batch + (m, e)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random(batch + (m,)) < 0.8
        mask[..., 0] = True

    got = effattn.ops.attention(q, k, v, mask=mask, scale=scale, causal=causal)
    want = reference.attention(q, k, v, mask=mask, scale=scale, causal=causal)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[dtype])


def test_ops_attention_mask_broadcasts_over_heads():
    """A [B, M] {0,1} float mask applies to every head of [B, H, N, D]."""
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 4, 16, 8)).astype(np.float32)
               for _ in range(3))
    mask = (rng.random((2, 16)) < 0.6).astype(np.float32)
    mask[:, 0] = 1
    got = effattn.ops.attention(q, k, v, mask=mask)
    want = reference.attention(q, k, v, mask=mask)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


def test_reference_matches_authors_exact_attention():
    """MRA with every block selected is exact attention in the authors' code."""
    data = load_vectors("mra2_sparse_allblocks_nomask")
    for impl in (reference.attention, effattn.ops.attention):
        got = impl(data["Q"], data["K"], data["V"], mask=data["mask"])
        assert relative_error(got, data["X"]) <= 1e-5


@pytest.mark.parametrize("config", [
    # vector_width, query_tile, key_block, key_register_tile, value_register_tile
    (8, 8, 4, 2, 3),        # one query vector, tiny blocks
    (16, 48, 10, 5, 7),     # three query vectors
    (8, 24, 12, 3, 16),     # a value tile wider than E
    (4, 8, 6, 6, 1),        # 128-bit vectors, one column at a time
])
def test_attention_with_user_config_matches_oracle(config):
    """A #effattn.flash_config written on the op replaces the target's: any
    verified config computes the same attention (masks, causal, tails)."""
    rng = np.random.default_rng(sum(config))
    b, n, m, d, e = 2, 37, 29, 12, 10
    q = rng.standard_normal((b, n, d)).astype(np.float32)
    k = rng.standard_normal((b, m, d)).astype(np.float32)
    v = rng.standard_normal((b, m, e)).astype(np.float32)
    mask = rng.random((b, m)) < 0.7
    mask[:, 0] = True
    attr = ("#effattn.flash_config<vector_width = %d, query_tile = %d, key_block = %d, "
            "key_register_tile = %d, value_register_tile = %d>" % config)
    t = lambda *s: "tensor<" + "x".join(map(str, s)) + "xf32>"  # noqa: E731
    text = f"""
func.func @att(%q: {t(b, n, d)}, %k: {t(b, m, d)}, %v: {t(b, m, e)},
               %m: tensor<{b}x{m}xi1>) -> {t(b, n, e)} {{
  %o = tensor.empty() : {t(b, n, e)}
  %r = effattn.attention {{causal, lowering_config = {attr}}}
      ins(%q, %k, %v : {t(b, n, d)}, {t(b, m, d)}, {t(b, m, e)})
      mask(%m : tensor<{b}x{m}xi1>) outs(%o : {t(b, n, e)}) -> {t(b, n, e)}
  return %r : {t(b, n, e)}
}}"""
    module = effattn.compile(text, module_name="att")
    got = module.att(q, k, v, mask)
    want = reference.attention(q, k, v, mask=mask, causal=True)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0, atol=2e-6)


def test_ops_attention_for_avx2_target_matches_oracle():
    """x86-64-v3's config (8 lanes, 6 × 6 register tiles) on this CPU."""
    rng = np.random.default_rng(99)
    q, k, v = (rng.standard_normal((3, 70, 48)).astype(np.float32) for _ in range(3))
    with effattn.ops.target("x86-64-v3"):
        got = effattn.ops.attention(q, k, v, causal=True)
    want = reference.attention(q, k, v, causal=True)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0, atol=2e-6)


def test_ops_attention_fully_masked_query_is_uniform_average():
    """Keys hidden in every key block: every value weighs the same."""
    rng = np.random.default_rng(77)
    q = rng.standard_normal((1, 3, 16)).astype(np.float32)
    k = rng.standard_normal((1, 600, 16)).astype(np.float32)
    v = rng.standard_normal((1, 600, 8)).astype(np.float32)
    mask = np.zeros((1, 600), dtype=bool)
    got = effattn.ops.attention(q, k, v, mask=mask)
    np.testing.assert_allclose(got, np.broadcast_to(v.mean(axis=1, keepdims=True),
                                                    got.shape),
                               rtol=0, atol=2e-6)


@pytest.mark.parametrize("n,m,dtype", [(40, 700, np.float32), (300, 260, np.float32),
                                       (50, 400, np.float16)])
def test_ops_attention_causal_with_masked_windows(n, m, dtype):
    """Causal attention skips the key blocks past a query tile's window,
    except while a row has seen no visible key: rows whose whole window the
    mask hides (the first 25 of batch 0, none of batch 1) still average
    every value, the keys past their window included."""
    rng = np.random.default_rng(n + m)
    q = rng.standard_normal((2, n, 16)).astype(dtype)
    k = rng.standard_normal((2, m, 16)).astype(dtype)
    v = rng.standard_normal((2, m, 8)).astype(dtype)
    mask = rng.random((2, m)) < 0.8
    mask[0, :25] = False
    mask[1, 0] = True
    got = effattn.ops.attention(q, k, v, mask=mask, causal=True)
    want = reference.attention(q, k, v, mask=mask, causal=True)
    np.testing.assert_allclose(got[0, :25].astype(np.float64),
                               np.broadcast_to(v[0].astype(np.float64).mean(axis=0),
                                               (25, 8)),
                               rtol=0, atol=ATOL[dtype])
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("masked", [False, True])
def test_attention_with_query_offset_matches_oracle(dtype, masked):
    """Causal attention whose queries start at token 70 (tiles add their row
    offsets to it); with the mask, rows that see no key in batch 0."""
    q, k, v, mask = attention_cases.offset_inputs(dtype)
    module = effattn.compile(attention_cases.offset_module_text(dtype, masked),
                             module_name="att")
    args = (q, k, v, mask) if masked else (q, k, v)
    np.testing.assert_allclose(module.att(*args).astype(np.float64),
                               attention_cases.offset_oracle(*args), rtol=0,
                               atol=ATOL[dtype])


@pytest.mark.parametrize("causal", [False, True])
def test_ops_attention_with_masked_key_blocks(causal):
    """Key blocks the mask hides entirely are skipped once every row of a
    tile has seen a visible key, and computed while one has not: a padded
    tail, a masked middle, a masked head, and no visible key at all."""
    q, k, v, mask = attention_cases.masked_key_block_inputs(np.float32)
    got = effattn.ops.attention(q, k, v, mask=mask, causal=causal)
    want = reference.attention(q, k, v, mask=mask, causal=causal)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=0,
                               atol=ATOL[np.float32])
    np.testing.assert_allclose(got[3], np.broadcast_to(v[3].mean(axis=0), (60, 8)),
                               rtol=0, atol=ATOL[np.float32])


def test_reference_fully_masked_query_is_uniform_average():
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal((1, 4, 8)) for _ in range(3))
    mask = np.zeros((1, 4), dtype=bool)
    got = reference.attention(q, k, v, mask=mask)
    np.testing.assert_allclose(got, np.broadcast_to(v.mean(axis=1), got.shape),
                               atol=1e-12)
    compiled = effattn.ops.attention(q.astype(np.float32),
                                     k.astype(np.float32),
                                     v.astype(np.float32), mask=mask)
    np.testing.assert_allclose(compiled, got, atol=2e-6)


def test_reference_causal_first_row_sees_only_first_key():
    rng = np.random.default_rng(8)
    q, k, v = (rng.standard_normal((5, 3)) for _ in range(3))
    got = reference.attention(q, k, v, causal=True)
    np.testing.assert_allclose(got[0], v[0], atol=1e-12)
