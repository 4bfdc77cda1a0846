//===- GpuTargetTest.cpp - GPU targets and the attention tiles --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/GpuTarget.h"
#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
class GpuTargetTest : public ::testing::Test {
protected:
  /// sm_90 with other shared-memory and register limits.
  GpuTargetAttr withLimits(int64_t sharedPerSM, int64_t registersPerThread) {
    GpuTargetAttr sm90 = lookupGpuTarget(&context, "sm_90");
    return GpuTargetAttr::get(
        &context, sm90.getChip(), sm90.getFeatures(), sm90.getSmCount(),
        sm90.getWarpSize(), sm90.getMaxThreadsPerBlock(),
        std::min(sm90.getSharedMemoryPerBlock(), sharedPerSM), sharedPerSM,
        sm90.getRegistersPerSm(), registersPerThread, sm90.getMmaShapes());
  }

  Type f32() { return Builder(&context).getF32Type(); }
  Type f16() { return Builder(&context).getF16Type(); }
  Type bf16() { return Builder(&context).getBF16Type(); }

  MLIRContext context;
};

TEST_F(GpuTargetTest, PresetsHoldTheArchitectureLimits) {
  GpuTargetAttr sm80 = lookupGpuTarget(&context, "sm_80");
  GpuTargetAttr sm90 = lookupGpuTarget(&context, "cuda:sm_90");
  ASSERT_TRUE(sm80 && sm90);
  EXPECT_EQ(sm80.getChip(), "sm_80");
  EXPECT_EQ(sm90.getSmCount(), 132);
  EXPECT_EQ(sm90.getSharedMemoryPerBlock(), 227 * 1024);
  EXPECT_EQ(sm80.getSharedMemoryPerBlock(), 163 * 1024);
  EXPECT_TRUE(hasMmaShape(sm90, "f16:m16n8k16"));
  EXPECT_TRUE(hasMmaShape(sm80, "i8:m16n8k32"));
  EXPECT_TRUE(hasMmaShape(sm90, "tf32:m16n8k8"));
  EXPECT_FALSE(hasMmaShape(sm90, "f64:m8n8k4"));
  EXPECT_FALSE(lookupGpuTarget(&context, "sm_70"));
  EXPECT_FALSE(lookupGpuTarget(&context, "cuda:"));
}

TEST_F(GpuTargetTest, AttentionTilesKeepRegistersAndSharedMemoryInBudget) {
  GpuTargetAttr sm90 = lookupGpuTarget(&context, "sm_90");
  for (auto [d, e] : {std::pair<int64_t, int64_t>{16, 16},
                      {64, 64},
                      {128, 128},
                      {256, 64},
                      {6, 3},
                      {1024, 1024}}) {
    std::string reason;
    FailureOr<AttentionKernelConfig> config = chooseAttentionKernelConfig(
        sm90, d, e, f32(), reason, /*warpRows=*/0, /*f32OnTensorCores=*/false);
    if (d == 1024) {
      // 16 keys of 2048 f32 values exceed the 48 KiB a block may declare.
      EXPECT_TRUE(failed(config));
      EXPECT_NE(reason.find("shrink the key tile"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(succeeded(config)) << reason;
    EXPECT_EQ(d % (config->vectorWidth * config->groupSize), 0);
    EXPECT_EQ(e % (config->vectorWidth * config->groupSize), 0);
    EXPECT_LE(config->threadsPerBlock(), sm90.getMaxThreadsPerBlock());
    EXPECT_LE(config->sharedMemoryBytes, kStaticSharedMemoryLimit);
    EXPECT_LE(config->registersPerThread, sm90.getMaxRegistersPerThread());
    EXPECT_EQ(config->keysPerTile % config->keysPerChunk, 0);
  }
}

TEST_F(GpuTargetTest, AttentionTilesFollowTheTarget) {
  std::string reason;
  // D = E = 128: 4-wide vectors, 4 threads per row, 64 rows per block; the
  // key tile is as large as the shared memory allows.
  FailureOr<AttentionKernelConfig> large = chooseAttentionKernelConfig(
      lookupGpuTarget(&context, "sm_90"), 128, 128, f32(), reason,
      /*warpRows=*/0, /*f32OnTensorCores=*/false);
  ASSERT_TRUE(succeeded(large));
  EXPECT_EQ(large->vectorWidth, 4);
  EXPECT_EQ(large->groupSize, 4);
  EXPECT_EQ(large->rowsPerBlock, 64);
  EXPECT_EQ(large->keysPerTile, 32);

  FailureOr<AttentionKernelConfig> small = chooseAttentionKernelConfig(
      withLimits(40960, 255), 128, 128, f32(), reason, /*warpRows=*/0,
      /*f32OnTensorCores=*/false);
  ASSERT_TRUE(succeeded(small));
  EXPECT_EQ(small->keysPerTile, 16);

  // Odd head dimensions fall back to scalar columns and one thread per row.
  FailureOr<AttentionKernelConfig> odd = chooseAttentionKernelConfig(
      lookupGpuTarget(&context, "sm_80"), 6, 3, f32(), reason);
  ASSERT_TRUE(succeeded(odd));
  EXPECT_EQ(odd->vectorWidth, 1);
  EXPECT_EQ(odd->groupSize, 1);

  EXPECT_TRUE(failed(chooseAttentionKernelConfig(withLimits(233472, 64), 64, 64,
                                                 f32(), reason, /*warpRows=*/0,
                                                 /*f32OnTensorCores=*/false)));
  EXPECT_NE(reason.find("registers per thread"), std::string::npos);
}
TEST_F(GpuTargetTest, F16AttentionRunsOnTensorCoresWhenItFits) {
  std::string reason;
  GpuTargetAttr sm90 = lookupGpuTarget(&context, "sm_90");
  FailureOr<AttentionKernelConfig> mma =
      chooseAttentionKernelConfig(sm90, 128, 128, f16(), reason);
  ASSERT_TRUE(succeeded(mma));
  EXPECT_EQ(mma->kind, AttentionKernelKind::TensorCore);
  EXPECT_EQ(mma->rowsPerBlock, 64);
  EXPECT_EQ(mma->threadsPerBlock(), 128);
  EXPECT_EQ(mma->keysPerTile, 32);
  // Two stages of padded 32-key K and V tiles plus the mask flags, in
  // dynamic shared memory, within half an SM.
  EXPECT_EQ(mma->sharedMemoryBytes, 2 * 32 * (128 + 128 + 16) * 2 + 32 * 4);
  EXPECT_LE(mma->sharedMemoryBytes, sm90.getSharedMemoryPerSm() / 2);
  // Head sizes that are multiples of 16 but not 32: 64-key tiles, so that
  // the 16-byte copies divide evenly among the 128 threads.
  FailureOr<AttentionKernelConfig> uneven =
      chooseAttentionKernelConfig(sm90, 48, 16, f16(), reason);
  ASSERT_TRUE(succeeded(uneven));
  EXPECT_EQ(uneven->kind, AttentionKernelKind::TensorCore);
  EXPECT_EQ(uneven->keysPerTile, 64);

  // Head sizes that are not multiples of 16, a target without f16
  // mma.sync, or fragments that exceed the registers: the SIMT kernel.
  for (auto [d, e, type] :
       {std::tuple{72, 64, f16()}, {72, 64, f32()}, {320, 256, f16()}}) {
    FailureOr<AttentionKernelConfig> simt =
        chooseAttentionKernelConfig(sm90, d, e, type, reason);
    ASSERT_TRUE(succeeded(simt)) << reason;
    EXPECT_EQ(simt->kind, AttentionKernelKind::Simt);
  }
  GpuTargetAttr noMma = GpuTargetAttr::get(
      &context, sm90.getChip(), sm90.getFeatures(), sm90.getSmCount(),
      sm90.getWarpSize(), sm90.getMaxThreadsPerBlock(),
      sm90.getSharedMemoryPerBlock(), sm90.getSharedMemoryPerSm(),
      sm90.getRegistersPerSm(), sm90.getMaxRegistersPerThread(),
      Builder(&context).getStrArrayAttr({}));
  EXPECT_EQ(chooseAttentionKernelConfig(noMma, 64, 64, f16(), reason)->kind,
            AttentionKernelKind::Simt);
}

TEST_F(GpuTargetTest, TensorCoreAttentionTakes32RowsPerWarpWhenAsked) {
  std::string reason;
  GpuTargetAttr sm90 = lookupGpuTarget(&context, "sm_90");
  // D = E = 128: two row tiles' Q fragments (64 registers) would not fit
  // beside their scores and accumulators, so the block's queries are staged
  // in shared memory.
  FailureOr<AttentionKernelConfig> wide =
      chooseAttentionKernelConfig(sm90, 128, 128, f16(), reason, 32);
  ASSERT_TRUE(succeeded(wide)) << reason;
  EXPECT_EQ(wide->kind, AttentionKernelKind::TensorCore);
  EXPECT_EQ(wide->rowTilesPerWarp, 2);
  EXPECT_EQ(wide->rowsPerBlock, 128);
  EXPECT_EQ(wide->threadsPerBlock(), 128);
  EXPECT_TRUE(wide->queryInSharedMemory);
  EXPECT_LE(wide->registersPerThread, sm90.getMaxRegistersPerThread());
  EXPECT_EQ(wide->sharedMemoryBytes,
            2 * 32 * (128 + 128 + 16) * 2 + 32 * 4 + 128 * (128 + 8) * 2);
  // D = E = 64: the fragments fit; the default keeps 16 rows and registers.
  FailureOr<AttentionKernelConfig> narrow =
      chooseAttentionKernelConfig(sm90, 64, 64, bf16(), reason, 32);
  ASSERT_TRUE(succeeded(narrow)) << reason;
  EXPECT_EQ(narrow->rowTilesPerWarp, 2);
  EXPECT_FALSE(narrow->queryInSharedMemory);
  FailureOr<AttentionKernelConfig> byDefault =
      chooseAttentionKernelConfig(sm90, 128, 128, f16(), reason);
  EXPECT_EQ(byDefault->rowTilesPerWarp, 1);
  EXPECT_FALSE(byDefault->queryInSharedMemory);

  // 32 rows that do not fit are an error that says what to ask for, not a
  // silent switch of kernels; other counts are rejected.
  EXPECT_TRUE(
      failed(chooseAttentionKernelConfig(sm90, 320, 256, f16(), reason, 32)));
  // (Their shared memory halves the key tile first.)
  EXPECT_EQ(reason, "32 query rows per warp and tiles of 16 keys need about "
                    "304 registers per thread on tensor cores, more than the "
                    "target's 255; ask for 16");
  EXPECT_TRUE(
      failed(chooseAttentionKernelConfig(sm90, 64, 64, f16(), reason, 24)));
  EXPECT_EQ(
      reason,
      "the tensor-core kernel takes 16 or 32 query rows per warp, not 24");
  // f32 with f32-contractions=fma has no tensor-core kernel: the SIMT
  // kernel, whatever was asked.
  EXPECT_EQ(chooseAttentionKernelConfig(sm90, 64, 64, f32(), reason, 32,
                                        /*f32OnTensorCores=*/false)
                ->kind,
            AttentionKernelKind::Simt);
}

TEST_F(GpuTargetTest, F32AttentionRunsOnTensorCoresAs3xTf32) {
  std::string reason;
  // D = E = 128 on sm_90: 4 f32 per 16-byte copy, the block's queries in
  // shared memory (their fragments are split per k-step), K rows padded
  // by 4 f32 and V rows by 8 (lanes read V[t][g] one element at a time).
  GpuTargetAttr sm90 = lookupGpuTarget(&context, "sm_90");
  FailureOr<AttentionKernelConfig> mma =
      chooseAttentionKernelConfig(sm90, 128, 128, f32(), reason);
  ASSERT_TRUE(succeeded(mma)) << reason;
  EXPECT_EQ(mma->kind, AttentionKernelKind::TensorCore);
  EXPECT_EQ(mma->vectorWidth, 4);
  EXPECT_TRUE(mma->queryInSharedMemory);
  EXPECT_EQ(mma->keysPerTile, 32);
  EXPECT_EQ(mma->sharedMemoryBytes,
            2 * 32 * (132 + 136) * 4 + 32 * 4 + 64 * 132 * 4);
  // sm_80 has 164 KiB per SM: two such blocks do not fit, so the key tile
  // halves to 16 keys.
  FailureOr<AttentionKernelConfig> sm80 = chooseAttentionKernelConfig(
      lookupGpuTarget(&context, "sm_80"), 128, 128, f32(), reason);
  ASSERT_TRUE(succeeded(sm80)) << reason;
  EXPECT_EQ(sm80->kind, AttentionKernelKind::TensorCore);
  EXPECT_EQ(sm80->keysPerTile, 16);
  EXPECT_EQ(sm80->sharedMemoryBytes,
            2 * 16 * (132 + 136) * 4 + 16 * 4 + 64 * 132 * 4);
  // So do 32 query rows per warp on sm_90 (128 rows of Q in shared memory).
  FailureOr<AttentionKernelConfig> wide =
      chooseAttentionKernelConfig(sm90, 128, 128, f32(), reason, 32);
  ASSERT_TRUE(succeeded(wide)) << reason;
  EXPECT_EQ(wide->keysPerTile, 16);
  EXPECT_EQ(wide->sharedMemoryBytes,
            2 * 16 * (132 + 136) * 4 + 16 * 4 + 128 * 132 * 4);
  EXPECT_EQ(chooseAttentionKernelConfig(lookupGpuTarget(&context, "sm_80"), 64,
                                        64, f32(), reason)
                ->kind,
            AttentionKernelKind::TensorCore);
}
} // namespace
