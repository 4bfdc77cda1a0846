//===- AttentionTiling.cpp - Tiling of effattn.attention --------*- C++ -*-===//
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

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<Range> domain;
  for (OpFoldResult size : tensor::getMixedSizes(b, getLoc(), getInit()))
    domain.push_back(Range{zero, size, one});
  return domain;
}

LogicalResult AttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  // The iteration domain is the result's index space.
  resultOffsets.assign(offsets.begin(), offsets.end());
  resultSizes.assign(sizes.begin(), sizes.end());
  return success();
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

  SmallVector<Operation *> slices;
  /// Extracts the unit-stride slice [batch tile..., tail offsets] of `source`.
  auto slice = [&](Value source, ArrayRef<OpFoldResult> tailOffsets,
                   ArrayRef<OpFoldResult> tailSizes) -> Value {
    SmallVector<OpFoldResult> sliceOffsets(offsets.take_front(numBatch));
    SmallVector<OpFoldResult> sliceSizes(sizes.take_front(numBatch));
    llvm::append_range(sliceOffsets, tailOffsets);
    llvm::append_range(sliceSizes, tailSizes);
    SmallVector<OpFoldResult> strides(sliceOffsets.size(), b.getIndexAttr(1));
    auto op = tensor::ExtractSliceOp::create(b, loc, source, sliceOffsets,
                                             sliceSizes, strides);
    slices.push_back(op);
    return op.getResult();
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
  if (getCausal() && !isZeroInteger(rowOffset)) {
    Value tileOffset = getValueOrCreateConstantIndexOp(b, loc, rowOffset);
    queryOffset = queryOffset
                      ? arith::AddIOp::create(b, loc, queryOffset, tileOffset)
                      : tileOffset;
  }

  auto tiled =
      AttentionOp::create(b, loc, init.getType(), query, key, value, mask,
                          queryOffset, init, getScaleAttr(), getCausalAttr());
  return TilingResult{{tiled}, {tiled.getResult()}, slices};
}

FailureOr<TilingResult>
AttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  return getTiledImplementation(b, offsets, sizes);
}
