//===- SimtAttentionKernel.cpp - attention on the FP32 pipes ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact attention in flash form with f32 FMAs: one block per tile of query
// rows and batch element, a group of threads per row, keys and values
// streamed through shared memory, an online softmax in registers, no N×M
// buffer. Any element type and head size.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// Builds the kernel of one effattn.attention into a gpu.launch.
class AttentionKernelBuilder {
public:
  AttentionKernelBuilder(ImplicitLocOpBuilder &b,
                         const AttentionKernelConfig &config,
                         const AttentionKernelOperands &ops, int32_t warpSize)
      : b(b), config(config), d(ops.d), e(ops.e), warpSize(warpSize),
        f32(b.getF32Type()),
        vectorType(VectorType::get({config.vectorWidth}, b.getF32Type())) {}

  /// Fills the body of `launch` from the builder's insertion point on;
  /// `keyTile`, `valueTile` and `maskTile` are the shared-memory buffers.
  void build(gpu::LaunchOp launch, const AttentionKernelOperands &ops,
             Value keyTile, Value valueTile, Value maskTile);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Constant(float v) {
    return arith::ConstantFloatOp::create(b, f32, APFloat(v));
  }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(b, vectorType, scalar);
  }
  /// Loads `vectorWidth` elements of `memref` at `indices` as f32.
  Value loadVector(Value memref, ValueRange indices, bool shared);
  /// Stores the f32 vector `v` into `memref` (of its element type).
  void storeVector(Value v, Value memref, ValueRange indices);
  /// Returns the row's result vectors of block-sparse attention from the
  /// final (max, sum, accumulator vectors...) `state`: the low-resolution
  /// terms merged in, the 1e-6 added to the denominator, 0 where the mask
  /// hides the row.
  SmallVector<Value> blockSparseResult(const AttentionKernelOperands &ops,
                                       ValueRange state, Value batch,
                                       Value rowTile, Value row,
                                       function_ref<Value(int64_t)> column);
  /// Loads row `row` of a [batch, rows, cols] operand into a shared tile:
  /// the block's threads copy `keysPerTile` rows, zero past `rows`.
  void loadTile(Value source, Value batch, Value firstRow, Value rows,
                int64_t cols, Value tile, Value thread);

  ImplicitLocOpBuilder &b;
  const AttentionKernelConfig &config;
  int64_t d, e;
  int32_t warpSize;
  FloatType f32;
  VectorType vectorType;
};
} // namespace

Value AttentionKernelBuilder::loadVector(Value memref, ValueRange indices,
                                         bool shared) {
  if (shared) {
    // Tiles are 16-byte aligned and rows are multiples of the vector width.
    return vector::LoadOp::create(b, vectorType, memref, indices,
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(config.vectorWidth * 4));
  }
  // Global operands: the operands' element type, or f32 (block-sparse
  // attention's low-resolution terms).
  Type type = getElementTypeOrSelf(memref.getType());
  Value v = vector::LoadOp::create(
      b, VectorType::get({config.vectorWidth}, type), memref, indices);
  return type == f32 ? v : arith::ExtFOp::create(b, vectorType, v);
}

void AttentionKernelBuilder::storeVector(Value v, Value memref,
                                         ValueRange indices) {
  Type type = getElementTypeOrSelf(memref.getType());
  if (type != f32)
    v = arith::TruncFOp::create(b, VectorType::get({config.vectorWidth}, type),
                                v);
  vector::StoreOp::create(b, v, memref, indices);
}

void AttentionKernelBuilder::loadTile(Value source, Value batch, Value firstRow,
                                      Value rows, int64_t cols, Value tile,
                                      Value thread) {
  int64_t vectorsPerRow = cols / config.vectorWidth;
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  auto loop =
      scf::ForOp::create(b, thread, index(config.keysPerTile * vectorsPerRow),
                         index(config.threadsPerBlock()));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value iv = loop.getInductionVar();
  Value key = arith::DivUIOp::create(b, iv, index(vectorsPerRow));
  Value col = arith::MulIOp::create(
      b, arith::RemUIOp::create(b, iv, index(vectorsPerRow)),
      index(config.vectorWidth));
  Value row = arith::AddIOp::create(b, firstRow, key);
  Value inRange =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  auto load = scf::IfOp::create(b, vectorType, inRange, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard thenGuard(b);
    b.setInsertionPointToStart(load.thenBlock());
    scf::YieldOp::create(
        b, loadVector(source, ValueRange{batch, row, col}, /*shared=*/false));
    b.setInsertionPointToStart(load.elseBlock());
    scf::YieldOp::create(b, zero);
  }
  vector::StoreOp::create(b, load.getResult(0), tile, ValueRange{key, col},
                          /*nontemporal=*/false,
                          llvm::MaybeAlign(config.vectorWidth * 4));
}

SmallVector<Value> AttentionKernelBuilder::blockSparseResult(
    const AttentionKernelOperands &ops, ValueRange state, Value batch,
    Value rowTile, Value row, function_ref<Value(int64_t)> column) {
  const AttentionKernelOperands::BlockList &blocks = *ops.blocks;
  Value max = state[0], denominator = state[1];
  SmallVector<Value> numerators(state.drop_front(2));
  if (blocks.loNum) {
    // Both parts relative to R = max(m, lo_max).
    Value loMax =
        memref::LoadOp::create(b, blocks.loMax, ValueRange{batch, rowTile});
    Value reference = arith::MaximumFOp::create(b, max, loMax);
    Value hiScale =
        math::ExpOp::create(b, arith::SubFOp::create(b, max, reference));
    Value loScale =
        math::ExpOp::create(b, arith::SubFOp::create(b, loMax, reference));
    Value loDen =
        memref::LoadOp::create(b, blocks.loDen, ValueRange{batch, rowTile});
    denominator =
        arith::AddFOp::create(b, arith::MulFOp::create(b, denominator, hiScale),
                              arith::MulFOp::create(b, loDen, loScale));
    for (auto [c, numerator] : llvm::enumerate(numerators)) {
      Value loNum =
          loadVector(blocks.loNum, ValueRange{batch, rowTile, column(c)},
                     /*shared=*/false);
      numerator = arith::AddFOp::create(
          b, arith::MulFOp::create(b, numerator, splat(hiScale)),
          arith::MulFOp::create(b, loNum, splat(loScale)));
    }
  }
  Value divisor = splat(arith::AddFOp::create(
      b, denominator,
      f32Constant(BlockSparseAttentionOp::kDenominatorEpsilon)));
  Value keep = ops.mask
                   ? memref::LoadOp::create(b, ops.mask, ValueRange{batch, row})
                         .getResult()
                   : Value();
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  for (Value &numerator : numerators) {
    numerator = arith::DivFOp::create(b, numerator, divisor);
    if (keep)
      numerator = arith::SelectOp::create(b, keep, numerator, zero);
  }
  return numerators;
}

void AttentionKernelBuilder::build(gpu::LaunchOp launch,
                                   const AttentionKernelOperands &ops,
                                   Value keyTile, Value valueTile,
                                   Value maskTile) {
  int64_t width = config.vectorWidth, group = config.groupSize;
  int64_t queryVectors = d / (width * group),
          valueVectors = e / (width * group);

  Value thread = launch.getThreadIds().x;
  Value block = launch.getBlockIds().x;
  Value batch, rowTile;
  std::tie(batch, rowTile) = getBlockRows(b, ops, block);
  Value lane = arith::RemUIOp::create(b, thread, index(group));
  Value row = arith::AddIOp::create(
      b, arith::MulIOp::create(b, rowTile, index(config.rowsPerBlock)),
      arith::DivUIOp::create(b, thread, index(group)));
  Value rowValid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, ops.n);
  // Rows past N compute on row 0 (every thread takes part in the barriers
  // and shuffles) and store nothing.
  Value loadRow = arith::SelectOp::create(b, rowValid, row, index(0));

  // The thread's columns: vector c covers columns (c·G + lane)·W + [0, W).
  auto column = [&](int64_t c) {
    return arith::MulIOp::create(
        b, arith::AddIOp::create(b, index(c * group), lane), index(width));
  };
  SmallVector<Value> query;
  Value scale = splat(ops.blocks ? ops.blocks->scale : f32Constant(ops.scale));
  for (int64_t c = 0; c < queryVectors; ++c)
    query.push_back(arith::MulFOp::create(
        b,
        loadVector(ops.query, ValueRange{batch, loadRow, column(c)},
                   /*shared=*/false),
        scale));

  Value zeroVector =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  SmallVector<Value> init{f32Constant(-std::numeric_limits<float>::infinity()),
                          f32Constant(0)};
  init.append(valueVectors, zeroVector);

  // for each tile of keys (each key block the row lists): stage K, V (and
  // the mask) in shared memory.
  auto loadIndex = [&](Value memref, ValueRange indices) -> Value {
    return arith::IndexCastOp::create(
        b, b.getIndexType(), memref::LoadOp::create(b, memref, indices));
  };
  scf::ForOp tiles;
  if (ops.blocks) {
    tiles = scf::ForOp::create(
        b, index(0), loadIndex(ops.blocks->counts, ValueRange{batch, rowTile}),
        index(1), init);
  } else {
    // Tiles start at multiples of the tile from key 0.
    auto [beginKey, endKey] = getKeysToVisit(
        b, ops, batch,
        arith::MulIOp::create(b, rowTile, index(config.rowsPerBlock)),
        config.rowsPerBlock);
    Value firstKey = arith::MulIOp::create(
        b, arith::DivUIOp::create(b, beginKey, index(config.keysPerTile)),
        index(config.keysPerTile));
    tiles = scf::ForOp::create(b, firstKey, endKey, index(config.keysPerTile),
                               init);
  }
  {
    OpBuilder::InsertionGuard tileGuard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value firstKey = ops.blocks
                         ? arith::MulIOp::create(
                               b,
                               loadIndex(ops.blocks->columns,
                                         ValueRange{batch, rowTile,
                                                    tiles.getInductionVar()}),
                               index(config.keysPerTile))
                               .getResult()
                         : tiles.getInductionVar();
    gpu::BarrierOp::create(b);
    loadTile(ops.key, batch, firstKey, ops.m, d, keyTile, thread);
    loadTile(ops.value, batch, firstKey, ops.m, e, valueTile, thread);
    if (ops.mask)
      stageMaskFlags(b, ops, batch, firstKey, maskTile, thread,
                     config.keysPerTile, config.threadsPerBlock());
    gpu::BarrierOp::create(b);

    Value keysHere =
        arith::MinUIOp::create(b, index(config.keysPerTile),
                               arith::SubIOp::create(b, ops.m, firstKey));
    auto chunks =
        scf::ForOp::create(b, index(0), keysHere, index(config.keysPerChunk),
                           tiles.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard chunkGuard(b);
      b.setInsertionPointToStart(chunks.getBody());
      Value firstInChunk = chunks.getInductionVar();
      ValueRange carried = chunks.getRegionIterArgs();
      Value runningMax = carried[0], runningSum = carried[1];
      SmallVector<Value> acc(carried.drop_front(2));

      // Scores of the chunk's keys: the group's partial dot products summed
      // with xor shuffles, so that every lane of the group holds them.
      // Block-sparse: hidden keys keep their scores (for the maximum) and
      // weigh 0.
      SmallVector<Value> scores, keys, visible;
      Value causalLimit =
          ops.causal ? arith::AddIOp::create(b, row, ops.queryOffset) : Value();
      for (int64_t k = 0; k < config.keysPerChunk; ++k) {
        Value key = arith::AddIOp::create(b, firstInChunk, index(k));
        keys.push_back(key);
        Value dot = zeroVector;
        for (int64_t c = 0; c < queryVectors; ++c)
          dot = vector::FMAOp::create(
              b, query[c],
              loadVector(keyTile, ValueRange{key, column(c)}, /*shared=*/true),
              dot);
        Value score =
            vector::ReductionOp::create(b, vector::CombiningKind::ADD, dot);
        for (int64_t offset = group / 2; offset >= 1; offset /= 2) {
          // All lanes of the warp take part; lane ^ offset stays in the
          // group (groups are aligned and offset < G).
          Value other = gpu::ShuffleOp::create(b, score, offset, warpSize,
                                               gpu::ShuffleMode::XOR)
                            .getShuffleResult();
          score = arith::AddFOp::create(b, score, other);
        }
        if (!ops.blocks) {
          scores.push_back(maskScore(b, ops, score, f32Constant(kMaskedScore),
                                     firstKey, key, causalLimit, maskTile,
                                     config.keysPerTile));
          continue;
        }
        scores.push_back(score);
        if (maskTile)
          visible.push_back(arith::CmpFOp::create(
              b, arith::CmpFPredicate::ONE,
              memref::LoadOp::create(b, maskTile, key), f32Constant(0)));
      }

      // Online softmax: rescale once per chunk.
      Value chunkMax = scores.front();
      for (Value score : ArrayRef(scores).drop_front())
        chunkMax = arith::MaximumFOp::create(b, chunkMax, score);
      Value newMax = arith::MaximumFOp::create(b, runningMax, chunkMax);
      Value correction =
          math::ExpOp::create(b, arith::SubFOp::create(b, runningMax, newMax));
      Value sum = arith::MulFOp::create(b, runningSum, correction);
      Value correctionVector = splat(correction);
      for (Value &a : acc)
        a = arith::MulFOp::create(b, a, correctionVector);
      for (auto [k, key, score] : llvm::enumerate(keys, scores)) {
        Value weight =
            math::ExpOp::create(b, arith::SubFOp::create(b, score, newMax));
        if (!visible.empty())
          weight =
              arith::SelectOp::create(b, visible[k], weight, f32Constant(0));
        sum = arith::AddFOp::create(b, sum, weight);
        Value weightVector = splat(weight);
        for (int64_t c = 0; c < valueVectors; ++c)
          acc[c] = vector::FMAOp::create(b, weightVector,
                                         loadVector(valueTile,
                                                    ValueRange{key, column(c)},
                                                    /*shared=*/true),
                                         acc[c]);
      }
      SmallVector<Value> yielded{newMax, sum};
      yielded.append(acc);
      scf::YieldOp::create(b, yielded);
    }
    scf::YieldOp::create(b, chunks.getResults());
  }

  // result = acc / sum in the element type, for rows below N.
  auto store = scf::IfOp::create(b, rowValid, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(store.thenBlock());
    SmallVector<Value> results;
    if (ops.blocks) {
      results = blockSparseResult(ops, tiles.getResults(), batch, rowTile, row,
                                  column);
    } else {
      Value inverse =
          splat(arith::DivFOp::create(b, f32Constant(1), tiles.getResult(1)));
      for (int64_t c = 0; c < valueVectors; ++c)
        results.push_back(
            arith::MulFOp::create(b, tiles.getResult(2 + c), inverse));
    }
    for (auto [c, out] : llvm::enumerate(results))
      storeVector(out, ops.result, ValueRange{batch, row, column(c)});
  }
  gpu::TerminatorOp::create(b);
}

void mlir::effattn::buildSimtAttentionKernel(
    ImplicitLocOpBuilder &b, ModuleOp module, gpu::LaunchOp launch,
    const AttentionKernelConfig &config, const AttentionKernelOperands &ops,
    int32_t warpSize) {
  Attribute workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t cols) {
    return MemRefType::get({config.keysPerTile, cols}, b.getF32Type(),
                           MemRefLayoutAttrInterface(), workgroup);
  };
  Value keyTile =
      getSharedBuffer(b, module, "__effattn_key_tile", tileType(ops.d));
  Value valueTile =
      getSharedBuffer(b, module, "__effattn_value_tile", tileType(ops.e));
  Value maskTile =
      ops.mask ? getSharedBuffer(
                     b, module, "__effattn_mask_tile",
                     MemRefType::get({config.keysPerTile}, b.getF32Type(),
                                     MemRefLayoutAttrInterface(), workgroup))
               : Value();
  AttentionKernelBuilder(b, config, ops, warpSize)
      .build(launch, ops, keyTile, valueTile, maskTile);
}
