//===- PackedProductConfigTest.cpp - frame_linear's tile model --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The kernel and register tile of FrameQuant's packed product follow the
// target: the table kernel only for 2-bit codes with AVX-512, accumulators
// within half the vector registers, enough partial sums to hide latency.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/FramePackedProduct.h"
#include "effattn/Target/CpuTarget.h"

#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
class PackedProductConfigTest : public ::testing::Test {
protected:
  PackedProductConfigTest() { context.loadDialect<EffAttnDialect>(); }
  MLIRContext context;
};

TEST_F(PackedProductConfigTest, Avx512UsesTablesAndWideTiles) {
  CpuTargetAttr zen4 = lookupCpuTarget(&context, "znver4");
  PackedProductConfig batched =
      choosePackedProductConfig(zen4, 256, /*bits=*/2, /*singleBatch=*/false);
  EXPECT_TRUE(batched.tableLookup);
  EXPECT_EQ(batched.rowGroups, 2);
  EXPECT_EQ(batched.batch, 8); // 2 × 8 accumulators of 32 registers
  EXPECT_EQ(batched.chains, 1);
  PackedProductConfig single =
      choosePackedProductConfig(zen4, 256, 2, /*singleBatch=*/true);
  EXPECT_EQ(single.batch, 1);
  EXPECT_EQ(single.chains, 4); // 8 additions in flight over 2 row groups
  // 3-bit codes have no 4-bit field pairs: the field kernel; an odd number
  // of row groups: one per tile.
  PackedProductConfig threeBits = choosePackedProductConfig(zen4, 9, 3, false);
  EXPECT_FALSE(threeBits.tableLookup);
  EXPECT_EQ(threeBits.rowGroups, 1);
  EXPECT_EQ(threeBits.batch, 8);
}

TEST_F(PackedProductConfigTest, Avx2UsesFieldsAndNarrowTiles) {
  // 16 256-bit registers hold 8 vectors of 16 f32.
  CpuTargetAttr v3 = lookupCpuTarget(&context, "x86-64-v3");
  for (CpuTargetAttr target : {v3, CpuTargetAttr()}) {
    PackedProductConfig batched =
        choosePackedProductConfig(target, 256, 2, false);
    EXPECT_FALSE(batched.tableLookup);
    EXPECT_EQ(batched.rowGroups, 1);
    EXPECT_EQ(batched.batch, 4);
    EXPECT_EQ(batched.chains, 1);
    PackedProductConfig single =
        choosePackedProductConfig(target, 256, 2, true);
    EXPECT_EQ(single.batch, 1);
    EXPECT_EQ(single.chains, 4);
  }
}
} // namespace
