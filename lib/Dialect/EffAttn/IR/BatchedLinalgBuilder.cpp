//===- BatchedLinalgBuilder.cpp - linalg building blocks --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Returns the groups {0, ..., numBatch - 1}, {numBatch}, ... of a rank-`rank`
/// tensor with `numBatch` >= 1 leading batch dimensions.
static SmallVector<ReassociationIndices> batchGroups(unsigned numBatch,
                                                     int64_t rank) {
  SmallVector<ReassociationIndices> groups{
      llvm::to_vector(llvm::seq<int64_t>(0, numBatch))};
  for (int64_t i = numBatch; i < rank; ++i)
    groups.push_back({i});
  return groups;
}

/// Returns the groups {0, 1}, {2}, ... that add or drop a unit leading
/// dimension of a rank-`rank` tensor.
static SmallVector<ReassociationIndices> unitBatchGroups(int64_t rank) {
  SmallVector<ReassociationIndices> groups{{0, 1}};
  for (int64_t i = 2; i < rank; ++i)
    groups.push_back({i});
  return groups;
}

Value mlir::effattn::collapseBatchDims(OpBuilder &b, Location loc, Value x,
                                       unsigned numBatch) {
  auto type = cast<RankedTensorType>(x.getType());
  if (numBatch == 1)
    return x;
  if (numBatch == 0) {
    SmallVector<int64_t> shape{1};
    llvm::append_range(shape, type.getShape());
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), x,
        unitBatchGroups(type.getRank() + 1));
  }
  return tensor::CollapseShapeOp::create(b, loc, x,
                                         batchGroups(numBatch, type.getRank()));
}

Value mlir::effattn::expandBatchDims(OpBuilder &b, Location loc, Value x,
                                     Value like, unsigned numBatch) {
  auto type = cast<RankedTensorType>(x.getType());
  auto likeType = cast<RankedTensorType>(like.getType());
  auto resultType =
      RankedTensorType::get(likeType.getShape(), type.getElementType());
  if (numBatch == 1)
    return x;
  if (numBatch == 0)
    return tensor::CollapseShapeOp::create(b, loc, resultType, x,
                                           unitBatchGroups(type.getRank()));
  return tensor::ExpandShapeOp::create(
      b, loc, resultType, x, batchGroups(numBatch, likeType.getRank()),
      tensor::getMixedSizes(b, loc, like));
}

AffineMap BatchedLinalgBuilder::map(unsigned numTail,
                                    ArrayRef<unsigned> dims) const {
  unsigned numBatch = getNumBatch();
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < numBatch; ++i)
    exprs.push_back(b.getAffineDimExpr(i));
  for (unsigned dim : dims)
    exprs.push_back(b.getAffineDimExpr(numBatch + dim));
  return AffineMap::get(numBatch + numTail, 0, exprs, b.getContext());
}

AffineMap BatchedLinalgBuilder::scalarMap(unsigned numTail) const {
  return AffineMap::get(getNumBatch() + numTail, 0, b.getContext());
}

SmallVector<IteratorType>
BatchedLinalgBuilder::iterators(ArrayRef<IteratorType> tail) const {
  SmallVector<IteratorType> types(getNumBatch(), IteratorType::parallel);
  llvm::append_range(types, tail);
  return types;
}

SmallVector<OpFoldResult>
BatchedLinalgBuilder::sizes(ArrayRef<OpFoldResult> tail) const {
  SmallVector<OpFoldResult> result(batchSizes);
  llvm::append_range(result, tail);
  return result;
}

Value BatchedLinalgBuilder::constant(float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

Value BatchedLinalgBuilder::filled(ArrayRef<OpFoldResult> tail, Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes(tail), f32);
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

Value BatchedLinalgBuilder::toF32(OpBuilder &nb, Value v) const {
  return convertScalarToDtype(nb, v.getLoc(), v, f32,
                              /*isUnsignedCast=*/false);
}

Value BatchedLinalgBuilder::generic(
    ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
    ArrayRef<IteratorType> iteratorTypes,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto genericOp = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iteratorTypes, [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  return genericOp.getResult(0);
}

Value BatchedLinalgBuilder::matmul(Value lhs, Value rhs, bool transposeRhs,
                                   OpFoldResult rows, OpFoldResult cols) {
  return matmulInto(lhs, rhs, transposeRhs,
                    filled({rows, cols}, constant(0.0f)));
}

Value BatchedLinalgBuilder::matmulInto(Value lhs, Value rhs, bool transposeRhs,
                                       Value acc) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  auto body = [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
    Value prod = arith::MulFOp::create(nb, l, toF32(nb, a[0]), toF32(nb, a[1]),
                                       kContractionFastMath);
    return arith::AddFOp::create(nb, l, a[2], prod, kContractionFastMath);
  };
  // Loops (i, j, k) with rhs[j, k]: the reduction runs along contiguous rows
  // of both operands. Loops (i, k, j) with rhs[k, j]: the innermost loop runs
  // along rows of rhs and of the result.
  if (transposeRhs)
    return generic({lhs, rhs}, acc,
                   {map(3, {0, 2}), map(3, {1, 2}), map(3, {0, 1})},
                   iterators({par, par, red}), body);
  return generic({lhs, rhs}, acc,
                 {map(3, {0, 1}), map(3, {1, 2}), map(3, {0, 2})},
                 iterators({par, red, par}), body);
}

Value BatchedLinalgBuilder::rowMax(Value x, OpFoldResult rows) {
  return generic(
      {x}, filled({rows}, constant(-std::numeric_limits<float>::infinity())),
      {map(2, {0, 1}), map(2, {0})},
      iterators({IteratorType::parallel, IteratorType::reduction}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MaximumFOp::create(nb, l, a[0], a[1]);
      });
}

Value BatchedLinalgBuilder::rowSum(Value x, OpFoldResult rows) {
  return generic(
      {x}, filled({rows}, constant(0.0f)), {map(2, {0, 1}), map(2, {0})},
      iterators({IteratorType::parallel, IteratorType::reduction}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        // Reassociable: LLVM vectorizes the sum.
        return arith::AddFOp::create(nb, l, a[1], a[0], kContractionFastMath);
      });
}

Value BatchedLinalgBuilder::expShifted(Value x, Value rowValue) {
  return generic({rowValue}, x, {map(2, {0}), map(2, {0, 1})},
                 iterators({IteratorType::parallel, IteratorType::parallel}),
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value shifted = arith::SubFOp::create(nb, l, a[1], a[0]);
                   return math::ExpOp::create(nb, l, shifted);
                 });
}

Value BatchedLinalgBuilder::divideRows(Value x, Value rowValue) {
  return generic({rowValue}, x, {map(2, {0}), map(2, {0, 1})},
                 iterators({IteratorType::parallel, IteratorType::parallel}),
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   return arith::DivFOp::create(nb, l, a[1], a[0]);
                 });
}

Value BatchedLinalgBuilder::softmax(Value x, OpFoldResult rows) {
  Value exps = expShifted(x, rowMax(x, rows));
  return divideRows(exps, rowSum(exps, rows));
}

Value BatchedLinalgBuilder::l2NormalizeRows(Value x, OpFoldResult rows,
                                            OpFoldResult cols) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Value squares =
      generic({x}, filled({rows}, constant(0.0f)),
              {map(2, {0, 1}), map(2, {0})}, iterators({par, red}),
              [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                Value v = toF32(nb, a[0]);
                Value sq = arith::MulFOp::create(nb, l, v, v);
                return arith::AddFOp::create(nb, l, a[1], sq);
              });
  Value epsilon = constant(1e-12f);
  Value init = tensor::EmptyOp::create(b, loc, sizes({rows, cols}), f32);
  return generic(
      {x, squares}, init, {map(2, {0, 1}), map(2, {0}), map(2, {0, 1})},
      iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value norm = math::SqrtOp::create(nb, l, a[1]);
        Value clamped = arith::MaximumFOp::create(nb, l, norm, epsilon);
        return arith::DivFOp::create(nb, l, toF32(nb, a[0]), clamped);
      });
}

Value BatchedLinalgBuilder::convertInto(Value x, Value init) {
  Type elementType = cast<ShapedType>(init.getType()).getElementType();
  return generic({x}, init, {map(2, {0, 1}), map(2, {0, 1})},
                 iterators({IteratorType::parallel, IteratorType::parallel}),
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   return convertScalarToDtype(nb, l, a[0], elementType,
                                               /*isUnsignedCast=*/false);
                 });
}
