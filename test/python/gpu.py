"""Helpers shared by the GPU execution tests: the target they compile for
and a runner that skips when no GPU is usable.

The libraries are compiled on any machine (effattn-compile --target=cuda:...
needs the CUDA toolkit, not a GPU); they run where a driver and device are
and report EFFATTN_ERROR_DEVICE elsewhere. Set EFFATTN_TEST_GPU_CHIP
(default sm_90) to the GPU's architecture.
"""

import os

import pytest

import effattn
from effattn.runtime import EffattnError

CHIP = os.environ.get("EFFATTN_TEST_GPU_CHIP", "sm_90")
TARGET = f"cuda:{CHIP}"

#: EFFATTN_ERROR_DEVICE: the library could not use a GPU.
STATUS_DEVICE = 6


def skip_without_device(error):
    """Skips the test when `error` says no driver or device is usable;
    returns otherwise (the caller re-raises)."""
    if error.status == STATUS_DEVICE and (
            "no CUDA driver" in str(error) or "no usable CUDA device" in str(error)):
        pytest.skip(f"compiled; no GPU to run on: {error}")


def run_on_gpu(fn, *args, **kwargs):
    """Runs `fn` (an effattn.ops function, or a compiled module's function)
    with libraries compiled for the GPU; skips the test when the library
    reports that no driver or device is usable (compilation is still
    tested)."""
    try:
        with effattn.ops.target(TARGET):
            return fn(*args, **kwargs)
    except EffattnError as error:
        skip_without_device(error)
        raise
