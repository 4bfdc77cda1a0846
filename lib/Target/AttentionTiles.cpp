//===- AttentionTiles.cpp - Analytic tiles of flash attention ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/AttentionTiles.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::effattn;

FlashConfigAttr mlir::effattn::chooseFlashConfig(MLIRContext *context,
                                                 CpuTargetAttr target,
                                                 int64_t valueDim) {
  int64_t registers = target ? target.getVectorRegisters() : 16;
  int64_t lanes = (target ? target.getVectorBits() : 256) / 32;
  int64_t l1 = target ? target.getL1Bytes() : 32 * 1024;
  constexpr int64_t queryVectors = 2;
  int64_t queryTile = queryVectors * lanes;
  // Accumulators + the query (or weight) vectors + one broadcast.
  int64_t keyTile = std::clamp<int64_t>(
      (registers - queryVectors - 1) / queryVectors, 1, kMaxRegisterTile);
  // One more register holds the rescaling factor.
  int64_t valueTile = std::clamp<int64_t>(
      (registers - queryVectors - 2) / queryVectors, 1, kMaxRegisterTile);
  if (!ShapedType::isDynamic(valueDim) && valueDim > 0)
    valueTile =
        llvm::divideCeil(valueDim, llvm::divideCeil(valueDim, valueTile));
  int64_t keyBlock = l1 / 2 / (queryTile * 4) / keyTile * keyTile;
  return FlashConfigAttr::get(context, lanes, queryTile,
                              std::max(keyBlock, keyTile), keyTile, valueTile);
}
