//===- QuantizeDecomposition.cpp - RTN quantization to linalg ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.quantize into linalg on tensors: alpha is a max
// reduction of |x| (beta = 1) or the k-th largest magnitude, an
// effattn.kth_largest over the flattened keys; the scale is scalar
// arithmetic in the authors' fp32 order; the integers are one elementwise
// linalg.generic (round half to even, saturating conversion).
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/Selection.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// The authors' lower bound on alpha.
static constexpr float kMinAlpha = 1e-20f;

/// Returns the f32 bounds [lo, hi] of the integers of `type` that f32
/// represents exactly, so that clamping before fptosi cannot overflow:
/// -2^top, and 2^top - 2^(top - 24), the largest f32 below 2^top.
static std::pair<float, float> saturationBounds(IntegerType type) {
  int top = static_cast<int>(type.getWidth()) - 1;
  return {-std::ldexp(1.0f, top),
          std::ldexp(1.0f, top) - std::ldexp(1.0f, top - 24)};
}

FailureOr<SmallVector<Value>> QuantizeOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  RankedTensorType inputType = getInputType();
  int64_t rank = inputType.getRank();
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  BatchedLinalgBuilder lb(b, loc, {});
  SmallVector<IteratorType> parallel(rank, par), reduction(rank, red);
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap toScalar = AffineMap::get(rank, 0, b.getContext());

  // alpha: the largest magnitude (f32), or the k-th largest (an i64 ordered
  // key), as a 0-d tensor. Everything after the input's reductions stays in
  // tensors of the kernels (a GPU library reads nothing on the host).
  AffineMap none = AffineMap::get(0, 0, b.getContext());
  Value alpha;
  bool fromKey = getBeta().convertToDouble() != 1.0;
  if (!fromKey) {
    alpha = lb.generic(
        {getInput()}, lb.filled({}, lb.constant(0.0f)), {identity, toScalar},
        reduction, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value magnitude = math::AbsFOp::create(nb, l, lb.toF32(nb, a[0]));
          return arith::MaximumFOp::create(nb, l, a[1], magnitude);
        });
  } else {
    Value keys = lb.generic(
        {getInput()},
        tensor::EmptyOp::create(b, loc, inputType.getShape(), b.getI32Type()),
        {identity, identity}, parallel,
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value magnitude = math::AbsFOp::create(nb, l, lb.toF32(nb, a[0]));
          return buildOrderedKey(nb, l, magnitude);
        });
    // [d0, ..., dr] -> [1, numel].
    SmallVector<ReassociationIndices> all{
        llvm::to_vector(llvm::seq<int64_t>(0, rank))};
    Value flat = tensor::CollapseShapeOp::create(b, loc, keys, all);
    Value rows = tensor::ExpandShapeOp::create(
        b, loc,
        RankedTensorType::get({1, inputType.getNumElements()}, b.getI32Type()),
        flat, SmallVector<ReassociationIndices>{{0, 1}});
    Value key =
        KthLargestOp::create(b, loc, RankedTensorType::get({1}, b.getI32Type()),
                             rows, getPercentileRank());
    // [1] -> [].
    alpha = tensor::CollapseShapeOp::create(
        b, loc,
        RankedTensorType::get(
            {}, cast<RankedTensorType>(key.getType()).getElementType()),
        key, SmallVector<ReassociationIndices>{});
  }
  // torch evaluates (levels / 2) / alpha as reciprocal(alpha) · (levels / 2).
  Value scale = lb.generic(
      {alpha},
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type()),
      {none, none}, {}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value value = fromKey ? buildValueOfKey(nb, l, a[0]) : a[0];
        value = arith::MaximumFOp::create(nb, l, value, lb.constant(kMinAlpha));
        Value reciprocal =
            arith::DivFOp::create(nb, l, lb.constant(1.0f), value);
        return arith::MulFOp::create(
            nb, l, reciprocal,
            lb.constant(static_cast<float>(0.5 * getLevelsAttr().getInt())));
      });

  auto intType = cast<IntegerType>(getInit().getType().getElementType());
  auto [lo, hi] = saturationBounds(intType);
  Value lower = lb.constant(lo), upper = lb.constant(hi);
  Value result = lb.generic(
      {getInput(), scale}, getInit(), {identity, toScalar, identity}, parallel,
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value product = arith::MulFOp::create(nb, l, lb.toF32(nb, a[0]), a[1]);
        Value rounded = math::RoundEvenOp::create(nb, l, product);
        // maxnumf/minnumf map NaN to a bound.
        Value clamped = arith::MinNumFOp::create(
            nb, l, arith::MaxNumFOp::create(nb, l, rounded, lower), upper);
        return arith::FPToSIOp::create(nb, l, intType, clamped);
      });
  Value scaleResult =
      lb.generic({scale}, getScaleInit(), {none, none}, {},
                 [&](OpBuilder &, Location, ValueRange a) { return a[0]; });
  return SmallVector<Value>{result, scaleResult};
}
