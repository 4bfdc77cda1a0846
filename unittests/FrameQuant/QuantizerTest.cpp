//===- QuantizerTest.cpp - FrameQuant's quantizer and packing ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The packed layout (exact round trip, the field of each column) and the
// quantizer's shapes, ranges and reconstruction error.
//
//===----------------------------------------------------------------------===//

#include "effattn/FrameQuant/Quantizer.h"

#include "effattn/FrameQuant/Frames.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>

using namespace mlir::effattn;

namespace {
TEST(QuantizerTest, PackedShapes) {
  EXPECT_EQ(getCodesPerWord(2), 16);
  EXPECT_EQ(getCodesPerWord(3), 10);
  EXPECT_EQ(getPackedWords(4096, 2), 256);
  EXPECT_EQ(getPackedWords(4608, 2), 288);
  EXPECT_EQ(getPackedWords(72, 3), 8); // ceil(72 / 10)
  EXPECT_EQ(getPackedRowGroups(4096), 256);
  EXPECT_EQ(getPackedRowGroups(54), 4); // ceil(54 / 16)
  EXPECT_EQ(getFrameSubspaces(1.0), 8);
  EXPECT_EQ(getFrameSubspaces(1.1), 9);
  EXPECT_EQ(getFrameDim(64, 1.1), 72);
}

TEST(QuantizerTest, PackingRoundTripsExactly) {
  std::mt19937 generator(3);
  for (int64_t bits : {2, 3, 4, 8}) {
    for (int64_t cols : {16, 72, 200, 4608}) {
      const int64_t rows = 19;
      llvm::SmallVector<uint8_t> codes(rows * cols);
      for (uint8_t &code : codes)
        code = generator() % (1u << bits);
      llvm::SmallVector<int32_t> words =
          packFrameCodes(codes, rows, cols, bits);
      int64_t perRow = getPackedWords(cols, bits);
      ASSERT_EQ(static_cast<int64_t>(words.size()), 2 * perRow * 16);
      EXPECT_EQ(unpackFrameCodes(words, rows, cols, bits), codes)
          << bits << " bits, " << cols << " columns";
      // Row 18, column c: lane 2 of word (1, c / n), field c % n.
      int64_t c = cols - 1, n = 32 / bits;
      uint32_t word = static_cast<uint32_t>(words[(perRow + c / n) * 16 + 2]);
      EXPECT_EQ((word >> ((c % n) * bits)) & ((1u << bits) - 1),
                codes[18 * cols + c]);
      // The padding rows hold 0.
      EXPECT_EQ(words[(perRow + c / n) * 16 + 15], 0);
    }
  }
}

/// Relative Frobenius error of the reconstruction T_outᵀ·(scale·(q −
/// zero))·T_in of `weights` [out, in].
double reconstructionError(llvm::ArrayRef<float> weights, int64_t out,
                           int64_t in, const FrameQuantConfig &config) {
  FrameQuantizedWeights q = quantizeFrameWeights(weights, out, in, config);
  llvm::SmallVector<double> dequantized(q.rows * q.cols);
  for (int64_t r = 0; r < q.rows; ++r)
    for (int64_t c = 0; c < q.cols; ++c)
      dequantized[r * q.cols + c] =
          q.scale[r] * (q.codes[r * q.cols + c] - q.zero[r]);
  FrameBlocks blocksIn = buildFrameBlocks(in, config.redundancy, false);
  llvm::SmallVector<double> w =
      applyFrameTranspose(dequantized, q.rows, in, config.seedIn, &blocksIn);
  if (config.seedOut) {
    FrameBlocks blocksOut = buildFrameBlocks(out, config.redundancy, false);
    llvm::SmallVector<double> columns(in * q.rows);
    for (int64_t r = 0; r < q.rows; ++r)
      for (int64_t c = 0; c < in; ++c)
        columns[c * q.rows + r] = w[r * in + c];
    llvm::SmallVector<double> back =
        applyFrameTranspose(columns, in, out, *config.seedOut, &blocksOut);
    for (int64_t c = 0; c < in; ++c)
      for (int64_t r = 0; r < out; ++r)
        w[r * in + c] = back[c * out + r];
    w.resize(out * in);
  }
  double error = 0, norm = 0;
  for (int64_t i = 0; i < out * in; ++i) {
    error += (w[i] - weights[i]) * (w[i] - weights[i]);
    norm += double(weights[i]) * weights[i];
  }
  return std::sqrt(error / norm);
}

TEST(QuantizerTest, QuantizesInTheFrameDomain) {
  const int64_t out = 48, in = 64;
  std::mt19937 generator(5);
  std::normal_distribution<float> normal;
  llvm::SmallVector<float> weights(out * in);
  for (float &w : weights)
    w = normal(generator);
  FrameQuantConfig config;
  config.seedIn = 11;
  config.seedOut = 12;
  config.redundancy = 1.1;
  FrameQuantizedWeights q = quantizeFrameWeights(weights, out, in, config);
  EXPECT_EQ(q.rows, 54); // 2·9·48/16
  EXPECT_EQ(q.cols, 72);
  for (uint8_t code : q.codes)
    EXPECT_LE(code, 3);
  for (float scale : q.scale)
    EXPECT_GT(scale, 0.0f);
  // More bits, less error, down to what the ±2·std clipping of a Gaussian
  // row leaves (~0.09 at 8 bits).
  double previous = 1.0;
  for (int64_t bits : {2, 3, 4, 8}) {
    config.bits = bits;
    double error = reconstructionError(weights, out, in, config);
    EXPECT_LT(error, previous) << bits;
    previous = error;
  }
  EXPECT_LT(previous, 0.12);
  config.bits = 2;
  config.seedOut.reset();
  EXPECT_EQ(quantizeFrameWeights(weights, out, in, config).rows, out);
  EXPECT_LT(reconstructionError(weights, out, in, config), 0.6);
}
} // namespace
