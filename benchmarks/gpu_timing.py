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


def kernel_profile(fn, repeats, top=12):
    """The GPU kernels `repeats` calls of `fn` run (after a warm-up call),
    from PyTorch's profiler (CUPTI records every kernel of the process,
    those effattn's library launches through the driver API included): the
    `top` by total time as {"kernel", "calls", "total_us", "mean_us"}, or
    {"error": ...} where the profiler is not usable."""
    try:
        import torch
        from torch.profiler import ProfilerActivity, profile

        fn()
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(repeats):
                fn()
            torch.cuda.synchronize()
        kernels = []
        for event in prof.key_averages():
            total = getattr(event, "device_time_total", None)
            if total is None:
                total = getattr(event, "cuda_time_total", 0)
            if total > 0:
                kernels.append({"kernel": event.key, "calls": event.count // repeats,
                                "total_us": total / repeats,
                                "mean_us": total / max(event.count, 1)})
        kernels.sort(key=lambda k: -k["total_us"])
        return kernels[:top]
    except Exception as error:  # noqa: BLE001 (the timings must not fail)
        return [{"error": f"{type(error).__name__}: {error}"}]


def torch_dtype(name):
    """The torch dtype of "f16", "bf16" or "f32"."""
    import torch

    return {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}[name]


def finish(rows, json_path):
    """Writes the result rows to `json_path` (if any); called after each
    row, so that a run cut short keeps the rows it measured."""
    if json_path:
        with open(json_path, "w") as f:
            json.dump(rows, f, indent=1)
