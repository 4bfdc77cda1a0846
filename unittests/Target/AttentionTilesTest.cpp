//===- AttentionTilesTest.cpp - tiles of flash attention --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The flash-attention config follows the vector width and registers of the
// target and its L1 size, and spreads the value columns evenly.
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/AttentionTiles.h"
#include "effattn/Target/CpuTarget.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
class AttentionTilesTest : public ::testing::Test {
protected:
  AttentionTilesTest() { context.loadDialect<EffAttnDialect>(); }
  MLIRContext context;
};

TEST_F(AttentionTilesTest, Avx2KeepsTheTilesInSixteenRegisters) {
  // 8 lanes: 16 queries; (16 - 3) / 2 = 6 keys; 16 KiB / 64 B = 256 keys,
  // rounded down to 252; E = 64 over (16 - 4) / 2 = 6 columns: 11 tiles of
  // 6 columns.
  FlashConfigAttr config =
      chooseFlashConfig(&context, lookupCpuTarget(&context, "x86-64-v3"), 64);
  EXPECT_EQ(config.getVectorWidth(), 8);
  EXPECT_EQ(config.getQueryTile(), 16);
  EXPECT_EQ(config.getKeyRegisterTile(), 6);
  EXPECT_EQ(config.getKeyBlock(), 252);
  EXPECT_EQ(config.getValueRegisterTile(), 6);
  // Registers used by the score tile: accumulators, queries, broadcast.
  EXPECT_LE(2 * config.getKeyRegisterTile() + 2 + 1, 16);
}

TEST_F(AttentionTilesTest, Avx512UsesWiderVectorsAndTwiceTheRegisters) {
  // 16 lanes: 32 queries; (32 - 3) / 2 = 14 keys; 16 KiB / 128 B = 128 keys
  // → 126; E = 64 over at most 14 columns: 5 tiles of 13.
  FlashConfigAttr config =
      chooseFlashConfig(&context, lookupCpuTarget(&context, "x86-64-v4"), 64);
  EXPECT_EQ(config.getVectorWidth(), 16);
  EXPECT_EQ(config.getQueryTile(), 32);
  EXPECT_EQ(config.getKeyRegisterTile(), 14);
  EXPECT_EQ(config.getKeyBlock(), 126);
  EXPECT_EQ(config.getValueRegisterTile(), 13);
}

TEST_F(AttentionTilesTest, ValueTilesSpreadEvenlyOrTakeTheBudget) {
  auto v4 = lookupCpuTarget(&context, "x86-64-v4");
  // E = 28: two tiles of 14; E = 30: three tiles of 10; E = 5: one tile.
  EXPECT_EQ(chooseFlashConfig(&context, v4, 28).getValueRegisterTile(), 14);
  EXPECT_EQ(chooseFlashConfig(&context, v4, 30).getValueRegisterTile(), 10);
  EXPECT_EQ(chooseFlashConfig(&context, v4, 5).getValueRegisterTile(), 5);
  EXPECT_EQ(chooseFlashConfig(&context, v4, ShapedType::kDynamic)
                .getValueRegisterTile(),
            14);
}

TEST_F(AttentionTilesTest, NoTargetMeansAvx2Registers) {
  FlashConfigAttr config = chooseFlashConfig(&context, CpuTargetAttr(), 64);
  EXPECT_EQ(config.getVectorWidth(), 8);
  EXPECT_EQ(config.getKeyRegisterTile(), 6);
}

TEST_F(AttentionTilesTest, ConfigsPassTheirVerifier) {
  for (const char *name : {"x86-64-v3", "x86-64-v4", "znver4"}) {
    FlashConfigAttr config =
        chooseFlashConfig(&context, lookupCpuTarget(&context, name), 64);
    auto emitError = [&] { return mlir::emitError(UnknownLoc::get(&context)); };
    EXPECT_TRUE(succeeded(FlashConfigAttr::verify(
        emitError, config.getVectorWidth(), config.getQueryTile(),
        config.getKeyBlock(), config.getKeyRegisterTile(),
        config.getValueRegisterTile())))
        << name;
  }
}
} // namespace
