"""effattn: a compiler for efficient transformer building blocks.

Modules:
  reference  -- numpy oracles, one per effattn op (the test oracle).
  toolchain  -- drives effattn-opt, mlir-translate and clang to build a shared
                library from MLIR, and calls its functions on numpy arrays.
"""
