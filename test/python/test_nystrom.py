"""effattn.nystrom_attention: compiled code vs the numpy oracle vs the authors.

The oracle reproduces the authors' own output (shared/vectors); compiled code
is compared with the oracle on random inputs with fixed seeds, masked and
unmasked, several landmark counts (dividing N and not), both pinv inits,
with and without the conv skip, f32 and f16.
"""

import numpy as np
import pytest

import effattn
from effattn import reference
from vectors import load_vectors, random_self_attention, relative_error


def test_matches_authors_vectors():
    data = load_vectors("nystrom_m64_nomask")
    kwargs = dict(mask=data["mask"], num_landmarks=int(data["hp_num_landmarks"]),
                  pinv_iterations=int(data["hp_n_iter"]),
                  pinv_init=str(data["hp_init_option"]))
    want = data["X"]
    assert relative_error(reference.nystrom_attention(
        data["Q"], data["K"], data["V"], **kwargs), want) <= 1e-5
    assert relative_error(effattn.ops.nystrom_attention(
        data["Q"], data["K"], data["V"], **kwargs), want) <= 1e-5


def test_oracle_pinv_matches_authors_intermediate():
    data = load_vectors("nystrom_m64_nomask")
    got = reference.nystrom_pinv(data["int_kernel2_A"], 6, "original")
    assert relative_error(got, data["int_pinv_A"]) <= 1e-5


CASES = [
    # batch, n, d, e, landmarks, init, masked, conv, dtype
    ((1, 2), 64, 32, 32, 16, "original", False, False, np.float32),
    ((2, 3), 50, 16, 8, 8, "original", True, False, np.float32),
    ((2, 3), 50, 16, 16, 7, "exact", True, True, np.float32),
    ((4,), 37, 8, 8, 5, "original", False, True, np.float32),
    ((2, 2), 48, 16, 16, 12, "exact", True, False, np.float16),
    ((2,), 20, 8, 4, 20, "original", True, False, np.float32),  # m == n: exact
]


@pytest.mark.parametrize("batch,n,d,e,landmarks,init,masked,conv,dtype", CASES)
def test_compiled_matches_oracle(batch, n, d, e, landmarks, init, masked, conv,
                                 dtype):
    rng = np.random.default_rng(100 + n + landmarks)
    q, k, v, mask = random_self_attention(rng, batch, n, d, e, dtype, masked)
    weight = rng.standard_normal((batch[-1], 5)).astype(dtype) if conv else None
    kwargs = dict(mask=mask, num_landmarks=landmarks, pinv_init=init,
                  conv_weight=weight)
    got = effattn.ops.nystrom_attention(q, k, v, **kwargs)
    want = reference.nystrom_attention(q, k, v, **kwargs)
    assert got.dtype == dtype and got.shape == want.shape
    tolerance = 1e-5 if dtype == np.float32 else 5e-3
    assert relative_error(got, want) <= tolerance


def test_all_landmarks_is_exact_attention():
    """m == N is exact attention on the real tokens (padded query rows are
    zeroed by the authors' masking, so only real rows are compared)."""
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 24, 8)) for _ in range(3))
    mask = rng.random((2, 24)) < 0.7
    mask[:, 0] = True
    want = reference.attention(q, k, v, mask=mask)[mask]
    got = reference.nystrom_attention(q, k, v, mask=mask, num_landmarks=24)
    np.testing.assert_allclose(got[mask], want, atol=1e-6)
    compiled = effattn.ops.nystrom_attention(q.astype(np.float32), k.astype(np.float32),
                                             v.astype(np.float32), mask=mask,
                                             num_landmarks=24)
    np.testing.assert_allclose(compiled[mask], want, atol=2e-6)


@pytest.mark.parametrize("init", ["original", "exact"])
def test_pinv_inverts_softmax_matrices(init):
    rng = np.random.default_rng(9)
    logits = rng.standard_normal((3, 16, 16))
    a = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    z = reference.nystrom_pinv(a, iterations=20, init=init)
    eye = np.broadcast_to(np.eye(16), a.shape)
    np.testing.assert_allclose(z @ a, eye, atol=1e-6)


def test_uneven_segments_cover_every_token_once():
    for n, m in [(10, 4), (50, 7), (64, 16), (37, 5), (5, 5)]:
        segments = reference.landmark_segments(n, m)
        assert len(segments) == m
        covered = [t for start, length in segments for t in range(start, start + length)]
        assert covered == list(range(n))
        assert {length for _, length in segments} <= {n // m, n // m + 1}
