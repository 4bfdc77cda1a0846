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
#include "effattn/Runtime/effattn_runtime.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

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
        /*query_offset=*/Value(), init, scale, causal,
        /*lowering_config=*/FlashConfigAttr());
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

/// Formats a shape for a diagnostic: [2, ?, 16].
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os,
                        [&](int64_t size) { os << formatDim(size); });
  os << "]";
  return text;
}

/// Returns true if two dimension sizes may be equal at run time.
static bool areDimsCompatible(int64_t lhs, int64_t rhs) {
  return ShapedType::isDynamic(lhs) || ShapedType::isDynamic(rhs) || lhs == rhs;
}

/// Checks the ranks shared by attention-like ops: query `[batch..., N, D]`
/// of rank >= 2, and key, value and init of the same rank.
static LogicalResult verifyRanks(Operation *op, RankedTensorType query,
                                 RankedTensorType key, RankedTensorType value,
                                 RankedTensorType init) {
  int64_t rank = query.getRank();
  if (rank < 2)
    return op->emitOpError("expects query to have rank >= 2 ([batch..., N, "
                           "D]), got rank ")
           << rank;
  if (key.getRank() != rank || value.getRank() != rank ||
      init.getRank() != rank)
    return op->emitOpError("expects query, key, value and init to have the "
                           "same rank, got ")
           << rank << ", " << key.getRank() << ", " << value.getRank()
           << " and " << init.getRank();
  return success();
}

/// Checks that the leading `numBatch` dimensions of `shape` (operand `name`)
/// match the query's.
static LogicalResult verifyBatchDims(Operation *op, StringRef name,
                                     ArrayRef<int64_t> shape,
                                     RankedTensorType query, int64_t numBatch) {
  for (int64_t i = 0; i < numBatch; ++i) {
    if (areDimsCompatible(shape[i], query.getDimSize(i)))
      continue;
    return op->emitOpError("expects batch dimension #")
           << i << " of " << name << " (" << formatDim(shape[i])
           << ") to match query (" << formatDim(query.getDimSize(i)) << ")";
  }
  return success();
}

/// Checks that init is `[batch..., n, e]`.
static LogicalResult verifyInitShape(Operation *op, RankedTensorType init,
                                     int64_t n, int64_t e) {
  int64_t rank = init.getRank();
  if (areDimsCompatible(init.getDimSize(rank - 2), n) &&
      areDimsCompatible(init.getDimSize(rank - 1), e))
    return success();
  return op->emitOpError("expects init of shape [batch..., N, E] = [..., ")
         << formatDim(n) << ", " << formatDim(e) << "], got [..., "
         << formatDim(init.getDimSize(rank - 2)) << ", "
         << formatDim(init.getDimSize(rank - 1)) << "]";
}

/// Checks a key-padding mask `[batch..., numKeys]`; `keyName` is "M" or "N".
static LogicalResult verifyKeyMask(Operation *op, Value mask,
                                   RankedTensorType query, int64_t numKeys,
                                   StringRef keyName) {
  if (!mask)
    return success();
  auto maskType = cast<RankedTensorType>(mask.getType());
  int64_t rank = query.getRank();
  if (maskType.getRank() != rank - 1)
    return op->emitOpError("expects mask of rank ")
           << rank - 1 << " ([batch..., " << keyName << "]), got rank "
           << maskType.getRank();
  if (failed(verifyBatchDims(op, "mask", maskType.getShape(), query, rank - 2)))
    return failure();
  if (!areDimsCompatible(maskType.getDimSize(rank - 2), numKeys))
    return op->emitOpError("expects mask to have ")
           << keyName << " = " << formatDim(numKeys) << " entries per row, got "
           << formatDim(maskType.getDimSize(rank - 2));
  return success();
}

/// Checks that the result type is init's.
static LogicalResult verifyResultType(Operation *op, Type resultType,
                                      RankedTensorType initType) {
  if (resultType == initType)
    return success();
  return op->emitOpError("expects the result type to match init, got ")
         << resultType << " and " << initType;
}

/// Checks the operands of an attention op over queries [batch..., N, D],
/// keys [batch..., M, D] and values [batch..., M, E] into init
/// [batch..., N, E], and that the result type is init's.
static LogicalResult verifyAttentionShapes(Operation *op, Value query,
                                           Value key, Value value, Value init,
                                           Type resultType) {
  auto queryType = cast<RankedTensorType>(query.getType());
  auto keyType = cast<RankedTensorType>(key.getType());
  auto valueType = cast<RankedTensorType>(value.getType());
  auto initType = cast<RankedTensorType>(init.getType());
  if (failed(verifyRanks(op, queryType, keyType, valueType, initType)))
    return failure();
  int64_t rank = queryType.getRank(), numBatch = rank - 2;
  if (failed(verifyBatchDims(op, "key", keyType.getShape(), queryType,
                             numBatch)) ||
      failed(verifyBatchDims(op, "value", valueType.getShape(), queryType,
                             numBatch)) ||
      failed(verifyBatchDims(op, "init", initType.getShape(), queryType,
                             numBatch)))
    return failure();
  int64_t d = queryType.getDimSize(rank - 1);
  int64_t m = keyType.getDimSize(rank - 2);
  if (!areDimsCompatible(keyType.getDimSize(rank - 1), d))
    return op->emitOpError("expects the head dimension D of key (")
           << formatDim(keyType.getDimSize(rank - 1)) << ") to match query ("
           << formatDim(d) << ")";
  if (!areDimsCompatible(valueType.getDimSize(rank - 2), m))
    return op->emitOpError("expects value to have as many rows M as key, got ")
           << formatDim(valueType.getDimSize(rank - 2)) << " and "
           << formatDim(m);
  if (failed(verifyInitShape(op, initType, queryType.getDimSize(rank - 2),
                             valueType.getDimSize(rank - 1))))
    return failure();
  return verifyResultType(op, resultType, initType);
}

/// Checks an optional `scale` attribute: finite and positive.
static LogicalResult verifyScale(Operation *op, std::optional<APFloat> scale) {
  if (!scale || (scale->isFiniteNonZero() && !scale->isNegative()))
    return success();
  return op->emitOpError("expects 'scale' to be finite and positive, got ")
         << scale->convertToDouble();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQuery(), getKey(), getValue(),
                                   getInit(), getType())))
    return failure();
  RankedTensorType queryType = getQueryType();
  int64_t m = getKeyType().getDimSize(queryType.getRank() - 2);
  if (m == 0)
    return emitOpError("expects at least one key (M > 0)");
  if (failed(verifyKeyMask(*this, getMask(), queryType, m, "M")))
    return failure();

  if (failed(verifyScale(*this, getScale())))
    return failure();
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

//===----------------------------------------------------------------------===//
// NystromAttentionOp
//===----------------------------------------------------------------------===//

LogicalResult NystromAttentionOp::verify() {
  RankedTensorType queryType = getQueryType(), initType = getInitType();
  auto keyType = cast<RankedTensorType>(getKey().getType());
  auto valueType = cast<RankedTensorType>(getValue().getType());
  if (failed(verifyRanks(*this, queryType, keyType, valueType, initType)))
    return failure();
  int64_t rank = queryType.getRank(), numBatch = rank - 2;
  if (failed(verifyBatchDims(*this, "value", valueType.getShape(), queryType,
                             numBatch)) ||
      failed(verifyBatchDims(*this, "init", initType.getShape(), queryType,
                             numBatch)))
    return failure();
  for (int64_t i = 0; i < rank; ++i) {
    if (!areDimsCompatible(keyType.getDimSize(i), queryType.getDimSize(i)))
      return emitOpError("expects key of the same shape as query, got ")
             << keyType << " and " << queryType;
  }
  int64_t n = queryType.getDimSize(rank - 2);
  if (ShapedType::isDynamic(n))
    return emitOpError("expects a static sequence length N (landmark "
                       "segments are fixed at compile time)");
  if (!areDimsCompatible(valueType.getDimSize(rank - 2), n))
    return emitOpError("expects value to have N = ")
           << n << " rows, got " << formatDim(valueType.getDimSize(rank - 2));
  if (failed(verifyInitShape(*this, initType, n,
                             valueType.getDimSize(rank - 1))) ||
      failed(verifyKeyMask(*this, getMask(), queryType, n, "N")))
    return failure();

  int64_t landmarks = getNumLandmarksAttr().getInt();
  if (landmarks < 1 || landmarks > n)
    return emitOpError("expects 'num_landmarks' in [1, N = ")
           << n << "], got " << landmarks;
  if (int64_t iterations = getPinvIterationsAttr().getInt(); iterations < 0)
    return emitOpError("expects 'pinv_iterations' >= 0, got ") << iterations;
  if (getPinvInit() != "original" && getPinvInit() != "exact")
    return emitOpError("expects 'pinv_init' to be \"original\" or "
                       "\"exact\", got \"")
           << getPinvInit() << "\"";

  if (Value weight = getConvWeight()) {
    auto weightType = cast<RankedTensorType>(weight.getType());
    if (numBatch < 1)
      return emitOpError("expects a head (batch) dimension for 'conv_weight'");
    if (weightType.getRank() != 2)
      return emitOpError("expects conv_weight of shape [H, ks], got ")
             << weightType;
    if (!areDimsCompatible(weightType.getDimSize(0),
                           queryType.getDimSize(numBatch - 1)))
      return emitOpError("expects conv_weight to have one row per head (H = ")
             << formatDim(queryType.getDimSize(numBatch - 1)) << "), got "
             << formatDim(weightType.getDimSize(0));
    int64_t kernel = weightType.getDimSize(1);
    if (ShapedType::isDynamic(kernel) || kernel % 2 == 0)
      return emitOpError("expects an odd, static conv kernel size, got ")
             << formatDim(kernel);
    if (weightType.getElementType() != queryType.getElementType())
      return emitOpError("expects conv_weight of the query's element type, "
                         "got ")
             << weightType.getElementType();
  }
  return verifyResultType(*this, getType(), initType);
}

LogicalResult NystromAttentionOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// YosoAttentionOp
//===----------------------------------------------------------------------===//

/// Bounds `num_hashes` so that num_hashes * hash_bits and the hash-part count
/// stay far from overflow (the authors use 8 to 64 hashes).
static constexpr int64_t kMaxNumHashes = int64_t(1) << 16;

LogicalResult YosoAttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQuery(), getKey(), getValue(),
                                   getInit(), getType())))
    return failure();
  RankedTensorType queryType = getQueryType();
  int64_t rank = queryType.getRank(), numBatch = rank - 2;
  int64_t n = queryType.getDimSize(rank - 2),
          d = queryType.getDimSize(rank - 1);
  int64_t m = cast<RankedTensorType>(getKey().getType()).getDimSize(rank - 2);
  if (getMask()) {
    // Queries read the mask at query_offset + i; without an offset they are
    // the keys themselves.
    if (!getQueryOffset() && !areDimsCompatible(n, m))
      return emitOpError("expects as many keys as queries with a mask (it "
                         "masks both), got N = ")
             << formatDim(n) << " and M = " << formatDim(m);
    if (failed(verifyKeyMask(*this, getMask(), queryType, m, "M")))
      return failure();
  } else if (getQueryOffset()) {
    return emitOpError("expects 'query_offset' only together with a mask");
  }

  int64_t bits = getHashBitsAttr().getInt();
  if (bits < 1 || bits > 16)
    return emitOpError("expects 'hash_bits' in [1, 16], got ") << bits;
  if (int64_t version = getVersionAttr().getInt(); version != 1 && version != 2)
    return emitOpError("expects 'version' 1 or 2, got ") << version;
  StringRef mode = getMode();
  if (mode == "expectation") {
    if (getProjection() || getHadamardDiagonals() || getNumHashes())
      return emitOpError("expects 'num_hashes', 'projection' and "
                         "'hadamard_diagonals' only with mode = \"lsh\"");
  } else if (mode == "lsh") {
    if (!getNumHashes() ||
        bool(getProjection()) == bool(getHadamardDiagonals()))
      return emitOpError("expects 'num_hashes' and either a 'projection' or "
                         "'hadamard_diagonals' operand with mode = \"lsh\"");
    int64_t hashes = getNumHashesAttr().getInt();
    if (hashes < 1 || hashes > kMaxNumHashes)
      return emitOpError("expects 'num_hashes' in [1, ")
             << kMaxNumHashes << "], got " << hashes;
    if (Value projection = getProjection()) {
      auto projectionType = cast<RankedTensorType>(projection.getType());
      int64_t projectionRank = projectionType.getRank();
      if (projectionRank != 2 && projectionRank != rank)
        return emitOpError("expects a projection of shape [D, num_hashes * "
                           "hash_bits] or [batch..., D, num_hashes * "
                           "hash_bits], got ")
               << projectionType;
      if (projectionRank == rank &&
          failed(verifyBatchDims(*this, "projection", projectionType.getShape(),
                                 queryType, numBatch)))
        return failure();
      int64_t rows = projectionType.getDimSize(projectionRank - 2);
      int64_t cols = projectionType.getDimSize(projectionRank - 1);
      if (!areDimsCompatible(rows, d) ||
          !areDimsCompatible(cols, hashes * bits))
        return emitOpError("expects a projection of shape [..., D = ")
               << formatDim(d) << ", num_hashes * hash_bits = " << hashes * bits
               << "], got [..., " << formatDim(rows) << ", " << formatDim(cols)
               << "]";
    } else {
      if (ShapedType::isDynamic(d) || !llvm::isPowerOf2_64(d) || d < bits)
        return emitOpError("expects a static power-of-two head dimension D "
                           ">= hash_bits for 'hadamard_diagonals', got ")
               << formatDim(d);
      int64_t perPart = d / bits;
      int64_t parts = (hashes + perPart - 1) / perPart;
      auto diagonalsType =
          cast<RankedTensorType>(getHadamardDiagonals().getType());
      int64_t diagonalsRank = diagonalsType.getRank();
      if (diagonalsRank != 3 && diagonalsRank != rank + 1)
        return emitOpError("expects hadamard_diagonals of shape [3, P, D] or "
                           "[batch..., 3, P, D], got ")
               << diagonalsType;
      if (diagonalsRank == rank + 1 &&
          failed(verifyBatchDims(*this, "hadamard_diagonals",
                                 diagonalsType.getShape(), queryType,
                                 numBatch)))
        return failure();
      ArrayRef<int64_t> tail = diagonalsType.getShape().take_back(3);
      if (tail[0] != 3 || tail[1] != parts || tail[2] != d)
        return emitOpError("expects hadamard_diagonals of shape [..., 3, P = ")
               << parts << ", D = " << d << "], got " << diagonalsType;
    }
  } else {
    return emitOpError("expects 'mode' to be \"expectation\" or \"lsh\", "
                       "got \"")
           << mode << "\"";
  }
  return success();
}

LogicalResult
YosoAttentionOp::reifyResultShapes(OpBuilder &b,
                                   ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// MraAttentionOp
//===----------------------------------------------------------------------===//

/// Bound on N / block_size: the nb x nb grid of block indices stays well
/// inside 32-bit block indices and 64-bit counts.
static constexpr int64_t kMaxBlockRows = int64_t(1) << 20;

int64_t MraAttentionOp::getNumBlockRows() {
  int64_t n = getQueryType().getDimSize(getNumBatchDims());
  return n / getBlockSizeAttr().getInt();
}

int64_t MraAttentionOp::getNumSelectedBlocks() {
  int64_t rows = getNumBlockRows();
  if (IntegerAttr count = getNumBlocksAttr())
    return count.getInt();
  return std::min(getBlocksPerRowAttr().getInt(), rows) * rows;
}

LogicalResult MraAttentionOp::verify() {
  if (failed(verifyAttentionShapes(*this, getQuery(), getKey(), getValue(),
                                   getInit(), getType())))
    return failure();
  RankedTensorType queryType = getQueryType();
  int64_t rank = queryType.getRank();
  int64_t n = queryType.getDimSize(rank - 2);
  int64_t m = cast<RankedTensorType>(getKey().getType()).getDimSize(rank - 2);
  if (ShapedType::isDynamic(n))
    return emitOpError("expects a static sequence length N (the block grid "
                       "is fixed at compile time)");
  if (!areDimsCompatible(n, m))
    return emitOpError("expects as many keys as queries (one padded "
                       "sequence), got N = ")
           << n << " and M = " << formatDim(m);
  if (failed(verifyKeyMask(*this, getMask(), queryType, n, "N")) ||
      failed(verifyScale(*this, getScale())))
    return failure();

  int64_t blockSize = getBlockSizeAttr().getInt();
  if (blockSize < 1)
    return emitOpError("expects 'block_size' >= 1, got ") << blockSize;
  if (n == 0 || n % blockSize != 0)
    return emitOpError("expects the sequence length N = ")
           << n << " to be a positive multiple of 'block_size' = " << blockSize
           << " (pad the sequence and mask the padding)";
  int64_t rows = n / blockSize;
  if (rows > kMaxBlockRows)
    return emitOpError("expects at most ")
           << kMaxBlockRows << " block rows (N / block_size), got " << rows;
  IntegerAttr count = getNumBlocksAttr(), perRow = getBlocksPerRowAttr();
  if (bool(count) == bool(perRow))
    return emitOpError("expects exactly one of 'num_blocks' and "
                       "'blocks_per_row'");
  if (count && (count.getInt() < 1 || count.getInt() > rows * rows))
    return emitOpError("expects 'num_blocks' in [1, (N / block_size)^2 = ")
           << rows * rows << "], got " << count.getInt();
  if (perRow && perRow.getInt() < 1)
    return emitOpError("expects 'blocks_per_row' >= 1, got ")
           << perRow.getInt();
  if (getMode() != "full" && getMode() != "sparse")
    return emitOpError("expects 'mode' to be \"full\" or \"sparse\", got \"")
           << getMode() << "\"";
  int64_t first = getPriorFirstBlocksAttr().getInt();
  int64_t diagonal = getPriorDiagonalBlocksAttr().getInt();
  if (first < 0 || diagonal < 0)
    return emitOpError("expects 'prior_first_blocks' and "
                       "'prior_diagonal_blocks' >= 0, got ")
           << first << " and " << diagonal;
  return success();
}

LogicalResult
MraAttentionOp::reifyResultShapes(OpBuilder &b,
                                  ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// BlockSparseAttentionOp
//===----------------------------------------------------------------------===//

/// Checks that `type` has the shape `expected` where both sizes are known
/// (kDynamic in `expected`: any size), naming the operand `name`.
static LogicalResult verifyOperandShape(Operation *op, StringRef name,
                                        RankedTensorType type,
                                        ArrayRef<int64_t> expected) {
  if (type.getRank() == static_cast<int64_t>(expected.size()) &&
      llvm::all_of(llvm::zip(type.getShape(), expected), [](auto pair) {
        return areDimsCompatible(std::get<0>(pair), std::get<1>(pair));
      }))
    return success();
  return op->emitOpError("expects ")
         << name << " of shape " << formatShape(expected) << ", got " << type;
}

LogicalResult BlockSparseAttentionOp::verify() {
  int64_t blockSize = getBlockSize();
  if (blockSize < 1)
    return emitOpError("expects 'block_size' >= 1, got ") << blockSize;
  RankedTensorType queryType = getQuery().getType();
  if (queryType.getRank() != 3)
    return emitOpError("expects query of rank 3 ([BH, N, D]), got ")
           << queryType;
  int64_t bh = queryType.getDimSize(0), n = queryType.getDimSize(1),
          d = queryType.getDimSize(2);
  if (ShapedType::isDynamic(n) || n == 0 || n % blockSize != 0)
    return emitOpError("expects a static sequence length N that is a "
                       "positive multiple of 'block_size' = ")
           << blockSize << ", got " << formatDim(n);
  int64_t rows = n / blockSize;
  RankedTensorType valueType = getValue().getType();
  int64_t e =
      valueType.getRank() == 3 ? valueType.getDimSize(2) : ShapedType::kDynamic;
  int64_t c = getColumns().getType().getRank() == 3
                  ? getColumns().getType().getDimSize(2)
                  : ShapedType::kDynamic;
  Operation *op = getOperation();
  if (failed(verifyOperandShape(op, "key", getKey().getType(), {bh, n, d})) ||
      failed(verifyOperandShape(op, "value", valueType, {bh, n, e})) ||
      failed(verifyOperandShape(op, "columns", getColumns().getType(),
                                {bh, rows, c})) ||
      failed(verifyOperandShape(op, "counts", getCounts().getType(),
                                {bh, rows})) ||
      failed(verifyOperandShape(op, "result", getType(), {bh, n, e})))
    return failure();
  if (Value mask = getMask())
    if (failed(verifyOperandShape(
            op, "mask", cast<RankedTensorType>(mask.getType()), {bh, n})))
      return failure();
  int present = bool(getLoNum()) + bool(getLoDen()) + bool(getLoMax());
  if (present == 0)
    return success();
  if (present != 3)
    return emitOpError("expects all three low-resolution operands (lo_num, "
                       "lo_den, lo_max) or none");
  if (failed(verifyOperandShape(op, "lo_num", getLoNum().getType(),
                                {bh, rows, e})) ||
      failed(
          verifyOperandShape(op, "lo_den", getLoDen().getType(), {bh, rows})) ||
      failed(
          verifyOperandShape(op, "lo_max", getLoMax().getType(), {bh, rows})))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// KthLargestOp
//===----------------------------------------------------------------------===//

LogicalResult KthLargestOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() != 2)
    return emitOpError("expects input of rank 2 ([R, L]), got ") << inputType;
  int64_t length = inputType.getDimSize(1);
  if (ShapedType::isDynamic(length))
    return emitOpError("expects a static row length L, got ") << inputType;
  int64_t k = getK();
  if (k < 1 || k > length)
    return emitOpError("expects 1 <= 'k' <= L = ") << length << ", got " << k;
  return verifyOperandShape(getOperation(), "result", getType(),
                            {inputType.getDimSize(0)});
}

//===----------------------------------------------------------------------===//
// LookupFfnOp
//===----------------------------------------------------------------------===//

/// The largest code_bits: 2^16 rows per table.
static constexpr int64_t kMaxCodeBits = 16;

/// Checks that `value` has exactly `shape` (static), naming it `name`.
static LogicalResult verifyExactShape(Operation *op, StringRef name,
                                      RankedTensorType type,
                                      ArrayRef<int64_t> shape) {
  if (type.getShape() == shape)
    return success();
  return op->emitOpError("expects ")
         << name << " of shape " << formatShape(shape) << ", got " << type;
}

LogicalResult LookupFfnOp::verify() {
  RankedTensorType inputType = getInputType(), initType = getInitType();
  RankedTensorType tablesType = getTablesType();
  int64_t rank = inputType.getRank();
  if (rank < 2)
    return emitOpError("expects input [tokens..., D] of rank >= 2, got ")
           << inputType;
  int64_t d = inputType.getDimSize(rank - 1);
  if (ShapedType::isDynamic(d))
    return emitOpError("expects a static input dimension D, got ") << inputType;
  int64_t bits = getCodeBits();
  if (bits < 1 || bits > kMaxCodeBits)
    return emitOpError("expects 'code_bits' in [1, ")
           << kMaxCodeBits << "], got " << bits;
  if (tablesType.getRank() != 3 || !tablesType.hasStaticShape())
    return emitOpError("expects static tables [T, 2^code_bits, D_out], got ")
           << tablesType;
  int64_t tables = tablesType.getDimSize(0);
  int64_t dOut = tablesType.getDimSize(2);
  if (tablesType.getDimSize(1) != (int64_t(1) << bits))
    return emitOpError("expects tables of 2^code_bits = ")
           << (int64_t(1) << bits) << " rows, got " << tablesType.getDimSize(1);
  if (tables < 1 || dOut < 1)
    return emitOpError("expects at least one table and D_out >= 1, got ")
           << tablesType;
  if (failed(verifyExactShape(*this, "bias", getBias().getType(), {dOut})))
    return failure();
  if (initType.getRank() != rank ||
      !areDimsCompatible(initType.getDimSize(rank - 1), dOut))
    return emitOpError("expects init [tokens..., D_out = ")
           << dOut << "], got " << initType;
  for (int64_t i = 0; i + 1 < rank; ++i)
    if (!areDimsCompatible(initType.getDimSize(i), inputType.getDimSize(i)))
      return emitOpError("expects init's token dimensions to match input's, "
                         "got ")
             << initType << " and " << inputType;
  if (failed(verifyResultType(*this, getType(), initType)))
    return failure();

  int64_t width = tables * bits;
  if (failed(verifyExactShape(*this, "proj_bias", getProjBias().getType(),
                              {width})))
    return failure();
  auto weightType = cast<RankedTensorType>(getProjWeight().getType());
  if (getProjection() == "dense")
    return verifyExactShape(*this, "proj_weight (dense: [T*code_bits, D])",
                            weightType, {width, d});
  if (getProjection() != "bh4")
    return emitOpError("expects 'projection' to be \"dense\" or \"bh4\", "
                       "got \"")
           << getProjection() << "\"";
  float decay = getDecay().convertToFloat();
  if (!(decay >= 0.0f && decay <= 1.0f))
    return emitOpError("expects 'decay' in [0, 1], got ") << decay;
  int64_t padded = llvm::PowerOf2Ceil(d);
  if (weightType.getRank() != 5 || !weightType.hasStaticShape() ||
      weightType.getDimSize(1) != 4 ||
      weightType.getDimSize(3) != weightType.getDimSize(4) ||
      weightType.getDimSize(2) * weightType.getDimSize(3) != padded)
    return emitOpError("expects proj_weight (bh4) of shape [R, 4, P/bs, bs, "
                       "bs] with P = ")
           << padded << ", got " << weightType;
  int64_t repeats = llvm::divideCeil(width, padded);
  if (weightType.getDimSize(0) != repeats)
    return emitOpError("expects proj_weight (bh4) to hold R = ceil(T*code_bits "
                       "/ P) = ")
           << repeats << " repeats, got " << weightType.getDimSize(0);
  return success();
}

LogicalResult
LookupFfnOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

int64_t QuantizeOp::getPercentileRank() {
  double beta = getBeta().convertToDouble();
  if (beta == 1.0)
    return 1;
  // Python's int(numel * (1 - beta)), as the authors compute it.
  return static_cast<int64_t>(
      static_cast<double>(getInputType().getNumElements()) * (1.0 - beta));
}

LogicalResult QuantizeOp::verify() {
  RankedTensorType inputType = getInputType();
  if (!inputType.hasStaticShape())
    return emitOpError("expects a static input shape (the percentile rank is "
                       "fixed at compile time), got ")
           << inputType;
  // The element count must not overflow (it sizes the percentile rank).
  int64_t numel = 1;
  for (int64_t size : inputType.getShape()) {
    std::optional<int64_t> product = llvm::checkedMul(numel, size);
    if (!product || *product > (int64_t(1) << 48))
      return emitOpError("expects at most 2^48 elements, got ") << inputType;
    numel = *product;
  }
  if (inputType.getRank() < 1 || numel == 0)
    return emitOpError("expects a non-empty input of rank >= 1, got ")
           << inputType;
  auto initType = cast<RankedTensorType>(getInit().getType());
  if (initType.getShape() != inputType.getShape())
    return emitOpError("expects init of the input's shape, got ")
           << initType << " for " << inputType;
  if (getResult().getType() != initType ||
      getScale().getType() != getScaleInit().getType())
    return emitOpError("expects the result types to match the inits");
  double beta = getBeta().convertToDouble();
  if (!(beta > 0.0 && beta <= 1.0))
    return emitOpError("expects 'beta' in (0, 1], got ") << beta;
  if (int64_t levels = getLevelsAttr().getInt(); levels < 1)
    return emitOpError("expects 'levels' >= 1, got ") << levels;
  if (getPercentileRank() < 1)
    return emitOpError("expects 'beta' to leave at least one entry above "
                       "the percentile (int(numel * (1 - beta)) >= 1), got "
                       "numel = ")
           << inputType.getNumElements() << " and beta = " << beta;
  return success();
}

LogicalResult
QuantizeOp::reifyResultShapes(OpBuilder &b,
                              ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  reifiedShapes.push_back({});
  return success();
}

//===----------------------------------------------------------------------===//
// UnpackedMatmulOp
//===----------------------------------------------------------------------===//

/// Checks IM-Unpack's bit width: 2, 4 or 8.
static LogicalResult verifyUnpackBits(Operation *op, int64_t bits) {
  if (bits == 2 || bits == 4 || bits == 8)
    return success();
  return op->emitOpError("expects 'bits' to be 2, 4 or 8, got ") << bits;
}

/// Verifies the operands and attributes unpacked_matmul and unpacked_sizes
/// share.
static LogicalResult verifyUnpackOperands(Operation *op,
                                          RankedTensorType lhsType,
                                          RankedTensorType rhsType,
                                          int64_t bits, StringRef strategy) {
  if (lhsType.getRank() != 2 || rhsType.getRank() != 2)
    return op->emitOpError("expects lhs [M, K] and rhs [N, K] of rank 2, got ")
           << lhsType << " and " << rhsType;
  int64_t k = lhsType.getDimSize(1);
  if (ShapedType::isDynamic(k) || !areDimsCompatible(rhsType.getDimSize(1), k))
    return op->emitOpError("expects a static inner dimension K shared by lhs "
                           "and rhs, got ")
           << formatDim(k) << " and " << formatDim(rhsType.getDimSize(1));
  if (failed(verifyUnpackBits(op, bits)))
    return failure();
  if (strategy != "row" && strategy != "column" && strategy != "both")
    return op->emitOpError("expects 'strategy' to be \"row\", \"column\" or "
                           "\"both\", got \"")
           << strategy << "\"";
  int64_t digit = (int64_t(1) << (bits - 1)) - 1;
  if (k > ((int64_t(1) << 31) - 1) / (digit * digit))
    return op->emitOpError("expects K * (2^(bits-1) - 1)^2 < 2^31 so that the "
                           "i32 accumulation is exact, got K = ")
           << k;
  return success();
}

LogicalResult UnpackedMatmulOp::verify() {
  auto lhsType = cast<RankedTensorType>(getLhs().getType());
  auto rhsType = cast<RankedTensorType>(getRhs().getType());
  auto initType = cast<RankedTensorType>(getInit().getType());
  if (failed(verifyUnpackOperands(*this, lhsType, rhsType,
                                  getBitsAttr().getInt(), getStrategy())))
    return failure();
  if (initType.getRank() != 2 ||
      !areDimsCompatible(initType.getDimSize(0), lhsType.getDimSize(0)) ||
      !areDimsCompatible(initType.getDimSize(1), rhsType.getDimSize(0)))
    return emitOpError("expects init of shape [M, N] = [")
           << formatDim(lhsType.getDimSize(0)) << ", "
           << formatDim(rhsType.getDimSize(0)) << "], got " << initType;
  return verifyResultType(*this, getType(), initType);
}

LogicalResult UnpackedMatmulOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// UnpackedSizesOp
//===----------------------------------------------------------------------===//

LogicalResult UnpackedSizesOp::verify() {
  auto initType = cast<RankedTensorType>(getInit().getType());
  if (failed(verifyUnpackOperands(*this,
                                  cast<RankedTensorType>(getLhs().getType()),
                                  cast<RankedTensorType>(getRhs().getType()),
                                  getBitsAttr().getInt(), getStrategy())))
    return failure();
  if (initType.getRank() != 1 || initType.getDimSize(0) != 3)
    return emitOpError("expects init of shape [3] (M', N', K''), got ")
           << initType;
  return verifyResultType(*this, getType(), initType);
}

LogicalResult
UnpackedSizesOp::reifyResultShapes(OpBuilder &b,
                                   ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

//===----------------------------------------------------------------------===//
// MultiplyAddPairsOp
//===----------------------------------------------------------------------===//

LogicalResult MultiplyAddPairsOp::verify() {
  int64_t pairs = getLhs().getType().getNumElements();
  int64_t lanes = getAcc().getType().getNumElements();
  if (pairs != 2 * lanes)
    return emitOpError("expects i16 operands of twice the lanes of the "
                       "accumulator, got ")
           << pairs << " and " << lanes;
  return success();
}

//===----------------------------------------------------------------------===//
// FailIfOp
//===----------------------------------------------------------------------===//

LogicalResult FailIfOp::verify() {
  if (getStatus() < EFFATTN_ERROR_NULL_ARGUMENT ||
      getStatus() > EFFATTN_ERROR_OUT_OF_RANGE)
    return emitOpError("expects 'status' to be an effattn_status error code "
                       "(1 to ")
           << static_cast<int>(EFFATTN_ERROR_OUT_OF_RANGE) << "), got "
           << getStatus();
  if (getMessage().empty())
    return emitOpError("expects a non-empty message");
  return success();
}

#define GET_OP_CLASSES
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.cpp.inc"
