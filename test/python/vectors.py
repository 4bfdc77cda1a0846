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
