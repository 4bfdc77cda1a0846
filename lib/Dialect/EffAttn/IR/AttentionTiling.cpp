//===- AttentionTiling.cpp - Tiling of effattn ops --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The iteration domain of effattn.attention is [batch..., N, E], all parallel.
// A tile reads its rows of the query, every key row and the tile's columns of
// the value; the causal window follows the tile through `query_offset`.
// YOSO tiles the same way but keeps E whole; effattn.lookup_ffn tiles its
// tokens and output columns ([tokens..., D_out]), each tile recomputing the
// codes of its tokens.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::effattn;

SmallVector<utils::IteratorType> AttentionOp::getLoopIteratorTypes() {
  return SmallVector<utils::IteratorType>(getInitType().getRank(),
                                          utils::IteratorType::parallel);
}

/// Returns the index space of `init`: the iteration domain of the attention
/// ops, whose loops are the result's dimensions.
static SmallVector<Range> getInitDomain(OpBuilder &b, Location loc,
                                        Value init) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<Range> domain;
  for (OpFoldResult size : tensor::getMixedSizes(b, loc, init))
    domain.push_back(Range{zero, size, one});
  return domain;
}

/// A tile of the iteration domain is the same tile of the result.
static LogicalResult
getIdentityTilePosition(ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) {
  resultOffsets.assign(offsets.begin(), offsets.end());
  resultSizes.assign(sizes.begin(), sizes.end());
  return success();
}

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  return getInitDomain(b, getLoc(), getInit());
}

LogicalResult AttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  return getIdentityTilePosition(offsets, sizes, resultOffsets, resultSizes);
}

/// Extracts the unit-stride slice [batch tile..., tail...] of `source`,
/// recording it in `slices`.
static Value extractBatchSlice(OpBuilder &b, Location loc, Value source,
                               ArrayRef<OpFoldResult> batchOffsets,
                               ArrayRef<OpFoldResult> batchSizes,
                               ArrayRef<OpFoldResult> tailOffsets,
                               ArrayRef<OpFoldResult> tailSizes,
                               SmallVectorImpl<Operation *> &slices) {
  SmallVector<OpFoldResult> offsets(batchOffsets), sizes(batchSizes);
  llvm::append_range(offsets, tailOffsets);
  llvm::append_range(sizes, tailSizes);
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  auto op =
      tensor::ExtractSliceOp::create(b, loc, source, offsets, sizes, strides);
  slices.push_back(op);
  return op.getResult();
}

/// Returns `base + rowOffset` (`base` may be null: 0), or `base` when the
/// offset is 0.
static Value addRowOffset(OpBuilder &b, Location loc, Value base,
                          OpFoldResult rowOffset) {
  if (isZeroInteger(rowOffset))
    return base;
  Value offset = getValueOrCreateConstantIndexOp(b, loc, rowOffset);
  return base ? arith::AddIOp::create(b, loc, base, offset) : offset;
}

FailureOr<TilingResult>
AttentionOp::getTiledImplementation(OpBuilder &b,
                                    ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  int64_t numBatch = getNumBatchDims();
  OpFoldResult zero = b.getIndexAttr(0);
  OpFoldResult rowOffset = offsets[numBatch], colOffset = offsets[numBatch + 1];
  OpFoldResult rowSize = sizes[numBatch], colSize = sizes[numBatch + 1];
  SmallVector<OpFoldResult> keySizes = tensor::getMixedSizes(b, loc, getKey());
  OpFoldResult numKeys = keySizes[numBatch], headDim = keySizes[numBatch + 1];
  ArrayRef<OpFoldResult> batchOffsets = offsets.take_front(numBatch);
  ArrayRef<OpFoldResult> batchSizes = sizes.take_front(numBatch);

  SmallVector<Operation *> slices;
  auto slice = [&](Value source, ArrayRef<OpFoldResult> tailOffsets,
                   ArrayRef<OpFoldResult> tailSizes) {
    return extractBatchSlice(b, loc, source, batchOffsets, batchSizes,
                             tailOffsets, tailSizes, slices);
  };
  Value query = slice(getQuery(), {rowOffset, zero}, {rowSize, headDim});
  Value key = slice(getKey(), {zero, zero}, {numKeys, headDim});
  Value value = slice(getValue(), {zero, colOffset}, {numKeys, colSize});
  Value mask;
  if (getMask())
    mask = slice(getMask(), {zero}, {numKeys});
  Value init = slice(getInit(), {rowOffset, colOffset}, {rowSize, colSize});

  // A tile of query rows starting at `rowOffset` sees the causal window of
  // absolute row `query_offset + rowOffset`.
  Value queryOffset = getQueryOffset();
  if (getCausal())
    queryOffset = addRowOffset(b, loc, queryOffset, rowOffset);

  auto tiled = AttentionOp::create(b, loc, init.getType(), query, key, value,
                                   mask, queryOffset, init, getScaleAttr(),
                                   getCausalAttr(), getLoweringConfigAttr());
  return TilingResult{{tiled}, {tiled.getResult()}, slices};
}

FailureOr<TilingResult>
AttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  return getTiledImplementation(b, offsets, sizes);
}

//===----------------------------------------------------------------------===//
// YosoAttentionOp
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> YosoAttentionOp::getLoopIteratorTypes() {
  // The row normalisation couples the E columns of an output row.
  SmallVector<utils::IteratorType> types(getInitType().getRank(),
                                         utils::IteratorType::parallel);
  types.back() = utils::IteratorType::reduction;
  return types;
}

SmallVector<Range> YosoAttentionOp::getIterationDomain(OpBuilder &b) {
  return getInitDomain(b, getLoc(), getInit());
}

LogicalResult YosoAttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  return getIdentityTilePosition(offsets, sizes, resultOffsets, resultSizes);
}

FailureOr<TilingResult>
YosoAttentionOp::getTiledImplementation(OpBuilder &b,
                                        ArrayRef<OpFoldResult> offsets,
                                        ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  int64_t numBatch = getNumBatchDims();
  SmallVector<OpFoldResult> initSizes =
      tensor::getMixedSizes(b, loc, getInit());
  // Every output row is normalised over all its E columns: a tile must span
  // them.
  if (!isZeroInteger(offsets[numBatch + 1]) ||
      !isEqualConstantIntOrValue(sizes[numBatch + 1], initSizes[numBatch + 1]))
    return emitOpError("cannot tile the normalised value dimension E");
  OpFoldResult zero = b.getIndexAttr(0);
  OpFoldResult rowOffset = offsets[numBatch], rowSize = sizes[numBatch];
  ArrayRef<OpFoldResult> batchOffsets = offsets.take_front(numBatch);
  ArrayRef<OpFoldResult> batchSizes = sizes.take_front(numBatch);
  SmallVector<Operation *> slices;
  /// Slices the batch tile of `source` and keeps the rest of its dimensions
  /// whole, except `rows` (the query rows) when given.
  auto slice = [&](Value source, unsigned numTail, bool rows) {
    SmallVector<OpFoldResult> sourceSizes =
        tensor::getMixedSizes(b, loc, source);
    SmallVector<OpFoldResult> tailOffsets(numTail, zero);
    SmallVector<OpFoldResult> tailSizes(
        ArrayRef(sourceSizes).take_back(numTail));
    if (rows) {
      tailOffsets.front() = rowOffset;
      tailSizes.front() = rowSize;
    }
    return extractBatchSlice(b, loc, source, batchOffsets, batchSizes,
                             tailOffsets, tailSizes, slices);
  };
  int64_t rank = getQueryType().getRank();
  Value query = slice(getQuery(), 2, /*rows=*/true);
  Value key = slice(getKey(), 2, false);
  Value value = slice(getValue(), 2, false);
  Value init = slice(getInit(), 2, /*rows=*/true);
  Value mask = getMask() ? slice(getMask(), 1, false) : Value();
  Value projection = getProjection();
  if (projection &&
      cast<RankedTensorType>(projection.getType()).getRank() == rank)
    projection = slice(projection, 2, false);
  Value diagonals = getHadamardDiagonals();
  if (diagonals &&
      cast<RankedTensorType>(diagonals.getType()).getRank() == rank + 1)
    diagonals = slice(diagonals, 3, false);
  // Query rows read the mask from `query_offset + rowOffset` on.
  Value queryOffset = getQueryOffset();
  if (mask)
    queryOffset = addRowOffset(b, loc, queryOffset, rowOffset);

  auto tiled = YosoAttentionOp::create(
      b, loc, init.getType(), query, key, value, mask, projection, diagonals,
      queryOffset, init, getModeAttr(), getHashBitsAttr(), getNumHashesAttr(),
      getVersionAttr());
  return TilingResult{{tiled}, {tiled.getResult()}, slices};
}

FailureOr<TilingResult>
YosoAttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                         ArrayRef<OpFoldResult> offsets,
                                         ArrayRef<OpFoldResult> sizes) {
  return getTiledImplementation(b, offsets, sizes);
}

//===----------------------------------------------------------------------===//
// LookupFfnOp
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> LookupFfnOp::getLoopIteratorTypes() {
  return SmallVector<utils::IteratorType>(getInitType().getRank(),
                                          utils::IteratorType::parallel);
}

SmallVector<Range> LookupFfnOp::getIterationDomain(OpBuilder &b) {
  return getInitDomain(b, getLoc(), getInit());
}

LogicalResult LookupFfnOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  return getIdentityTilePosition(offsets, sizes, resultOffsets, resultSizes);
}

FailureOr<TilingResult>
LookupFfnOp::getTiledImplementation(OpBuilder &b,
                                    ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  Location loc = getLoc();
  int64_t numTokenDims = getInitType().getRank() - 1;
  OpFoldResult zero = b.getIndexAttr(0);
  OpFoldResult columnOffset = offsets.back(), columnSize = sizes.back();
  SmallVector<Operation *> slices;
  auto slice = [&](Value source, ArrayRef<OpFoldResult> sliceOffsets,
                   ArrayRef<OpFoldResult> sliceSizes) {
    SmallVector<OpFoldResult> strides(sliceOffsets.size(), b.getIndexAttr(1));
    auto op = tensor::ExtractSliceOp::create(b, loc, source, sliceOffsets,
                                             sliceSizes, strides);
    slices.push_back(op);
    return op.getResult();
  };
  // The tile's tokens with all of D; its columns of the tables and the bias.
  SmallVector<OpFoldResult> inputOffsets(offsets.drop_back());
  SmallVector<OpFoldResult> inputSizes(sizes.drop_back());
  inputOffsets.push_back(zero);
  inputSizes.push_back(tensor::getMixedSize(b, loc, getInput(), numTokenDims));
  Value input = slice(getInput(), inputOffsets, inputSizes);
  SmallVector<OpFoldResult> tableSizes =
      tensor::getMixedSizes(b, loc, getTables());
  Value tables = slice(getTables(), {zero, zero, columnOffset},
                       {tableSizes[0], tableSizes[1], columnSize});
  Value bias = slice(getBias(), {columnOffset}, {columnSize});
  Value init = slice(getInit(), offsets, sizes);
  auto tiled = LookupFfnOp::create(
      b, loc, init.getType(), input, getProjWeight(), getProjBias(), tables,
      bias, init, getProjectionAttr(), getCodeBitsAttr(), getDecayAttr());
  return TilingResult{{tiled}, {tiled.getResult()}, slices};
}

FailureOr<TilingResult>
LookupFfnOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  return getTiledImplementation(b, offsets, sizes);
}
