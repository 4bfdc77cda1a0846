//===- Passes.td - EffAttn transformation passes -----------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD
#define EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def EffAttnTilePass : Pass<"effattn-tile", "func::FuncOp"> {
  let summary = "Tile effattn ops along their parallel dimensions";
  let description = [{
    Tiles every effattn op with the upstream `TilingInterface` driver into an
    `scf.forall` nest: batch dimensions by 1, the query/row dimension by
    `row-tile-size` and the remaining parallel dimensions not at all. The
    tiled ops stay whole (IREE's lesson: decompose late) so that
    `effattn-decompose` sees tiles whose temporaries fit in cache.

    Example: `effattn-opt --effattn-tile="row-tile-size=32"`.
  }];
  let options = [
    Option<"rowTileSize", "row-tile-size", "int64_t", /*default=*/"32",
           "Tile size of the query/row dimension (0 leaves it untiled)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def EffAttnDecomposePass : Pass<"effattn-decompose", "func::FuncOp"> {
  let summary = "Decompose effattn ops into linalg";
  let description = [{
    Replaces every effattn op by its `AggregatedOpInterface` decomposition: a
    chain of `linalg` ops on tensors computing in f32 (for
    `effattn.attention`: Q·Kᵀ, scale and mask, row max, exp, row sum, P·V,
    normalisation).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def EffAttnOrderLoopsPass : Pass<"effattn-order-loops", "func::FuncOp"> {
  let summary = "Make the innermost loop of linalg.generic ops contiguous";
  let description = [{
    Interchanges the loops of a `linalg.generic` whose innermost loop is a
    reduction so that the parallel loop indexing the output's last
    (contiguous) dimension becomes innermost, when every input either does
    not use that loop or also indexes its last dimension with it. A matmul
    `(i, j, k)` becomes `(i, k, j)`: its inner loop then streams rows of B
    and C and vectorizes without reassociating the sum. Contractions over a
    contiguous reduction (Q·Kᵀ over D) are left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def EffAttnEmitCInterfacePass
    : Pass<"effattn-emit-c-interface", "ModuleOp"> {
  let summary = "Mark public functions for a C-callable memref interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` with a body, so
    that `convert-func-to-llvm` also emits `_mlir_ciface_<name>`, a wrapper
    that takes each memref as a pointer to its descriptor (and returns
    results through a leading pointer). This is the entry point that C
    callers and the Python loader use.
  }];
}

#endif // EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD
