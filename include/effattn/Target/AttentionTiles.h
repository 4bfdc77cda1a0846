//===- AttentionTiles.h - Analytic tiles of flash attention -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The `#effattn.flash_config` of exact attention on a CPU target, with the
// queries along the f32 lanes (FlashAttention.h):
//
// - query tile: two vectors of queries, so that each broadcast key or value
//   element feeds two FMAs;
// - key register tile: as many keys as keep 2 · tile score accumulators
//   + 2 query vectors + 1 broadcast within the vector registers (6 on AVX2,
//   14 on AVX-512);
// - value register tile: the same budget with one more register for the
//   rescaling factor, spread evenly over the value columns E when E is
//   static (E = 64 on AVX-512: 5 tiles of 13, not 4 of 14 and one of 8);
// - key block: the scores of one key block (key block × query tile f32)
//   fill half the L1 data cache, rounded down to whole key register tiles.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_TARGET_ATTENTIONTILES_H
#define EFFATTN_TARGET_ATTENTIONTILES_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

namespace mlir {
namespace effattn {
/// Returns the flash-attention config for value columns `valueDim`
/// (ShapedType::kDynamic when unknown) on `target` (null: 16 256-bit
/// registers, 32 KiB L1).
FlashConfigAttr chooseFlashConfig(MLIRContext *context, CpuTargetAttr target,
                                  int64_t valueDim);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_TARGET_ATTENTIONTILES_H
