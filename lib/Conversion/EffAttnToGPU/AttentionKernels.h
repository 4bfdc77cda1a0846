//===- AttentionKernels.h - attention kernel builders -----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The bodies of the attention gpu.launch (private to EffAttnToGPU): a SIMT
// kernel for every element type and head size, and a tensor-core kernel
// (mma.sync) for f16; and what the other kernels of effattn ops share with
// them (their buffers, shared memory).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_ATTENTIONKERNELS_H
#define LIB_CONVERSION_EFFATTNTOGPU_ATTENTIONKERNELS_H

#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <optional>

namespace mlir {
namespace effattn {
/// The score of a key hidden by the mask or the causal window (the authors'
/// replacement constant, as in the CPU decomposition).
constexpr float kMaskedScore = -1e9f;

/// What a kernel reads and writes, all defined before the launch.
struct AttentionKernelOperands {
  /// [batch, N, D], [batch, M, D], [batch, M, E], [batch, N, E].
  Value query, key, value, result;
  /// [batch, M] (i1) or null.
  Value mask;
  /// With a mask (and no block list): [batch, 2] (index), the first key
  /// the mask shows and one past the last (M and 0 if it shows none), from
  /// buildShownKeyRange.
  Value shownKeys;
  /// Index values: N, M, number of query-row tiles, causal offset.
  Value n, m, rowTiles, queryOffset;
  /// M when static (kernels then skip the key-range checks if M fills their
  /// tiles), else ShapedType::kDynamic.
  int64_t staticM;
  float scale;
  bool causal;
  int64_t d, e;
  Type elementType;

  /// Block-sparse attention (effattn.block_sparse_attention; one block per
  /// block row of queries, tiles of one key block, an f32 result): the key
  /// tiles are the blocks the row lists, and the rest follows the op.
  struct BlockList {
    /// i32 [batch, rowTiles, C] and [batch, rowTiles].
    Value columns, counts;
    /// f32 [batch, rowTiles, E], [batch, rowTiles] and [batch, rowTiles]
    /// (all null without low-resolution terms).
    Value loNum, loDen, loMax;
    /// The f32 score scale (instead of `scale`).
    Value scale;
  };
  std::optional<BlockList> blocks;
};

/// Returns the buffer of `tensor`, which a kernel only reads.
Value getReadBuffer(ImplicitLocOpBuilder &b, Value tensor);

/// Returns a new buffer of `type` (sized like `like` where dynamic).
Value allocateLike(ImplicitLocOpBuilder &b, RankedTensorType type, Value like);

/// Returns a private, 16-byte aligned workgroup-memory global of `type` in
/// `module` (named after `prefix`) as a value at the builder's position.
Value getSharedBuffer(ImplicitLocOpBuilder &b, ModuleOp module,
                      StringRef prefix, MemRefType type);

/// Stores the mask of keys [firstKey, firstKey + keysPerTile) of `batch` as
/// f32 flags (1 = attend; 0 also past M) into `maskTile`, the block's
/// `threads` threads striding over the keys.
void stageMaskFlags(ImplicitLocOpBuilder &b, const AttentionKernelOperands &ops,
                    Value batch, Value firstKey, Value maskTile, Value thread,
                    int64_t keysPerTile, int64_t threads);

/// Returns `score` of tile-local key `key` (absolute key `firstKey + key`)
/// as the softmax sees it: `hiddenScore` (-1e9 in the units of `score`) if
/// the mask flags in `maskTile` (or null) or the causal window
/// (`causalLimit` = row + query offset, or null) hide the key, -inf past M
/// (unless M is a static multiple of `keysPerTile`: no key is past M).
Value maskScore(ImplicitLocOpBuilder &b, const AttentionKernelOperands &ops,
                Value score, Value hiddenScore, Value firstKey, Value key,
                Value causalLimit, Value maskTile, int64_t keysPerTile);

/// Returns the batch element and the tile of query rows that block `block`
/// computes: blocks run through the row tiles of one batch element after
/// the other; under a causal window in reverse order, so that the blocks
/// with the most keys to visit start first and the last ones are short.
std::pair<Value, Value> getBlockRows(ImplicitLocOpBuilder &b,
                                     const AttentionKernelOperands &ops,
                                     Value block);

/// Launches, at the builder's position, a kernel that fills a new
/// [batch, 2] index buffer with the range of keys `mask` ([batch, M], i1)
/// shows per batch element (AttentionKernelOperands::shownKeys), a warp per
/// element; returns the buffer.
Value buildShownKeyRange(ImplicitLocOpBuilder &b, Value mask, Value batch,
                         Value m, int64_t warpSize);

/// Returns the keys [begin, end) the block of query rows
/// [firstRow, firstRow + rows) of `batch` visits. The keys past the block's
/// last causal window (firstRow + query offset + rows), past the last key
/// the mask shows and before the first one are hidden from every row of the
/// block and weigh exactly 0 once a row sees a visible key, so the block
/// skips them when every row does (without a mask: key 0; with one: the
/// first key it shows, if any, within the first row's window). Otherwise a
/// row may see no key at all and average every value: the block visits all
/// M keys.
std::pair<Value, Value> getKeysToVisit(ImplicitLocOpBuilder &b,
                                       const AttentionKernelOperands &ops,
                                       Value batch, Value firstRow,
                                       int64_t rows);

/// Fills the body of `launch`, from the builder's insertion point on, with
/// the SIMT flash kernel (AttentionKernelKind::Simt).
void buildSimtAttentionKernel(ImplicitLocOpBuilder &b, ModuleOp module,
                              gpu::LaunchOp launch,
                              const AttentionKernelConfig &config,
                              const AttentionKernelOperands &ops,
                              int32_t warpSize);

/// Fills the body of `launch` with the tensor-core flash kernel
/// (AttentionKernelKind::TensorCore); its tiles live in the launch's dynamic
/// shared memory of config.sharedMemoryBytes.
void buildMmaAttentionKernel(ImplicitLocOpBuilder &b, gpu::LaunchOp launch,
                             const AttentionKernelConfig &config,
                             const AttentionKernelOperands &ops);

/// Adds the pattern that replaces effattn.kth_largest on tensors by the
/// kernels of a radix selection on its buffers (SelectionKernel.cpp), with
/// as many blocks per row as keep `target`'s multiprocessors busy.
void populateKthLargestToGPUPatterns(RewritePatternSet &patterns,
                                     GpuTargetAttr target);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_ATTENTIONKERNELS_H
