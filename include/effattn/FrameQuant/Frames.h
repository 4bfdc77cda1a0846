//===- Frames.h - FrameQuant's seeded fusion-frame transforms ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The transforms FrameQuant quantizes in (algorithms §7.2-7.3), rebuilt from
// a seed and a redundancy instead of stored: T = P · H · diag(s) along a
// dimension d, with
//
// - s: ±1 signs drawn from MT19937 seeded with `seed` (one 32-bit draw per
//   entry, its low bit), over a chunk of p = hadamardChunk(d) entries;
// - H: the orthonormal Walsh-Hadamard transform on each chunk of p entries;
// - P: block-diagonal over groups of 16 coordinates; block u is the real
//   [2k, 16] form of a modulated spectral-tetris tight frame,
//   k = round(8 · redundancy): a Parseval frame (PᵀP = I), orthogonal for
//   redundancy 1. The output is coefficient-major: coefficient c of group u
//   lands at c · (d/16) + u.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_FRAMEQUANT_FRAMES_H
#define EFFATTN_FRAMEQUANT_FRAMES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir {
namespace effattn {
/// Returns d if it is a power of two, else its largest power-of-two divisor.
int64_t getHadamardChunk(int64_t d);

/// Returns p signs ±1: the low bit of each 32-bit MT19937 draw seeded with
/// `seed` (torch's CPU generator and numpy's legacy RandomState agree).
llvm::SmallVector<int8_t> buildSignDiagonal(uint32_t seed, int64_t p);

/// The frame blocks P of a dimension.
struct FrameBlocks {
  /// The dimension d (a multiple of 16) and k = round(8 · redundancy).
  int64_t dim = 0, k = 0;
  /// [d/16][2k][16], row-major.
  llvm::SmallVector<double> values;

  int64_t getNumGroups() const { return dim / 16; }
  /// Returns the frame dimension 2k · d/16.
  int64_t getFrameDim() const { return 2 * k * getNumGroups(); }
  double at(int64_t group, int64_t row, int64_t col) const {
    return values[(group * 2 * k + row) * 16 + col];
  }
};

/// Builds the blocks for dimension `dim` (a multiple of 16) and `redundancy`
/// (> 0). `float32Angles` rounds the modulation angles to float32 as the
/// authors' code does (PᵀP then deviates from I by up to ~2e-6); without it
/// the blocks are Parseval to double rounding.
FrameBlocks buildFrameBlocks(int64_t dim, double redundancy,
                             bool float32Angles = true);

/// Applies T = P·H·diag(s) (P omitted when `blocks` is null) to each row of
/// `rows` [numRows, dim]: returns [numRows, frame dim] (or [numRows, dim]).
llvm::SmallVector<double> applyFrame(llvm::ArrayRef<double> rows,
                                     int64_t numRows, int64_t dim,
                                     uint32_t seed, const FrameBlocks *blocks);

/// Applies Tᵀ (the inverse when P is Parseval) to each row of `rows`
/// [numRows, frame dim]: returns [numRows, dim].
llvm::SmallVector<double> applyFrameTranspose(llvm::ArrayRef<double> rows,
                                              int64_t numRows, int64_t dim,
                                              uint32_t seed,
                                              const FrameBlocks *blocks);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_FRAMEQUANT_FRAMES_H
