//===- EffAttnDialect.h - EffAttn dialect -----------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_EFFATTNDIALECT_H
#define EFFATTN_DIALECT_EFFATTN_IR_EFFATTNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dialect.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "effattn/Dialect/EffAttn/IR/EffAttnAttrs.h.inc"

namespace mlir {
namespace effattn {
/// The most vectors (rows) a register tile of `#effattn.flash_config`
/// (`#effattn.gemm_config`, `#effattn.pair_gemm_config`) may span in each of
/// its dimensions (bounds the code size of its kernel).
constexpr int64_t kMaxRegisterTile = 16;

/// The module attribute that holds the target description
/// (`#effattn.cpu` or `#effattn.gpu`).
constexpr llvm::StringLiteral kTargetAttrName = "effattn.target";

/// Returns the `effattn.target` of `op` (a module) or of its enclosing
/// module, or null when there is none.
Attribute getTargetAttr(Operation *op);

/// Returns the `#effattn.cpu` target of `op` or of its enclosing module, or
/// null when there is none (or it describes a GPU).
inline CpuTargetAttr getCpuTarget(Operation *op) {
  return dyn_cast_if_present<CpuTargetAttr>(getTargetAttr(op));
}

/// Returns true if `op`'s module is compiled for a GPU (its `effattn.target`
/// is a `#effattn.gpu`): decompositions then avoid sequential host loops.
inline bool targetsGpu(Operation *op) {
  return isa_and_present<GpuTargetAttr>(getTargetAttr(op));
}

/// The discardable attribute that holds the lowering config of an upstream
/// op (`#effattn.gemm_config` on `linalg.matmul`).
constexpr llvm::StringLiteral kLoweringConfigAttrName =
    "effattn.lowering_config";
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_EFFATTNDIALECT_H
