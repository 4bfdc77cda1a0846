//===- GemmTiles.h - Analytic tile sizes of f32 GEMMs -----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The BLIS-style blocking of C[M, N] += A[M, K] · B[K, N] in f32 that
// effattn-schedule-matmuls applies (../shared/reference/cpu-gemm-recipe.md):
// threads split M; cache tiles MC × NC × KC in the loop order jc, pc, ic;
// register tiles MR × NR with the K loop innermost.
//
// - NR: two vectors of f32 lanes; MR: as many rows as keep MR·2 accumulators
//   + 2 B vectors + 1 broadcast within the vector registers (6 × 16 on AVX2),
//   at most 8;
// - KC: as deep as lets an A block of 128 rows fill half the L2, at most
//   1024: the C micro-tile is loaded and stored (from memory: its rows are N
//   floats apart) once per KC steps, which bounds the kernel at small KC,
//   while the B micro-panel streams from L2 fast enough (NR / lanes loads per
//   MR FMAs) that it need not fit in L1. Measured on Zen 4 (1 MiB L2,
//   2 threads, 1024³ and 2048³): KC 128 0.76-0.91x OpenBLAS, 256 0.90-0.95x,
//   512-1024 0.95-1.06x;
// - MC: the A block (MC × KC) at most 128 rows and half the L2;
// - NC: up to 1024 columns.
// Every cache tile must divide its dimension (partial tiles do not vectorize
// without masks); MR need not divide MC (the last register tile is peeled).
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_TARGET_GEMMTILES_H
#define EFFATTN_TARGET_GEMMTILES_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include <optional>
#include <utility>

namespace mlir {
namespace effattn {
/// Tile sizes of one f32 GEMM.
struct GemmTiles {
  int64_t threads, mc, nc, kc, mr, nr;
};

/// Returns the tiles of an M × N × K f32 GEMM on `target` (null: 16 256-bit
/// registers, 1 MiB L2, 2 cores), or nothing when no cache tile
/// divides its dimension.
std::optional<GemmTiles> chooseGemmTiles(CpuTargetAttr target, int64_t m,
                                         int64_t n, int64_t k);

/// Returns the register tile (MR rows, NR columns) of 32-bit sums on
/// `target`: NR two vectors, MR as many rows as keep MR·2 accumulators + 2
/// B vectors + 1 broadcast within the vector registers, at most 8.
std::pair<int64_t, int64_t> chooseRegisterTile(CpuTargetAttr target);

/// Returns the kernel config of effattn.unpacked_matmul's i8 GEMMs on
/// `target`: the register tile of chooseRegisterTile over i32 lanes.
PairGemmConfigAttr choosePairGemmConfig(MLIRContext *context,
                                        CpuTargetAttr target);

/// Returns `tiles` as the attribute that records them on a matmul.
GemmConfigAttr getGemmConfig(MLIRContext *context, const GemmTiles &tiles);

/// Returns the tiles of `config` if its cache tiles divide their dimensions
/// of an M × N × K GEMM (`mc` the rows of a thread), else nothing.
std::optional<GemmTiles> getGemmTiles(GemmConfigAttr config, int64_t m,
                                      int64_t n, int64_t k);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_TARGET_GEMMTILES_H
