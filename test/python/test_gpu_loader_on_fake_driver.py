"""A GPU library called from Python on the fake CUDA driver
(fake_cuda_driver.py): the loader's device buffers and the library's
temporaries are all freed, after a failed call too, and each call runs on
one stream that it waits for once. The fake runs no kernels, so the values
are not checked (test_gpu_*.py do that on a GPU); skipped where the build has
no fake driver (no CUDA toolkit)."""

import json
import os
import subprocess
import sys

import pytest

import effattn
from effattn.compiler import tools_dir
from fake_cuda_driver import directory
from gpu import TARGET

FAKE_DRIVER = directory(tools_dir())

pytestmark = pytest.mark.skipif(
    not os.path.exists(os.path.join(FAKE_DRIVER, "libcuda.so.1")),
    reason="no fake CUDA driver in this build (no CUDA toolkit)")

NYSTROM = """
func.func @nystrom(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>,
                   %v: tensor<2x64x16xf32>) -> tensor<2x64x16xf32> {
  %o = tensor.empty() : tensor<2x64x16xf32>
  %r = effattn.nystrom_attention {num_landmarks = 8}
      ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>)
      outs(%o : tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  return %r : tensor<2x64x16xf32>
}
"""

#: Runs in a process with the fake driver first on LD_LIBRARY_PATH: three
#: calls, one that runs out of device memory, one after
#: release_device_memory; prints the driver calls of each as JSON.
SCRIPT = """
import json, sys
import numpy as np
import effattn
from effattn.runtime import EffattnError
from fake_cuda_driver import driver, made, snapshot

module = effattn.load(sys.argv[1])
fake = driver()
x = np.ones((2, 64, 16), np.float32)
calls = []
for step in ["first", "second", "out_of_memory", "released"]:
    if step == "out_of_memory":
        fake.fakeCudaSetPoolLimit(0)
        module.release_device_memory()
    before = snapshot(fake)
    try:
        module.nystrom(x, x, x)
        error = ""
    except EffattnError as e:
        error = str(e)
    after = snapshot(fake)
    calls.append(dict(made(before, after), step=step, error=error,
                      reserved=after["poolReservedBytes"]))
    if step == "out_of_memory":
        fake.fakeCudaSetPoolLimit(2**62)
        module.release_device_memory()
print(json.dumps(calls))
"""


@pytest.fixture(scope="module")
def calls():
    library = effattn.compile(NYSTROM, target=TARGET, module_name="nystrom").path
    env = dict(os.environ, LD_LIBRARY_PATH=FAKE_DRIVER,
               PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, library], env=env,
                          capture_output=True, text=True, check=True)
    return {call["step"]: call for call in json.loads(proc.stdout)}


def test_every_device_buffer_is_freed(calls):
    for step in ("first", "second", "released"):
        call = calls[step]
        assert call["error"] == ""
        # The loader's copies of the three inputs and the output.
        assert call["plainAllocations"] == call["plainFrees"] == 4
        # The library's temporaries, from its pool.
        assert call["poolAllocations"] == call["asyncFrees"] > 0
        assert call["invalidFrees"] == 0 and call["launches"] > 0


def test_each_call_waits_once_on_one_stream(calls):
    for step in ("first", "second", "released"):
        assert calls[step]["streamsCreated"] == calls[step]["streamSynchronizations"] == 1
        assert calls[step]["contextSynchronizations"] == 0


def test_pool_memory_is_kept_between_calls_until_released(calls):
    assert calls["first"]["poolReservations"] > 0
    assert calls["second"]["poolReservations"] == 0
    assert calls["released"]["poolReservations"] == calls["first"]["poolReservations"]


def test_out_of_memory_is_an_error_that_frees_everything(calls):
    call = calls["out_of_memory"]
    assert "cuMemAllocFromPoolAsync failed: CUDA_ERROR_OUT_OF_MEMORY" in call["error"]
    assert "(status 6)" in call["error"]
    assert call["plainAllocations"] == call["plainFrees"] == 4
    # Nothing runs after the first failure: no launch, no copy on freed memory.
    assert call["launches"] == 0 and call["invalidFrees"] == 0
