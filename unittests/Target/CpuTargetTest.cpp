//===- CpuTargetTest.cpp - CPU target descriptions --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/CpuTarget.h"

#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <thread>

using namespace mlir;
using namespace mlir::effattn;

namespace {
class CpuTargetTest : public ::testing::Test {
protected:
  CpuTargetTest() { context.loadDialect<EffAttnDialect>(); }
  MLIRContext context;
};

TEST_F(CpuTargetTest, PresetsDeriveWidthAndRegistersFromFeatures) {
  CpuTargetAttr v3 = lookupCpuTarget(&context, "x86-64-v3");
  ASSERT_TRUE(v3);
  EXPECT_TRUE(v3.hasFeature("avx2"));
  EXPECT_TRUE(v3.hasFeature("fma"));
  EXPECT_FALSE(v3.hasFeature("avx512f"));
  EXPECT_EQ(v3.getVectorBits(), 256);
  EXPECT_EQ(v3.getVectorRegisters(), 16);

  CpuTargetAttr zen4 = lookupCpuTarget(&context, "znver4");
  ASSERT_TRUE(zen4);
  EXPECT_TRUE(zen4.hasFeature("avx512vnni"));
  EXPECT_EQ(zen4.getVectorBits(), 512);
  EXPECT_EQ(zen4.getVectorRegisters(), 32);
  EXPECT_GT(zen4.getL2Bytes(), zen4.getL1Bytes());

  for (StringRef name : getCpuPresetNames())
    EXPECT_TRUE(lookupCpuTarget(&context, name)) << name.str();
  EXPECT_FALSE(lookupCpuTarget(&context, "pentium"));
}

TEST_F(CpuTargetTest, HostDescribesThisMachine) {
  CpuTargetAttr host = lookupCpuTarget(&context, "host");
  ASSERT_TRUE(host);
  EXPECT_FALSE(host.getCpu().empty());
  EXPECT_GT(host.getL1Bytes(), 0);
  EXPECT_GE(host.getL2Bytes(), host.getL1Bytes());
  unsigned threads = std::thread::hardware_concurrency();
  if (threads)
    EXPECT_EQ(host.getCores(), static_cast<int64_t>(threads));
  // The width follows the features.
  if (host.hasFeature("avx512f"))
    EXPECT_EQ(host.getVectorBits(), 512);
  else if (host.hasFeature("avx"))
    EXPECT_EQ(host.getVectorBits(), 256);
  else
    EXPECT_EQ(host.getVectorBits(), 128);
#if defined(__x86_64__)
  EXPECT_TRUE(host.hasFeature("sse4.2") || host.getVectorBits() == 128);
#endif
}
} // namespace
