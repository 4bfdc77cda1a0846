"""Calls each entry point of a library compiled for a GPU twice, on the
fake CUDA driver (unittests/Runtime/FakeCudaDriver.c, first on
LD_LIBRARY_PATH), and prints the driver calls each call made: the second
call shows what a model pays per call once its memory pool is warm. The
fake runs no kernels, so the outputs are not checked (the [gpu] tests of
test/python do that on a GPU).

usage: driver_calls.py LIBRARY
"""

import ctypes
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "python"))
from fake_cuda_driver import COUNTERS, driver, made, snapshot  # noqa: E402


def main(path):
    module = os.path.basename(path).split(".")[0][3:]
    library = ctypes.CDLL(os.path.abspath(path))
    manifest = library[f"{module}_manifest"]
    manifest.restype = ctypes.c_char_p
    fake = driver()
    alloc = library[f"{module}_cuda_alloc"]
    alloc.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]
    for function in json.loads(manifest())["functions"]:
        args = []
        for tensor in function["inputs"] + function["outputs"]:
            shape = (ctypes.c_int64 * len(tensor["shape"]))(*tensor["shape"])
            count = 1
            for size in tensor["shape"]:
                count *= size
            pointer = ctypes.c_void_p()
            # Inputs are zeros: a mask hides every key, which no kernel reads here.
            assert alloc(ctypes.byref(pointer), max(count, 1) * 8) == 0
            ctypes.memset(pointer, 0, max(count, 1) * 8)
            args += [pointer, shape]
        for call in ("first", "second"):
            before = snapshot(fake)
            status = library[function["name"]](*args)
            calls = made(before, snapshot(fake))
            print(f"{function['name']} {call} call: status {status}; "
                  + ", ".join(f"{name} {calls[name]}" for name in COUNTERS))


if __name__ == "__main__":
    main(sys.argv[1])
