//===- FramesTest.cpp - FrameQuant's seeded frames --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The frame construction against the authors' sign rule, and its algebra:
// Parseval blocks (PᵀP = I), an exact inverse, an orthonormal Hadamard part.
//
//===----------------------------------------------------------------------===//

#include "effattn/FrameQuant/Frames.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <tuple>

using namespace mlir::effattn;

namespace {
TEST(FramesTest, SignDiagonalFollowsTheAuthorsGenerator) {
  // The first 16 signs of ../shared/vectors/framequant_d64_r1.0.npz
  // (seed 11234), from torch's CPU generator in the authors' code.
  const int8_t authors[] = {1,  1, -1, 1, 1,  -1, -1, 1,
                            -1, 1, -1, 1, -1, 1,  1,  1};
  llvm::SmallVector<int8_t> signs = buildSignDiagonal(11234, 64);
  ASSERT_EQ(signs.size(), 64u);
  for (int i = 0; i < 16; ++i)
    EXPECT_EQ(signs[i], authors[i]) << i;
  // The rule itself: the low bit of each MT19937 draw.
  std::mt19937 generator(7);
  for (int8_t sign : buildSignDiagonal(7, 100))
    EXPECT_EQ(sign, (generator() & 1) ? 1 : -1);
  EXPECT_NE(buildSignDiagonal(1, 64), buildSignDiagonal(2, 64));
}

TEST(FramesTest, HadamardChunkIsTheLargestPowerOfTwoDivisor) {
  EXPECT_EQ(getHadamardChunk(4096), 4096);
  EXPECT_EQ(getHadamardChunk(11008), 256);
  EXPECT_EQ(getHadamardChunk(96), 32);
  EXPECT_EQ(getHadamardChunk(48), 16);
}

/// Max |PᵀP - I| over the blocks.
double parsevalError(const FrameBlocks &blocks) {
  double worst = 0;
  for (int64_t u = 0; u < blocks.getNumGroups(); ++u)
    for (int64_t i = 0; i < 16; ++i)
      for (int64_t j = 0; j < 16; ++j) {
        double sum = 0;
        for (int64_t c = 0; c < 2 * blocks.k; ++c)
          sum += blocks.at(u, c, i) * blocks.at(u, c, j);
        worst = std::max(worst, std::abs(sum - (i == j ? 1.0 : 0.0)));
      }
  return worst;
}

class FrameShapes
    : public ::testing::TestWithParam<std::tuple<int64_t, double, int64_t>> {};

TEST_P(FrameShapes, BlocksAreParsevalAndTheTransposeInverts) {
  auto [dim, redundancy, k] = GetParam();
  FrameBlocks exact =
      buildFrameBlocks(dim, redundancy, /*float32Angles=*/false);
  ASSERT_EQ(exact.k, k);
  ASSERT_EQ(exact.getFrameDim(), 2 * k * dim / 16);
  EXPECT_LT(parsevalError(exact), 1e-12);
  // The authors' float32 angles: Parseval to ~2e-6 at small d, but the
  // rounding grows with the column index (1.7e-4 at d = 4096).
  double authors = parsevalError(buildFrameBlocks(dim, redundancy));
  if (dim <= 96)
    EXPECT_LT(authors, 1e-5);
  else
    EXPECT_GT(authors, 1e-5);

  std::mt19937 generator(static_cast<uint32_t>(dim + k));
  std::normal_distribution<double> normal;
  const int64_t rows = 5;
  llvm::SmallVector<double> x(rows * dim);
  for (double &v : x)
    v = normal(generator);
  const FrameBlocks *variants[] = {&exact, nullptr};
  for (const FrameBlocks *blocks : variants) {
    llvm::SmallVector<double> y = applyFrame(x, rows, dim, 1234, blocks);
    ASSERT_EQ(static_cast<int64_t>(y.size()),
              rows * (blocks ? blocks->getFrameDim() : dim));
    // Energy is kept (Parseval frame after an orthonormal transform).
    double inNorm = 0, outNorm = 0;
    for (double v : x)
      inNorm += v * v;
    for (double v : y)
      outNorm += v * v;
    EXPECT_NEAR(outNorm, inNorm, 1e-9 * inNorm);
    llvm::SmallVector<double> back =
        applyFrameTranspose(y, rows, dim, 1234, blocks);
    for (int64_t i = 0; i < rows * dim; ++i)
      ASSERT_NEAR(back[i], x[i], 1e-9) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Dimensions, FrameShapes,
                         ::testing::Values(std::make_tuple(64, 1.0, 8),
                                           std::make_tuple(96, 1.0, 8),
                                           std::make_tuple(64, 1.1, 9),
                                           std::make_tuple(96, 1.1, 9),
                                           std::make_tuple(4096, 1.0, 8),
                                           std::make_tuple(48, 1.5, 12)));
} // namespace
