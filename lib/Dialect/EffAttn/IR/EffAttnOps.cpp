//===- EffAttnOps.cpp - EffAttn dialect ops ---------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Builders, verifiers and canonicalizations of the effattn ops. Tiling and
// decomposition live in their own files.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

void AttentionOp::build(OpBuilder &b, OperationState &state, Value query,
                        Value key, Value value, Value mask, Value init,
                        FloatAttr scale, bool causal) {
  build(b, state, init.getType(), query, key, value, mask,
        /*query_offset=*/Value(), init, scale, causal);
}

std::optional<double> AttentionOp::getStaticScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  int64_t headDim = getQueryType().getShape().back();
  if (ShapedType::isDynamic(headDim))
    return std::nullopt;
  return 1.0 / std::sqrt(static_cast<double>(headDim));
}

/// Formats a dimension size for a diagnostic (`?` when dynamic).
static std::string formatDim(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

/// Returns true if two dimension sizes may be equal at run time.
static bool areDimsCompatible(int64_t lhs, int64_t rhs) {
  return ShapedType::isDynamic(lhs) || ShapedType::isDynamic(rhs) || lhs == rhs;
}

LogicalResult AttentionOp::verify() {
  RankedTensorType queryType = getQueryType(), keyType = getKeyType(),
                   valueType = getValueType(), initType = getInitType();
  int64_t rank = queryType.getRank();
  if (rank < 2)
    return emitOpError("expects query to have rank >= 2 ([batch..., N, D]), "
                       "got rank ")
           << rank;
  if (keyType.getRank() != rank || valueType.getRank() != rank ||
      initType.getRank() != rank)
    return emitOpError("expects query, key, value and init to have the same "
                       "rank, got ")
           << rank << ", " << keyType.getRank() << ", " << valueType.getRank()
           << " and " << initType.getRank();

  // Batch dimensions are shared by every operand.
  int64_t numBatch = rank - 2;
  auto checkBatch = [&](StringRef name, ArrayRef<int64_t> shape,
                        int64_t offset) -> LogicalResult {
    for (int64_t i = 0; i < numBatch; ++i) {
      if (areDimsCompatible(shape[i + offset], queryType.getDimSize(i)))
        continue;
      return emitOpError("expects batch dimension #")
             << i << " of " << name << " (" << formatDim(shape[i + offset])
             << ") to match query (" << formatDim(queryType.getDimSize(i))
             << ")";
    }
    return success();
  };
  if (failed(checkBatch("key", keyType.getShape(), 0)) ||
      failed(checkBatch("value", valueType.getShape(), 0)) ||
      failed(checkBatch("init", initType.getShape(), 0)))
    return failure();

  int64_t n = queryType.getDimSize(rank - 2),
          d = queryType.getDimSize(rank - 1);
  int64_t m = keyType.getDimSize(rank - 2);
  if (!areDimsCompatible(keyType.getDimSize(rank - 1), d))
    return emitOpError("expects the head dimension D of key (")
           << formatDim(keyType.getDimSize(rank - 1)) << ") to match query ("
           << formatDim(d) << ")";
  if (!areDimsCompatible(valueType.getDimSize(rank - 2), m))
    return emitOpError("expects value to have as many rows M as key, got ")
           << formatDim(valueType.getDimSize(rank - 2)) << " and "
           << formatDim(m);
  if (m == 0)
    return emitOpError("expects at least one key (M > 0)");
  if (!areDimsCompatible(initType.getDimSize(rank - 2), n) ||
      !areDimsCompatible(initType.getDimSize(rank - 1),
                         valueType.getDimSize(rank - 1)))
    return emitOpError("expects init of shape [batch..., N, E] = [..., ")
           << formatDim(n) << ", " << formatDim(valueType.getDimSize(rank - 1))
           << "], got [..., " << formatDim(initType.getDimSize(rank - 2))
           << ", " << formatDim(initType.getDimSize(rank - 1)) << "]";

  if (Value mask = getMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (maskType.getRank() != rank - 1)
      return emitOpError("expects mask of rank ")
             << rank - 1 << " ([batch..., M]), got rank " << maskType.getRank();
    if (failed(checkBatch("mask", maskType.getShape(), 0)))
      return failure();
    if (!areDimsCompatible(maskType.getDimSize(rank - 2), m))
      return emitOpError("expects mask to have M = ")
             << formatDim(m) << " entries per row, got "
             << formatDim(maskType.getDimSize(rank - 2));
  }

  if (std::optional<APFloat> scale = getScale()) {
    if (!scale->isFiniteNonZero() || scale->isNegative())
      return emitOpError("expects 'scale' to be finite and positive, got ")
             << scale->convertToDouble();
  }
  if (getType() != initType)
    return emitOpError("expects the result type to match init, got ")
           << getType() << " and " << initType;
  if (getQueryOffset() && !getCausal())
    return emitOpError("expects 'query_offset' only together with 'causal'");
  return success();
}

LogicalResult
AttentionOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

namespace {
/// Drops a `query_offset` operand that is the constant 0.
struct FoldZeroQueryOffset : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value offset = op.getQueryOffset();
    if (!offset || !matchPattern(offset, m_Zero()))
      return rewriter.notifyMatchFailure(op, "no constant-zero query_offset");
    rewriter.modifyOpInPlace(op, [&] { op.getQueryOffsetMutable().clear(); });
    return success();
  }
};

/// Folds `tensor.cast` producers that only erase static shape information
/// into the op, and casts the (now more static) result back.
struct FoldTensorCastIntoAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!tensor::hasFoldableTensorCastOperand(op))
      return rewriter.notifyMatchFailure(op, "no foldable tensor.cast operand");
    SmallVector<Type> newResultTypes;
    SmallVector<Value> newOperands =
        tensor::getUpdatedOperandsAfterCastOpFolding(op, newResultTypes);
    Operation *newOp = clone(rewriter, op, newResultTypes, newOperands);
    Value result = newOp->getResult(0);
    if (result.getType() != op.getType())
      result =
          tensor::CastOp::create(rewriter, op.getLoc(), op.getType(), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldZeroQueryOffset, FoldTensorCastIntoAttention>(context);
}

#define GET_OP_CLASSES
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.cpp.inc"
