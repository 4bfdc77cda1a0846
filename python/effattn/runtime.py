"""Load a library built by effattn-compile and call it on numpy arrays.

The library's plain C ABI (docs/ABI.md) is self-describing:
`<module>_manifest()` returns JSON with every entry point's tensors (dtype,
shape). `load()` reads it and exposes each entry point as a Python callable
that checks the arrays, passes their data pointers and shapes, allocates the
outputs and raises `EffattnError` with the library's message on a non-zero
status.

A library compiled for a GPU (`device` "cuda:sm_XX" in the manifest) takes
device pointers: its callables copy the numpy inputs to device memory the
library allocates (`<module>_cuda_alloc`), run, and copy the outputs back.
Such a library keeps the device memory of its temporaries between calls;
`release_device_memory()` returns it to the driver.
"""

import ctypes
import json
import os
import weakref

import numpy as np

#: numpy dtype of each element type of the C ABI (bf16 travels as raw bits).
DTYPES = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16,
          "i1": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32,
          "i64": np.int64}


#: The loaded libraries compiled for a GPU.
_GPU_MODULES = weakref.WeakSet()


class EffattnError(RuntimeError):
    """A compiled function returned a non-zero status."""

    def __init__(self, status, message):
        super().__init__(f"{message} (status {status})")
        self.status = status


class Function:
    """One entry point of a compiled module."""

    def __init__(self, module, spec):
        self.name = spec["name"]
        self.inputs = spec["inputs"]
        self.outputs = spec["outputs"]
        self._module = module
        self._fn = getattr(module._lib, self.name)
        self._fn.restype = ctypes.c_int32
        self._fn.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)] * (
            len(self.inputs) + len(self.outputs))

    def __repr__(self):
        def fmt(ts):
            return ", ".join(f"{t['dtype']}{list(t['shape'])}" for t in ts)
        return f"<effattn function {self.name}({fmt(self.inputs)}) -> ({fmt(self.outputs)})>"

    def _prepare(self, index, array):
        spec = self.inputs[index]
        dtype = DTYPES[spec["dtype"]]
        array = np.asarray(array)
        if array.ndim != len(spec["shape"]):
            raise ValueError(f"{self.name}: argument {index} ({spec['name']}) has rank "
                             f"{array.ndim} (shape {list(array.shape)}), expected rank "
                             f"{len(spec['shape'])} (shape {list(spec['shape'])})")
        if array.dtype != dtype:
            if spec["dtype"] == "i1" and array.dtype.kind in "biuf":
                array = array != 0
            elif array.dtype.kind == np.dtype(dtype).kind and spec["dtype"] != "bf16":
                array = array.astype(dtype)
            else:
                raise TypeError(f"{self.name}: argument {index} ({spec['name']}) has dtype "
                                f"{array.dtype}, expected {spec['dtype']}")
        return np.ascontiguousarray(array)

    def __call__(self, *args):
        """Runs the function; returns one array, or a tuple for several outputs.

        A wrong rank raises ValueError here (the C ABI reads exactly `rank`
        sizes per shape array); wrong sizes are passed as given and reported
        by the compiled code's own check (EffattnError, status 2), the same
        path C callers see.
        """
        if len(args) != len(self.inputs):
            raise TypeError(f"{self.name}() takes {len(self.inputs)} arguments, "
                            f"got {len(args)}")
        arrays = [self._prepare(i, a) for i, a in enumerate(args)]
        outputs = [np.empty(spec["shape"], dtype=DTYPES[spec["dtype"]])
                   for spec in self.outputs]
        shapes = [np.asarray(a.shape, dtype=np.int64) for a in arrays + outputs]
        call_args = []
        for array, shape in zip(arrays + outputs, shapes):
            call_args += [array.ctypes.data,
                          shape.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))]
        if self._module.device == "cpu":
            self._call(call_args)
        else:
            self._module._run_on_device(self._call, call_args, arrays, outputs)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _call(self, call_args):
        status = self._fn(*call_args)
        if status != 0:
            raise EffattnError(status, self._module.last_error())


class Module:
    """A loaded library: one attribute per entry point."""

    def __init__(self, path, module_name):
        self.path = path
        self._lib = ctypes.CDLL(os.path.abspath(path))
        manifest = getattr(self._lib, f"{module_name}_manifest")
        manifest.restype = ctypes.c_char_p
        self.manifest = json.loads(manifest().decode())
        self._last_error = getattr(self._lib, f"{module_name}_last_error")
        self._last_error.restype = ctypes.c_char_p
        #: "cpu", or "cuda:sm_XX" for a library whose tensors live on a GPU.
        self.device = self.manifest.get("device", "cpu")
        if self.device != "cpu":
            self._cuda = {}
            for name, argtypes in (
                    ("alloc", [ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t]),
                    ("free", [ctypes.c_void_p]),
                    ("copy", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]),
                    ("release_memory", [])):
                fn = getattr(self._lib, f"{module_name}_cuda_{name}")
                fn.restype = ctypes.c_int32
                fn.argtypes = argtypes
                self._cuda[name] = fn
            _GPU_MODULES.add(self)
        self.functions = {spec["name"]: Function(self, spec)
                          for spec in self.manifest["functions"]}

    def last_error(self):
        return self._last_error().decode()

    def release_device_memory(self):
        """Returns to the CUDA driver the device memory a GPU library keeps
        between calls for its temporaries (a no-op for CPU libraries)."""
        if self.device != "cpu":
            self._check_cuda(self._cuda["release_memory"]())

    def _check_cuda(self, status):
        if status != 0:
            raise EffattnError(status, self.last_error())

    def _run_on_device(self, call, call_args, arrays, outputs):
        """Runs `call` with the data pointers in `call_args` (every other
        entry) replaced by device copies of `arrays` and device buffers for
        `outputs`, then copies the outputs back."""
        buffers = []
        try:
            for array in arrays + outputs:
                pointer = ctypes.c_void_p()
                self._check_cuda(self._cuda["alloc"](ctypes.byref(pointer),
                                                     max(array.nbytes, 1)))
                buffers.append(pointer)
            for array, pointer in zip(arrays, buffers):
                self._check_cuda(self._cuda["copy"](pointer, array.ctypes.data,
                                                    array.nbytes))
            device_args = list(call_args)
            for i, pointer in enumerate(buffers):
                device_args[2 * i] = pointer.value
            call(device_args)
            for array, pointer in zip(outputs, buffers[len(arrays):]):
                self._check_cuda(self._cuda["copy"](array.ctypes.data, pointer,
                                                    array.nbytes))
        finally:
            for pointer in buffers:
                if pointer.value:
                    self._cuda["free"](pointer)

    def __getattr__(self, name):
        functions = self.__dict__.get("functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(f"module {self.path} has no function {name!r}")

    def __dir__(self):
        return list(super().__dir__()) + list(self.functions)


def release_device_memory():
    """Returns to the CUDA driver the device memory that every loaded GPU
    library keeps between calls for its temporaries (as
    torch.cuda.empty_cache() does for PyTorch's)."""
    for module in list(_GPU_MODULES):
        module.release_device_memory()


def load(path, module_name=None):
    """Loads a shared library built by effattn-compile.

    module_name: the prefix of its module-level symbols; defaults to the file
    name without "lib" and extension, as effattn-compile names it.
    """
    if module_name is None:
        stem = os.path.basename(path).split(".")[0]
        module_name = stem[3:] if stem.startswith("lib") else stem
    return Module(path, module_name)
