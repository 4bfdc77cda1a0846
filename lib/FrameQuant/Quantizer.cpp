//===- Quantizer.cpp - FrameQuant's quantizer and packing -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/FrameQuant/Quantizer.h"

#include "effattn/FrameQuant/Frames.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace mlir;
using namespace mlir::effattn;
using llvm::ArrayRef;
using llvm::SmallVector;

int64_t mlir::effattn::getFrameSubspaces(double redundancy) {
  return std::llround(8 * redundancy);
}

int64_t mlir::effattn::getFrameDim(int64_t dim, double redundancy) {
  return 2 * getFrameSubspaces(redundancy) * (dim / 16);
}

int64_t mlir::effattn::getCodesPerWord(int64_t bits) { return 32 / bits; }

int64_t mlir::effattn::getPackedWords(int64_t cols, int64_t bits) {
  return llvm::divideCeil(cols, getCodesPerWord(bits));
}

int64_t mlir::effattn::getPackedRowGroups(int64_t rows) {
  return llvm::divideCeil(rows, kPackedRowGroup);
}

/// Returns the index of the word holding (row, col) and the field's shift.
static std::pair<int64_t, int64_t> locateCode(int64_t row, int64_t col,
                                              int64_t words, int64_t bits) {
  int64_t perWord = getCodesPerWord(bits);
  int64_t group = row / kPackedRowGroup, lane = row % kPackedRowGroup;
  return {(group * words + col / perWord) * kPackedRowGroup + lane,
          (col % perWord) * bits};
}

/// Returns x [rows, cols] transposed.
static SmallVector<double> transpose(ArrayRef<double> x, int64_t rows,
                                     int64_t cols) {
  SmallVector<double> result(x.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      result[c * rows + r] = x[r * cols + c];
  return result;
}

/// Quantizes one row in float32, in the order of the authors' torch code
/// (the statistics are exact sums rounded once to float32).
static void quantizeRow(ArrayRef<float> row, int64_t bits, float xSigma,
                        uint8_t *codes, float &scale, float &zero) {
  double sum = 0;
  for (float v : row)
    sum += v;
  double mean64 = sum / row.size();
  double squares = 0;
  for (float v : row)
    squares += (v - mean64) * (v - mean64);
  float mean = static_cast<float>(mean64);
  float std = static_cast<float>(std::sqrt(squares / (row.size() - 1)));
  float half = static_cast<float>((std::pow(2.0, bits) - 1) / 2);
  float maxq = 2 * half;
  if (std == 0.0f) {
    // A constant row (the authors' formula divides by 0): stored exactly as
    // code 1 with zero 0 (code 0 with zero 1 when negative).
    scale = std::fabs(row[0]) > 0 ? std::fabs(row[0]) : 1.0f;
    zero = row[0] < 0 ? 1.0f : 0.0f;
    std::fill(codes, codes + row.size(), row[0] > 0 ? 1 : 0);
    return;
  }
  scale = xSigma * std / half;
  zero = std::nearbyint((1.0f - mean / (2.0f * std)) * half);
  float low = mean - 2.0f * std, high = mean + 2.0f * std;
  for (size_t c = 0; c < row.size(); ++c) {
    float clipped = std::min(std::max(row[c], low), high);
    float q = std::nearbyint(clipped / scale) + zero;
    codes[c] = static_cast<uint8_t>(std::min(std::max(q, 0.0f), maxq));
  }
}

FrameQuantizedWeights
mlir::effattn::quantizeFrameWeights(ArrayRef<float> weights, int64_t out,
                                    int64_t in,
                                    const FrameQuantConfig &config) {
  assert(static_cast<int64_t>(weights.size()) == out * in);
  SmallVector<double> w(weights.begin(), weights.end());
  FrameBlocks blocksIn =
      buildFrameBlocks(in, config.redundancy, /*float32Angles=*/false);
  FrameQuantizedWeights result;
  result.cols = blocksIn.getFrameDim();
  result.rows = out;
  // W · T_inᵀ, then T_out · (W · T_inᵀ) as the transform of its columns.
  SmallVector<double> transformed =
      applyFrame(w, out, in, config.seedIn, &blocksIn);
  if (config.seedOut) {
    FrameBlocks blocksOut =
        buildFrameBlocks(out, config.redundancy, /*float32Angles=*/false);
    result.rows = blocksOut.getFrameDim();
    SmallVector<double> columns =
        applyFrame(transpose(transformed, out, result.cols), result.cols, out,
                   *config.seedOut, &blocksOut);
    transformed = transpose(columns, result.cols, result.rows);
  }
  result.codes.resize(result.rows * result.cols);
  result.scale.resize(result.rows);
  result.zero.resize(result.rows);
  SmallVector<float> row(result.cols);
  for (int64_t r = 0; r < result.rows; ++r) {
    for (int64_t c = 0; c < result.cols; ++c)
      row[c] = static_cast<float>(transformed[r * result.cols + c]);
    quantizeRow(row, config.bits, static_cast<float>(config.xSigma),
                &result.codes[r * result.cols], result.scale[r],
                result.zero[r]);
  }
  return result;
}

SmallVector<int32_t> mlir::effattn::packFrameCodes(ArrayRef<uint8_t> codes,
                                                   int64_t rows, int64_t cols,
                                                   int64_t bits) {
  int64_t words = getPackedWords(cols, bits);
  SmallVector<int32_t> packed(
      getPackedRowGroups(rows) * words * kPackedRowGroup, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      auto [index, shift] = locateCode(r, c, words, bits);
      uint32_t field = uint32_t(codes[r * cols + c]) << shift;
      packed[index] =
          static_cast<int32_t>(static_cast<uint32_t>(packed[index]) | field);
    }
  return packed;
}

SmallVector<uint8_t> mlir::effattn::unpackFrameCodes(ArrayRef<int32_t> words,
                                                     int64_t rows, int64_t cols,
                                                     int64_t bits) {
  int64_t perRow = getPackedWords(cols, bits);
  uint32_t mask = (uint32_t(1) << bits) - 1;
  SmallVector<uint8_t> codes(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      auto [index, shift] = locateCode(r, c, perRow, bits);
      codes[r * cols + c] =
          (static_cast<uint32_t>(words[index]) >> shift) & mask;
    }
  return codes;
}
