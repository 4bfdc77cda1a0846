"""GPU libraries (Nystrom, the examples' encoder layer) called from Python
on the fake CUDA driver (fake_cuda_driver.py): the loader's device buffers
and the library's temporaries are all freed, after a failed call too, and
each call runs on one stream that it waits for once. The fake runs no
kernels, so the values are not checked (test_gpu_*.py do that on a GPU);
skipped where the build has no fake driver (no CUDA toolkit)."""

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
#: calls of the library's first entry point on zeros, one that runs out of
#: device memory, one after release_device_memory; prints the driver calls
#: of each, and the number of tensors the loader copies, as JSON.
SCRIPT = """
import json, sys
import numpy as np
import effattn
from effattn.runtime import DTYPES, EffattnError
from fake_cuda_driver import driver, made, snapshot

module = effattn.load(sys.argv[1], sys.argv[2])
fake = driver()
function = module.manifest["functions"][0]
arrays = [np.zeros(spec["shape"], DTYPES[spec["dtype"]]) for spec in function["inputs"]]
calls = []
for step in ["first", "second", "out_of_memory", "released"]:
    if step == "out_of_memory":
        fake.fakeCudaSetPoolLimit(0)
        module.release_device_memory()
    before = snapshot(fake)
    try:
        getattr(module, function["name"])(*arrays)
        error = ""
    except EffattnError as e:
        error = str(e)
    after = snapshot(fake)
    calls.append(dict(made(before, after), step=step, error=error))
    if step == "out_of_memory":
        fake.fakeCudaSetPoolLimit(2**62)
        module.release_device_memory()
tensors = len(function["inputs"]) + len(function["outputs"])
print(json.dumps(dict(tensors=tensors, calls=calls)))
"""


def encoder_layer_mlir():
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "examples"))
    try:
        import encoder_layer
    finally:
        sys.path.pop(0)
    return encoder_layer.emit_mlir(encoder_layer.make_weights())


@pytest.fixture(scope="module", params=["nystrom", "encoder_layer"])
def run(request):
    """The driver calls of each step of SCRIPT, and the tensors per call,
    for Nystrom and the examples' encoder layer."""
    text = NYSTROM if request.param == "nystrom" else encoder_layer_mlir()
    module_name = f"fake_driver_{request.param}"
    library = effattn.compile(text, target=TARGET, module_name=module_name).path
    env = dict(os.environ, LD_LIBRARY_PATH=FAKE_DRIVER,
               PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, library, module_name], env=env,
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    return result["tensors"], {call["step"]: call for call in result["calls"]}


@pytest.fixture
def calls(run):
    return run[1]


def test_every_device_buffer_is_freed(run):
    tensors, calls = run
    for step in ("first", "second", "released"):
        call = calls[step]
        assert call["error"] == ""
        # The loader's copies of the operands and results.
        assert call["plainAllocations"] == call["plainFrees"] == tensors
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


def test_out_of_memory_is_an_error_that_frees_everything(run):
    tensors, calls = run
    call = calls["out_of_memory"]
    assert "cuMemAllocFromPoolAsync failed: CUDA_ERROR_OUT_OF_MEMORY" in call["error"]
    assert "(status 6)" in call["error"]
    assert call["plainAllocations"] == call["plainFrees"] == tensors
    # Nothing runs after the first failure: no launch, no copy on freed memory.
    assert call["launches"] == 0 and call["invalidFrees"] == 0
