"""effattn.compile: MLIR in, a loaded native module out.

Runs the build tree's `effattn-compile` (the same pipeline as `effattn-opt
--effattn-cpu-pipeline`) and loads the shared library it writes with
`effattn.runtime.load`. Compiled libraries are cached on disk by the SHA-256
of the MLIR text, the target and the compiler binary, in `EFFATTN_CACHE_DIR`
(default `~/.cache/effattn`).

Tool location: `EFFATTN_TOOLS_DIR` (default: `<repo>/build/bin`).
"""

import hashlib
import os
import subprocess
import tempfile

from . import runtime

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CompileError(RuntimeError):
    """effattn-compile rejected the module; the message holds its diagnostics."""


def tools_dir():
    """Directory holding effattn-opt and effattn-compile."""
    return os.environ.get("EFFATTN_TOOLS_DIR", os.path.join(_REPO, "build", "bin"))


def cache_dir():
    return os.environ.get(
        "EFFATTN_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache", "effattn"))


def _read_source(mlir):
    """MLIR text, given either the text itself or a path to a .mlir file."""
    if "\n" not in mlir and os.path.isfile(mlir):
        with open(mlir) as f:
            return f.read()
    return mlir


def compile(mlir, target="host", module_name="module", cache=True, row_tile_size=None,
            emulate_gpu=False, attention_warp_rows=None, f32_contractions=None):
    """Compiles MLIR (text or path) and returns the loaded module.

    target: "host" (this CPU and its features), an LLVM CPU name
      ("x86-64-v3", "x86-64-v4", "znver4", ...) or an NVIDIA GPU
      ("cuda:sm_80", "cuda:sm_90"; the module then takes device pointers and
      its callables copy numpy arrays there and back).
    emulate_gpu: with a cuda: target, run the GPU kernels on this CPU, as
      loops over blocks and threads (blocks of synchronizing kernels, such as
      attention's, in lockstep): a CPU library that computes what the GPU
      library would, for checking GPU code without a GPU.
    attention_warp_rows: with a cuda: target, the query rows per warp of the
      tensor-core attention kernel (16 or 32; default: the tile model's).
    f32_contractions: with a cuda: target, how f32 GEMMs multiply: "3xtf32"
      (the default: tensor cores, three tf32 products per multiply-add,
      near-f32 accuracy) or "fma" (f32 FMAs).
    Returns an `effattn.runtime.Module` with one callable per public function,
    taking and returning numpy arrays.
    Raises CompileError with effattn-compile's diagnostics on bad input.
    """
    text = _read_source(mlir)
    compiler = os.path.join(tools_dir(), "effattn-compile")
    if not os.path.exists(compiler):
        raise CompileError(f"{compiler} not found: build the project first "
                           "(bash scripts/setup.sh) or set EFFATTN_TOOLS_DIR")
    options = [f"--target={target}", f"--module-name={module_name}"]
    if row_tile_size is not None:
        options.append(f"--row-tile-size={row_tile_size}")
    if emulate_gpu:
        options.append("--emulate-gpu")
    if attention_warp_rows is not None:
        options.append(f"--gpu-attention-warp-rows={attention_warp_rows}")
    if f32_contractions is not None:
        options.append(f"--gpu-f32-contractions={f32_contractions}")
    key = hashlib.sha256("\0".join(
        [text, *options, str(os.stat(compiler).st_mtime_ns)]).encode()).hexdigest()[:24]
    directory = os.path.join(cache_dir(), key) if cache else tempfile.mkdtemp(prefix="effattn-")
    library = os.path.join(directory, f"lib{module_name}.so")
    if not (cache and os.path.exists(library)):
        os.makedirs(directory, exist_ok=True)
        source = os.path.join(directory, "module.mlir")
        with open(source, "w") as f:
            f.write(text)
        # Write under a temporary name, then rename: concurrent compilations
        # of the same module never see a half-written library.
        partial = os.path.join(directory, f".lib{module_name}.{os.getpid()}.so")
        proc = subprocess.run([compiler, source, "-o", partial, *options,
                               f"--header={os.path.join(directory, module_name + '.h')}"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise CompileError(proc.stderr.strip() or f"effattn-compile exited {proc.returncode}")
        os.replace(partial, library)
    return runtime.load(library, module_name=module_name)
