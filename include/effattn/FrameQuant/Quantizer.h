//===- Quantizer.h - FrameQuant's round-to-nearest and packing --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// FrameQuant's weight quantizer (algorithms §7.1, round-to-nearest instead
// of GPTQ) and the packed layout that effattn.frame_linear reads:
//
//   W_t = T_out · W · T_inᵀ        (T_in only when there is no output seed)
//   per row: scale = x_sigma·std/(maxq/2), zero = round((1 - mean/(2·std))
//            · maxq/2), q = clamp(round(clip(w, mean ± 2·std)/scale) + zero,
//            0, maxq), maxq = 2^bits - 1, std unbiased.
//
// Packed codes, [ceil(rows/16), words, 16] 32-bit words: word (g, w, l) holds
// the codes of row 16·g + l, columns w·n .. w·n + n - 1 (n = 32/bits codes
// per word, words = ceil(cols/n)), column w·n + i at bits [i·bits,
// (i+1)·bits). A vector of the 16 words of (g, w) holds the codes of 16 rows
// for the same columns: one field is one column for 16 rows, and at 2 bits
// one 4-bit field pair indexes a 16-entry table. Rows past `rows` and
// columns past `cols` hold 0.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_FRAMEQUANT_QUANTIZER_H
#define EFFATTN_FRAMEQUANT_QUANTIZER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <optional>

namespace mlir {
namespace effattn {
/// Rows per group of packed words (the lanes of one 512-bit vector).
inline constexpr int64_t kPackedRowGroup = 16;

/// The parameters frame_quantize and frame_linear share.
struct FrameQuantConfig {
  int64_t bits = 2;
  double redundancy = 1.0;
  uint32_t seedIn = 0;
  /// No output-side transform when absent (the one-sided form).
  std::optional<uint32_t> seedOut;
  double xSigma = 2.0;
};

/// Returns k = round(8 · redundancy), the frame's subspaces per 16 columns.
int64_t getFrameSubspaces(double redundancy);
/// Returns the frame dimension 2k · dim/16 of a dimension (a multiple of 16).
int64_t getFrameDim(int64_t dim, double redundancy);
/// Returns the codes one 32-bit word holds: 32 / bits.
int64_t getCodesPerWord(int64_t bits);
/// Returns the words of a packed row of `cols` codes: ceil(cols / (32/bits)).
int64_t getPackedWords(int64_t cols, int64_t bits);
/// Returns the row groups of `rows` packed rows: ceil(rows / 16).
int64_t getPackedRowGroups(int64_t rows);

/// Quantized weights in the frame domain.
struct FrameQuantizedWeights {
  int64_t rows = 0, cols = 0;
  /// [rows, cols] codes in [0, 2^bits).
  llvm::SmallVector<uint8_t> codes;
  /// [rows] per-row scale and zero point.
  llvm::SmallVector<float> scale, zero;
};

/// Quantizes `weights` [out, in] (row-major). `out` and `in` must be
/// multiples of 16 (only `in` without an output seed).
FrameQuantizedWeights quantizeFrameWeights(llvm::ArrayRef<float> weights,
                                           int64_t out, int64_t in,
                                           const FrameQuantConfig &config);

/// Packs [rows, cols] codes of `bits` bits into [getPackedRowGroups(rows),
/// getPackedWords(cols, bits), 16] words.
llvm::SmallVector<int32_t> packFrameCodes(llvm::ArrayRef<uint8_t> codes,
                                          int64_t rows, int64_t cols,
                                          int64_t bits);
/// Unpacks what packFrameCodes returned back to [rows, cols] codes.
llvm::SmallVector<uint8_t> unpackFrameCodes(llvm::ArrayRef<int32_t> words,
                                            int64_t rows, int64_t cols,
                                            int64_t bits);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_FRAMEQUANT_QUANTIZER_H
