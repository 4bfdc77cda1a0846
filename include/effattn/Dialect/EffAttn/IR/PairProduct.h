//===- PairProduct.h - Register-tiled i8 GEMM on i16 pairs ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The low-bit GEMM kernel of effattn.unpacked_matmul for a
// `#effattn.pair_gemm_config` (vector_width W i32 lanes, an MR × NR register
// tile): P = lhs · rhsᵀ for i8 lhs [R, K] and rhs [S, K] with i32 sums.
//
// Both operands are packed once into panels of pairs: entries 2p and 2p + 1
// of a row, sign-extended to i16, make one i32, so that one vector of W i32
// holds W pairs; lhs in panels of MR rows [⌈R/MR⌉, ⌈K/2⌉, MR] and rhs in
// panels of NR rows [⌈S/NR⌉, ⌈K/2⌉, NR], zero past R, S and K. Per pair p,
// the register tile gets
//
//   acc[i][v] += Σ_{t=0,1} lhs[i, 2p + t] · rhs[v·W + lane, 2p + t]
//
// for its MR rows i and NR / W vectors v, one broadcast lhs pair per row:
// one effattn.multiply_add_pairs per vector, which effattn-lower-vector-ops
// makes a `vpmaddwd` and an add (AVX2, AVX-512BW; LLVM fuses the two into
// `vpdpwssd` with AVX-512 VNNI). The sums are exact while K·max|lhs|·max|rhs| <
// 2^31.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_PAIRPRODUCT_H
#define EFFATTN_DIALECT_EFFATTN_IR_PAIRPRODUCT_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// Returns x (i8 [R, K]) packed as i16 pairs in panels of `panel` rows: i32
/// [paddedRows / panel, ⌈K/2⌉, panel], zero past R and K. `paddedRows` (a
/// multiple of `panel`, at least R) is an index value.
Value buildPairPanels(OpBuilder &b, Location loc, Value x, int64_t panel,
                      Value paddedRows);

/// Returns the i32 products lhs · rhsᵀ of the output tile at `offsets` (row,
/// column) of `sizes` from panels of buildPairPanels (lhs in panels of
/// `config.getMr()` rows, rhs of `config.getNr()`), in a [rowTile,
/// columnTile] tensor whose leading `sizes` corner holds them. The row
/// offset and rowTile must be multiples of MR, the column offset and
/// columnTile of NR; the panels must cover offset + tile rows (columns).
Value buildPairProductTile(OpBuilder &b, Location loc, Value lhsPanels,
                           Value rhsPanels, ArrayRef<OpFoldResult> offsets,
                           ArrayRef<OpFoldResult> sizes, int64_t rowTile,
                           int64_t columnTile, PairGemmConfigAttr config);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_PAIRPRODUCT_H
