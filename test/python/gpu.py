"""Helpers shared by the GPU tests: the target they compile for and a
runner for the two ways a GPU library is checked.

The libraries are compiled on any machine (effattn-compile --target=cuda:...
needs the CUDA toolkit, not a GPU). On a GPU ("gpu") they run where a
driver and device are and report EFFATTN_ERROR_DEVICE elsewhere, which
skips the test. Emulated ("emulated", kernels of independent threads only)
the same kernels run on this CPU as loops over blocks and threads, so the
GPU lowering is checked on every machine. Set EFFATTN_TEST_GPU_CHIP
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

#: Parametrizes a test over running on the GPU and emulated on the CPU.
ON_GPU_AND_EMULATED = pytest.mark.parametrize("emulated", [False, True],
                                              ids=["gpu", "emulated"])


def skip_without_device(error):
    """Skips the test when `error` says no driver or device is usable;
    returns otherwise (the caller re-raises)."""
    if error.status == STATUS_DEVICE and (
            "no CUDA driver" in str(error) or "no usable CUDA device" in str(error)):
        pytest.skip(f"compiled; no GPU to run on: {error}")


def run_on_gpu(fn, *args, emulated=False, compile_options=None, target=TARGET,
               **kwargs):
    """Runs `fn` (an effattn.ops function, or a compiled module's function)
    with libraries compiled for the GPU `target`, or for its emulation, with
    further `effattn.compile` options; skips the test when the library
    reports that no driver or device is usable (compilation is still
    tested)."""
    try:
        with effattn.ops.target(target, emulate_gpu=emulated, **(compile_options or {})):
            return fn(*args, **kwargs)
    except EffattnError as error:
        skip_without_device(error)
        raise
