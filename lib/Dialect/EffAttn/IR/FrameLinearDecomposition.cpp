//===- FrameLinearDecomposition.cpp - FrameQuant's linear layer -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.frame_linear into the input transform, the product on
// the packed codes and the output transform, on tensors:
//
// - transforms, per activation row as parallel tasks: sign flips (a
//   linalg.generic with the ±1 constant), the Walsh-Hadamard transform
//   (WalshHadamard.h), and the 16-wide frame blocks as one contraction with
//   the groups innermost: a constant [2k, 16, 1] when all groups share one
//   block (k divides 8, e.g. redundancy 1), else [2k, 16, groups]; the
//   Hadamard normalisation is folded into it;
// - the product: FramePackedProduct.h (vector code; the kernel and register
//   tile come from the module's #effattn.cpu target).
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/FramePackedProduct.h"
#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"
#include "effattn/FrameQuant/Frames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

namespace {
/// Emits one frame_linear op.
class FrameLinearBuilder {
public:
  FrameLinearBuilder(OpBuilder &b, Location loc, FrameQuantConfig config,
                     ButterflyKind butterflies)
      : b(b), loc(loc), config(config), butterflies(butterflies),
        lb(b, loc, {}) {}

  /// Returns `transform` applied to each row of x [B, cols] as parallel
  /// tasks: [B, resultCols]. With gather butterflies (GPU) the transform
  /// applies to all rows at once: each of its linalg ops is then a kernel
  /// over the whole batch.
  Value byRows(Value x, int64_t resultCols,
               function_ref<Value(Value)> transform);
  /// Returns T·x [B, C] for x [B, dim], zero-padded to `paddedCols`.
  Value project(Value x, int64_t dim, uint32_t seed, int64_t paddedCols);
  /// Returns Tᵀ·y [B, dim] for y [B, frame dim].
  Value projectBack(Value y, int64_t dim, uint32_t seed);

private:
  /// Returns the ±1 diagonal of `seed` over p entries as an f32 constant.
  Value signs(uint32_t seed, int64_t p);
  /// Returns x [B, groups, p] times the signs of the chunk.
  Value flipSigns(Value x, uint32_t seed);
  /// Returns the frame blocks of `dim` times `normalization` as
  /// P[c, j, u] [2k, 16, groups], or [2k, 16, 1] when all groups share
  /// one block (k divides 8, e.g. redundancy 1).
  Value frameBlocks(int64_t dim, double normalization);
  /// Returns x [B, m, n] transposed to [B, n, m].
  Value transposeLast(Value x);
  /// Applies the blocks to x [B, 16, groups] (forward: [B, 2k, groups]) or,
  /// with `transpose`, their transpose to x [B, 2k, groups] (-> [B, 16,
  /// groups]).
  Value applyBlocks(Value x, Value blocks, bool transpose);
  /// Returns x reshaped (row-major) to `shape`.
  Value reshape(Value x, ArrayRef<int64_t> shape);
  /// Returns an f32 tensor of zeros with x's leading (batch) size and the
  /// given trailing sizes.
  Value zeros(Value like, ArrayRef<int64_t> trailing);

  OpBuilder &b;
  Location loc;
  FrameQuantConfig config;
  ButterflyKind butterflies;
  BatchedLinalgBuilder lb;
};
} // namespace

Value FrameLinearBuilder::byRows(Value x, int64_t resultCols,
                                 function_ref<Value(Value)> transform) {
  if (butterflies == ButterflyKind::Gather)
    return transform(x);
  OpFoldResult numRows = tensor::getMixedSize(b, loc, x, 0);
  Value init = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{numRows, b.getIndexAttr(resultCols)},
      b.getF32Type());
  auto forall =
      scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
                            ArrayRef<OpFoldResult>{numRows},
                            ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
                            ValueRange{init}, /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value row = forall.getInductionVar(0);
  // Row `row` of a [B, cols] tensor.
  auto rowOf = [&](int64_t cols) {
    return std::make_tuple(
        SmallVector<OpFoldResult>{row, b.getIndexAttr(0)},
        SmallVector<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(cols)},
        SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
  };
  auto [offsets, sizes, strides] =
      rowOf(cast<RankedTensorType>(x.getType()).getDimSize(1));
  Value rows =
      tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  Value result = transform(rows);
  auto [outOffsets, outSizes, outStrides] = rowOf(resultCols);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, result,
                                        forall.getRegionIterArgs()[0],
                                        outOffsets, outSizes, outStrides);
  return forall.getResult(0);
}

Value FrameLinearBuilder::signs(uint32_t seed, int64_t p) {
  SmallVector<float> values;
  for (int8_t sign : buildSignDiagonal(seed, p))
    values.push_back(sign);
  auto type = RankedTensorType::get({p}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef(values)));
}

Value FrameLinearBuilder::flipSigns(Value x, uint32_t seed) {
  auto type = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap chunk = AffineMap::get(3, 0, getAffineDimExpr(2, ctx));
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                       type.getElementType());
  return lb.generic({x, signs(seed, type.getDimSize(2))}, init,
                    {identity, chunk, identity},
                    SmallVector<IteratorType>(3, IteratorType::parallel),
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::MulFOp::create(nb, l, a[0], a[1]);
                    });
}

Value FrameLinearBuilder::frameBlocks(int64_t dim, double normalization) {
  FrameBlocks blocks =
      buildFrameBlocks(dim, config.redundancy, /*float32Angles=*/false);
  // Block u depends on 8u mod k only: one block for all groups when k
  // divides 8u for every u.
  int64_t groups = blocks.getNumGroups();
  int64_t distinct =
      blocks.k / std::gcd<int64_t>(8, blocks.k) == 1 ? 1 : groups;
  SmallVector<float> values;
  for (int64_t c = 0; c < 2 * blocks.k; ++c)
    for (int64_t j = 0; j < 16; ++j)
      for (int64_t u = 0; u < distinct; ++u)
        values.push_back(
            static_cast<float>(blocks.at(u, c, j) * normalization));
  auto type =
      RankedTensorType::get({2 * blocks.k, 16, distinct}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef(values)));
}

Value FrameLinearBuilder::transposeLast(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  std::swap(sizes[1], sizes[2]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, x, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      .getResult()[0];
}

Value FrameLinearBuilder::applyBlocks(Value x, Value blocks, bool transpose) {
  MLIRContext *ctx = b.getContext();
  auto blocksType = cast<RankedTensorType>(blocks.getType());
  int64_t groups = cast<RankedTensorType>(x.getType()).getDimSize(2);
  int64_t outer = transpose ? 16 : blocksType.getDimSize(0);
  // Loops (b, o, r, u) with r reduced and u innermost, contiguous in x, the
  // result and (when they differ per group) the blocks:
  // forward  out[b, c, u] = Σ_j P[c, j, u] · x[b, j, u];
  // inverse  out[b, j, u] = Σ_c P[c, j, u] · x[b, c, u].
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineExpr group =
      blocksType.getDimSize(2) == 1 ? getAffineConstantExpr(0, ctx) : d(3);
  AffineMap blockMap = transpose
                           ? AffineMap::get(4, 0, {d(2), d(1), group}, ctx)
                           : AffineMap::get(4, 0, {d(1), d(2), group}, ctx);
  AffineMap rows = AffineMap::get(4, 0, {d(0), d(2), d(3)}, ctx);
  AffineMap result = AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx);
  return lb.generic(
      {x, blocks}, zeros(x, {outer, groups}), {rows, blockMap, result},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
       IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value product =
            arith::MulFOp::create(nb, l, a[0], a[1], kContractionFastMath);
        return arith::AddFOp::create(nb, l, a[2], product,
                                     kContractionFastMath);
      });
}

Value FrameLinearBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  // [B, a, b, ...] -> [B, a·b·...] -> [B, shape...].
  Value flat = x;
  if (type.getRank() > 2) {
    SmallVector<ReassociationIndices> groups{
        {0}, llvm::to_vector(llvm::seq<int64_t>(1, type.getRank()))};
    flat = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  if (shape.size() == 1)
    return flat;
  SmallVector<int64_t> resultShape{type.getDimSize(0)};
  llvm::append_range(resultShape, shape);
  SmallVector<ReassociationIndices> groups{
      {0}, llvm::to_vector(llvm::seq<int64_t>(1, shape.size() + 1))};
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(resultShape, type.getElementType()), flat,
      groups);
}

Value FrameLinearBuilder::zeros(Value like, ArrayRef<int64_t> trailing) {
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, like, 0)};
  for (int64_t size : trailing)
    sizes.push_back(b.getIndexAttr(size));
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, lb.constant(0.0f), empty).getResult(0);
}

Value FrameLinearBuilder::project(Value x, int64_t dim, uint32_t seed,
                                  int64_t paddedCols) {
  int64_t p = getHadamardChunk(dim);
  int64_t groups = dim / 16;
  Value hadamard = buildWalshHadamard(
      b, loc, flipSigns(reshape(x, {dim / p, p}), seed), butterflies);
  // [B, groups, 16] -> [B, 16, groups] -> blocks -> [B, 2k, groups].
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)));
  Value transformed = applyBlocks(
      transposeLast(reshape(hadamard, {groups, 16})), blocks, false);
  int64_t cols =
      cast<RankedTensorType>(blocks.getType()).getDimSize(0) * groups;
  Value flat = reshape(transformed, {cols});
  if (cols == paddedCols)
    return flat;
  Value padded = zeros(x, {paddedCols});
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, x, 0),
                                  b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, flat, padded, offsets, sizes,
                                       strides);
}

Value FrameLinearBuilder::projectBack(Value y, int64_t dim, uint32_t seed) {
  int64_t p = getHadamardChunk(dim);
  int64_t groups = dim / 16;
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)));
  int64_t coefficients = cast<RankedTensorType>(blocks.getType()).getDimSize(0);
  // [B, 2k, groups] -> blocks -> [B, 16, groups] -> [B, groups, 16].
  Value grouped = transposeLast(
      applyBlocks(reshape(y, {coefficients, groups}), blocks, true));
  Value hadamard =
      buildWalshHadamard(b, loc, reshape(grouped, {dim / p, p}), butterflies);
  return reshape(flipSigns(hadamard, seed), {dim});
}

FailureOr<SmallVector<Value>> FrameLinearOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  FrameQuantConfig config = getConfig();
  RankedTensorType inputType = getInput().getType();
  unsigned numBatch = inputType.getRank() - 1;
  int64_t in = inputType.getDimSize(numBatch);
  int64_t out = getInit().getType().getDimSize(numBatch);
  auto codesType = cast<RankedTensorType>(getCodes().getType());
  ButterflyKind butterflies = chooseButterflyKind(*this);
  FrameLinearBuilder builder(b, loc, config, butterflies);

  Value x = collapseBatchDims(b, loc, getInput(), numBatch);
  int64_t paddedCols = getCodesPerWord(config.bits) * codesType.getDimSize(1);
  Value transformed = builder.byRows(x, paddedCols, [&](Value rows) {
    return builder.project(rows, in, config.seedIn, paddedCols);
  });
  Value y;
  if (butterflies == ButterflyKind::Gather) {
    y = buildGatherPackedProduct(b, loc, transformed, getCodes(), getScale(),
                                 getZero(), config.bits);
  } else {
    int64_t batchSize = cast<RankedTensorType>(x.getType()).getDimSize(0);
    PackedProductConfig product =
        choosePackedProductConfig(getCpuTarget(*this), codesType.getDimSize(0),
                                  config.bits, batchSize == 1);
    y = buildPackedProduct(b, loc, transformed, getCodes(), getScale(),
                           getZero(), config.bits, product);
  }
  if (config.seedOut)
    y = builder.byRows(y, out, [&](Value rows) {
      return builder.projectBack(rows, out, *config.seedOut);
    });
  return SmallVector<Value>{expandBatchDims(b, loc, y, getInit(), numBatch)};
}
