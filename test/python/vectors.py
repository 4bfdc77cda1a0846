"""Helpers shared by the Python tests: the authors' reference vectors and the
relative error they are compared with."""

import os

import numpy as np
import pytest

#: Directory of the authors' vectors (../shared/vectors beside the checkout).
VECTORS = os.environ.get("EFFATTN_VECTORS_DIR", os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "vectors"))


def relative_error(got, want):
    """Relative Frobenius error ‖got - want‖ / ‖want‖, in float64."""
    return np.linalg.norm(np.asarray(got, np.float64) - want) / np.linalg.norm(want)


def load_vectors(name):
    """The arrays of `<name>.npz`; skips the test when the vectors are absent."""
    path = os.path.join(VECTORS, name + ".npz")
    if not os.path.exists(path):
        pytest.skip("shared/vectors not present")
    return np.load(path)


def random_self_attention(rng, batch, n, d, e, dtype, masked):
    """Normal q, k [batch..., n, d], v [batch..., n, e] and, if `masked`, a
    key-padding mask [batch[0], n] (broadcast over heads) whose first token is
    always real."""
    q = rng.standard_normal(batch + (n, d)).astype(dtype)
    k = rng.standard_normal(batch + (n, d)).astype(dtype)
    v = rng.standard_normal(batch + (n, e)).astype(dtype)
    mask = None
    if masked:
        mask = rng.random(batch[:1] + (n,)) < 0.8
        mask[..., 0] = True
    return q, k, v, mask
