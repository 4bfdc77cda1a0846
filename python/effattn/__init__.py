"""effattn: a compiler for efficient transformer building blocks.

  effattn.compile(mlir, target="host")  MLIR text or path -> loaded module
  effattn.load(path)                    load a library built by effattn-compile
  effattn.release_device_memory()       give GPU libraries' cached memory back
  effattn.ops.<op>(...)                 run one op, compiled for this CPU
  effattn.reference.<op>(...)           the numpy oracle of the same op
"""

from . import ops, reference
from .compiler import CompileError, compile
from .runtime import EffattnError, load, release_device_memory

__all__ = ["CompileError", "EffattnError", "compile", "load", "ops", "reference",
           "release_device_memory"]
