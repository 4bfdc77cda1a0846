"""What the GPU benchmarks share: calling a compiled library's entry point on
PyTorch device tensors through the C ABI, and CUDA-event timing."""

import ctypes

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
