//===- FlashAttention.h - effattn.attention in the flash form ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact attention on a CPU as vector code in the flash form, for a
// `#effattn.flash_config` (AttentionTiles.h chooses one per target). Queries
// run along the f32 lanes, so that the softmax's reductions over keys are
// lane-wise: per tile of `query_tile` queries (Qᵀ copied into a scratch
// buffer times scale·log2(e), so that scores are in base 2; the last tile's
// missing rows repeat its last query):
//
//   m = -inf, l = 0, accᵀ = 0                  (running max, sum, output)
//   for each block of `key_block` keys:
//     Sᵀ[j, :] = Σ_d K[j, d] · Qᵀ[d, :]        (register tiles of
//                `key_register_tile` keys × query_tile, K broadcast), or -1e9
//                where the mask or the causal window hides the key
//     m' = max(m, max_j Sᵀ[j, :]); α = 2^(m - m'); Pᵀ = 2^(Sᵀ - m')
//     l = α·l + Σ_j Pᵀ[j, :]
//     accᵀ[e, :] = α·accᵀ[e, :] + Σ_j V[j, e] · Pᵀ[j, :]   (register tiles of
//                `value_register_tile` columns, V broadcast)
//   out[i, e] = accᵀ[e, i] / l[i]
//
// 2^x (x <= 0) is Cephes' exp2f polynomial on the rounded-off fraction
// times 2^round(x) built from exponent bits: 13 vector operations.
//
// f16 and bf16 operands: each key block's keys and values are first
// converted to f32 scratch buffers a vector at a time, so that the register
// tiles broadcast f32 from memory as for f32 operands (converting element
// by element in the tiles cost 1.43x the f32 time, now 1.16x).
//
// Scores, weights and the output live in L1-sized scratch buffers; memory
// is O(query_tile · (D + E + key_block)) per tile, never O(N · M). Register
// tiles past the last key or value column read the last one again
// (clamped indices) and their results are never used, so no shape needs to
// be a multiple of a tile.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_FLASHATTENTION_H
#define EFFATTN_DIALECT_EFFATTN_IR_FLASHATTENTION_H

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// Score given to keys that effattn.attention hides: the authors' -1e9, as
/// a replacement value so that a query with no visible key averages the
/// values uniformly.
constexpr float kMaskedScore = -1.0e9f;

/// Returns the result of `op` computed in the flash form of `config`, built
/// at the insertion point of `b`.
Value buildFlashAttention(OpBuilder &b, AttentionOp op, FlashConfigAttr config);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_FLASHATTENTION_H
