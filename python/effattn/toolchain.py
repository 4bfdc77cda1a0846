"""Build MLIR into a native shared library and call it on numpy arrays.

This drives the build tree's `effattn-opt` (the registered
`effattn-cpu-pipeline`), LLVM's `mlir-translate` and `clang` to produce a
shared library for the host CPU, and calls its `_mlir_ciface_<name>` entry
points (one memref descriptor per tensor argument) through ctypes.

Tool locations: `EFFATTN_TOOLS_DIR` (default: `<repo>/build/bin`) and
`EFFATTN_LLVM_TOOLS_DIR` (default: `/usr/lib/llvm-22/bin`).
"""

import ctypes
import os
import subprocess
import tempfile

import numpy as np

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: numpy dtypes that cross the C interface, by MLIR element type name.
DTYPES = {"f32": np.float32, "f16": np.float16, "i1": np.bool_,
          "i8": np.int8, "i32": np.int32, "i64": np.int64}


class ToolchainError(RuntimeError):
    """A compilation step failed; the message holds the tool's diagnostics."""


def tools_dir():
    return os.environ.get("EFFATTN_TOOLS_DIR", os.path.join(_REPO, "build", "bin"))


def llvm_tools_dir():
    return os.environ.get("EFFATTN_LLVM_TOOLS_DIR", "/usr/lib/llvm-22/bin")


def _run(cmd, stdin=None):
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return proc.stdout


def compile_shared_library(mlir, output, pipeline="effattn-cpu-pipeline",
                           march="native"):
    """Compiles MLIR text (or a path to a .mlir file) into a shared library.

    The module is lowered with `effattn-opt --<pipeline>`, translated to LLVM
    IR and compiled by clang with -O3 for `march`. Returns `output`.
    """
    if os.path.exists(str(mlir)):
        with open(mlir) as f:
            mlir = f.read()
    llvm_dialect = _run([os.path.join(tools_dir(), "effattn-opt"),
                         f"--{pipeline}", "-"], stdin=mlir)
    llvm_ir = _run([os.path.join(llvm_tools_dir(), "mlir-translate"),
                    "--mlir-to-llvmir", "-"], stdin=llvm_dialect)
    with tempfile.NamedTemporaryFile("w", suffix=".ll", delete=False) as f:
        f.write(llvm_ir)
        ll_path = f.name
    try:
        _run([os.path.join(llvm_tools_dir(), "clang"), "-O3", f"-march={march}",
              "-fveclib=libmvec", "-shared", "-fPIC", "-Wno-override-module", ll_path,
              "-lmvec", "-o", output])
    finally:
        os.unlink(ll_path)
    return output


def _descriptor_type(rank):
    """The ctypes layout of a ranked memref descriptor of `rank`."""
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank),
                   ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRefDescriptor{rank}D", (ctypes.Structure,),
                {"_fields_": fields})


def _descriptor_of(array):
    """A descriptor viewing a C-contiguous numpy array (no copy)."""
    desc = _descriptor_type(array.ndim)()
    desc.allocated = desc.aligned = array.ctypes.data
    desc.offset = 0
    if array.ndim:
        desc.sizes[:] = array.shape
        desc.strides[:] = [s // array.itemsize for s in array.strides]
    return desc


_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]


class Library:
    """A compiled shared library whose functions take and return tensors."""

    def __init__(self, path):
        self.path = path
        self._lib = ctypes.CDLL(path)

    def call(self, name, *args, result_dtype):
        """Calls `name` with numpy arrays; returns its single tensor result.

        Functions are in destination-passing style: the result has the rank
        of the last argument (the `init`/`outs` tensor). Arguments are passed
        without copies when already C-contiguous. The result buffer, allocated
        by the compiled code, is copied into a numpy array of `result_dtype`
        and freed.
        """
        arrays = [np.ascontiguousarray(a) for a in args]
        descs = [_descriptor_of(a) for a in arrays]
        rank = next((a.ndim for a in reversed(arrays)), 0)
        result = _descriptor_type(rank)()
        fn = getattr(self._lib, f"_mlir_ciface_{name}")
        fn.restype = None
        fn(ctypes.byref(result), *(ctypes.byref(d) for d in descs))
        shape = tuple(result.sizes) if rank else ()
        count = int(np.prod(shape))
        itemsize = np.dtype(result_dtype).itemsize
        base = result.aligned + result.offset * itemsize
        buffer = (ctypes.c_char * (count * itemsize)).from_address(base)
        out = np.frombuffer(buffer, dtype=result_dtype).reshape(shape).copy()
        if result.allocated not in {a.ctypes.data for a in arrays}:
            _libc.free(result.allocated)
        return out


def compile_module(mlir, workdir=None, **kwargs):
    """Compiles MLIR for the host and loads it; returns a `Library`."""
    workdir = workdir or tempfile.mkdtemp(prefix="effattn-")
    path = os.path.join(workdir, "libmodule.so")
    return Library(compile_shared_library(mlir, path, **kwargs))
