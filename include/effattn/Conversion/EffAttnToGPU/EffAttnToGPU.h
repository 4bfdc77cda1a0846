//===- EffAttnToGPU.h - effattn ops to GPU kernels --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The GPU lowering of effattn ops: a tile-size model per op, checked against
// the #effattn.gpu target's shared-memory and register budgets, and the
// patterns that replace each op on tensors by a gpu.launch on its buffers.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_CONVERSION_EFFATTNTOGPU_EFFATTNTOGPU_H
#define EFFATTN_CONVERSION_EFFATTNTOGPU_EFFATTNTOGPU_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir {
namespace effattn {
/// Which flash-attention kernel runs: f32 FMAs on any element type and head
/// size, or tensor cores (mma.sync m16n8k16, f16 with D and E multiples of
/// 16).
enum class AttentionKernelKind { Simt, TensorCore };

/// How the flash-attention kernel splits its work. SIMT: a block of
/// `rowsPerBlock * groupSize` threads owns `rowsPerBlock` query rows; the
/// `groupSize` threads of a row split its D and E columns into vectors of
/// `vectorWidth` (interleaved, so that a group reads contiguous shared
/// memory) and combine their partial dot products with warp shuffles. Keys
/// and values stream through shared memory in tiles of `keysPerTile` rows;
/// the online softmax rescales once per `keysPerChunk` keys held in
/// registers. TensorCore: each warp owns 16 query rows and computes scores
/// and the accumulator as m16n8k16 fragments; `vectorWidth` is the width of
/// the tile copies.
struct AttentionKernelConfig {
  AttentionKernelKind kind;
  int64_t vectorWidth;
  int64_t groupSize;
  int64_t rowsPerBlock;
  int64_t threads;
  int64_t keysPerTile;
  int64_t keysPerChunk;
  /// Tensor cores: m16 tiles of query rows per warp (each warp's K and V
  /// fragments feed this many mma.sync), and whether the block's query rows
  /// sit in shared memory (reloaded per k-step with ldmatrix) rather than in
  /// registers for the whole kernel.
  int64_t rowTilesPerWarp = 1;
  bool queryInSharedMemory = false;
  /// Shared memory of one block, in bytes.
  int64_t sharedMemoryBytes;
  /// Estimated 32-bit registers per thread.
  int64_t registersPerThread;

  int64_t threadsPerBlock() const { return threads; }
};

/// The largest static shared memory a kernel may declare without opting in
/// to more (the same on every architecture since sm_20).
constexpr int64_t kStaticSharedMemoryLimit = 48 * 1024;

/// Chooses the attention kernel and its tiles for head dimensions `d`
/// (query/key) and `e` (value) of `elementType` on `target`: tensor cores
/// when the element type, the target and the budgets allow (f32 as 3xTF32
/// with `f32OnTensorCores`), else SIMT. `warpRows` (16 or 32; 0 for the
/// model's choice) sets the query rows per warp of the tensor-core kernel.
/// Fails with `reason` (which tile to shrink or which dimension is too
/// large) when no tiling fits the target's budgets.
FailureOr<AttentionKernelConfig>
chooseAttentionKernelConfig(GpuTargetAttr target, int64_t d, int64_t e,
                            Type elementType, std::string &reason,
                            int64_t warpRows = 0, bool f32OnTensorCores = true);

/// Parses the `f32-contractions` option of pass `pass`: "3xtf32" (f32
/// products on tensor cores, true) or "fma" (f32 FMAs, false); otherwise
/// emits an error on `module` naming the choices and fails.
FailureOr<bool> parseF32Contractions(ModuleOp module, StringRef pass,
                                     StringRef value);

/// Adds the patterns that replace effattn ops on tensors by gpu.launch ops
/// on their buffers (bufferization.to_buffer / to_tensor around them), with
/// tiles chosen for `target` (`warpRows` and `f32OnTensorCores` as for
/// chooseAttentionKernelConfig).
void populateEffAttnToGPUPatterns(RewritePatternSet &patterns,
                                  GpuTargetAttr target, int64_t warpRows = 0,
                                  bool f32OnTensorCores = true);

/// Adds the pattern that lowers bf16 nvgpu.mma.sync m16n8k16 (into f32),
/// which convert-nvgpu-to-nvvm does not cover, to nvvm.mma.sync.
void populateBf16MmaSyncToNVVMPatterns(RewritePatternSet &patterns);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_CONVERSION_EFFATTNTOGPU_EFFATTNTOGPU_H
