"""What the GPU benchmarks share: calling a compiled library's entry point on
PyTorch device tensors through the C ABI, and CUDA-event timing."""

import ctypes
import json

import numpy as np


def abi_call(module, name, tensors):
    """A function that calls `module`'s entry point `name` on `tensors`
    (device tensors: the operands, then the result) as (pointer, shape)
    pairs, and raises with the library's message on a non-zero status."""
    shapes = [np.array(t.shape, np.int64) for t in tensors]
    args = []
    for t, shape in zip(tensors, shapes):
        args += [t.data_ptr(), shape.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))]
    entry = getattr(module, name)

    def call():
        if entry._fn(*args):
            raise RuntimeError(module.last_error())

    call.shapes = shapes  # keeps the shape arrays alive with the call
    return call


def median_ms(fn, repeats):
    """Median time of `repeats` calls of `fn` after a warm-up call, measured
    with CUDA events around each call."""
    import torch

    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, end = (torch.cuda.Event(enable_timing=True) for _ in range(2))
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return float(np.median(times))


def torch_dtype(name):
    """The torch dtype of "f16", "bf16" or "f32"."""
    import torch

    return {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}[name]


def finish(rows, json_path):
    """Writes the result rows to `json_path` (if any)."""
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1)
