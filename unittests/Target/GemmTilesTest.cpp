//===- GemmTilesTest.cpp - analytic tile sizes of f32 GEMMs -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The register tile follows the vector registers and width, the cache tiles
// the cache sizes, and every cache tile divides its dimension.
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/GemmTiles.h"
#include "effattn/Target/CpuTarget.h"

#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
class GemmTilesTest : public ::testing::Test {
protected:
  GemmTilesTest() { context.loadDialect<EffAttnDialect>(); }
  MLIRContext context;
};

TEST_F(GemmTilesTest, Avx2GetsTheRecipesSixBySixteenKernel) {
  // 16 256-bit registers: 6 × 16 (12 accumulators + 2 B + 1 broadcast);
  // a 256 KiB L2: KC = 128 KiB / (128 rows · 4 B) = 256; MC = 128;
  // NC = 1024; 2 threads.
  std::optional<GemmTiles> tiles =
      chooseGemmTiles(lookupCpuTarget(&context, "x86-64-v3"), 1024, 1024, 1024);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(tiles->mr, 6);
  EXPECT_EQ(tiles->nr, 16);
  EXPECT_EQ(tiles->kc, 256);
  EXPECT_EQ(tiles->mc, 128);
  EXPECT_EQ(tiles->nc, 1024);
  EXPECT_EQ(tiles->threads, 2);
  // No target: the same AVX2 defaults.
  std::optional<GemmTiles> fallback =
      chooseGemmTiles(CpuTargetAttr(), 1024, 1024, 1024);
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->mr, 6);
}

TEST_F(GemmTilesTest, Avx512WidensTheKernel) {
  std::optional<GemmTiles> tiles =
      chooseGemmTiles(lookupCpuTarget(&context, "znver4"), 2048, 2048, 2048);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(tiles->nr, 32);
  EXPECT_EQ(tiles->mr, 8); // (32 - 3) / 2 = 14, at most 8
  EXPECT_EQ(tiles->kc, 1024);
  EXPECT_EQ(tiles->mc, 128);
}

TEST_F(GemmTilesTest, PairKernelTakesTheRegisterTileOverI32Lanes) {
  PairGemmConfigAttr v3 =
      choosePairGemmConfig(&context, lookupCpuTarget(&context, "x86-64-v3"));
  EXPECT_EQ(v3.getVectorWidth(), 8);
  EXPECT_EQ(v3.getMr(), 6);
  EXPECT_EQ(v3.getNr(), 16);
  PairGemmConfigAttr v4 =
      choosePairGemmConfig(&context, lookupCpuTarget(&context, "x86-64-v4"));
  EXPECT_EQ(v4.getVectorWidth(), 16);
  EXPECT_EQ(v4.getMr(), 8);
  EXPECT_EQ(v4.getNr(), 32);
}

TEST_F(GemmTilesTest, KcAndMcFollowTheL2) {
  // x86-64-v3 with a 1 MiB L2 instead of 256 KiB: KC = 512 KiB / (128 rows
  // · 4 B) = 1024, MC = 128; a 4 MiB L2 keeps KC at its cap of 1024.
  CpuTargetAttr v3 = lookupCpuTarget(&context, "x86-64-v3");
  auto withL2 = [&](int64_t bytes) {
    return CpuTargetAttr::get(&context, v3.getCpu(), v3.getFeatures(),
                              v3.getVectorBits(), v3.getVectorRegisters(),
                              v3.getL1Bytes(), bytes, v3.getL3Bytes(),
                              v3.getCores());
  };
  CpuTargetAttr large = withL2(1 << 20);
  std::optional<GemmTiles> tiles = chooseGemmTiles(large, 1024, 1024, 1024);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(tiles->kc, 1024);
  EXPECT_EQ(tiles->mc, 128);
  tiles = chooseGemmTiles(withL2(4 << 20), 4096, 4096, 4096);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(tiles->kc, 1024);
  // K = 192: the deepest power of two that divides it; MC grows to fill the
  // same half L2 up to 128 rows.
  tiles = chooseGemmTiles(large, 1024, 1024, 192);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(tiles->kc, 64);
  EXPECT_EQ(tiles->mc, 128);
}

TEST_F(GemmTilesTest, CacheTilesDivideTheirDimensions) {
  CpuTargetAttr v3 = lookupCpuTarget(&context, "x86-64-v3");
  std::optional<GemmTiles> tiles = chooseGemmTiles(v3, 192, 320, 96);
  ASSERT_TRUE(tiles);
  EXPECT_EQ(96 % tiles->kc, 0);
  EXPECT_EQ((192 / tiles->threads) % tiles->mc, 0);
  EXPECT_EQ(320 % tiles->nc, 0);
  EXPECT_EQ(tiles->nc % tiles->nr, 0);
  // N = 40 holds no multiple of 16 that divides it; K = 10 no tile >= 16.
  EXPECT_FALSE(chooseGemmTiles(v3, 64, 40, 64));
  EXPECT_FALSE(chooseGemmTiles(v3, 64, 64, 10));
  // Empty GEMMs are left alone.
  EXPECT_FALSE(chooseGemmTiles(v3, 0, 64, 64));
  EXPECT_FALSE(chooseGemmTiles(v3, 64, 0, 64));
}

TEST_F(GemmTilesTest, ConfigsRoundTripAndMustTileTheirGemm) {
  std::optional<GemmTiles> tiles =
      chooseGemmTiles(lookupCpuTarget(&context, "x86-64-v4"), 1024, 1024, 1024);
  ASSERT_TRUE(tiles);
  GemmConfigAttr config = getGemmConfig(&context, *tiles);
  std::optional<GemmTiles> back = getGemmTiles(config, 1024, 1024, 1024);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->threads, tiles->threads);
  EXPECT_EQ(back->mc, tiles->mc);
  EXPECT_EQ(back->nc, tiles->nc);
  EXPECT_EQ(back->kc, tiles->kc);
  EXPECT_EQ(back->mr, tiles->mr);
  EXPECT_EQ(back->nr, tiles->nr);
  // 2 threads × MC 128 must divide M; NC N; KC K.
  EXPECT_FALSE(getGemmTiles(config, 384, 1024, 1024));
  EXPECT_FALSE(getGemmTiles(config, 1024, 1536, 1024));
  EXPECT_FALSE(getGemmTiles(config, 1024, 1024, 1000));
}
} // namespace
