//===- AttentionDecomposition.cpp - effattn.attention to linalg -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.attention into a chain of linalg.generic ops computing
// in f32:
//
//   S   = Q·Kᵀ                      (contraction over D)
//   S   = mask ∧ causal-visible ? scale·S : -1e9
//   mx  = max_j S                   (row max)
//   S   = exp(S - mx)
//   l   = Σ_j S                     (row sum)
//   acc = S·V                       (contraction over M)
//   out = acc / l                   (rounded to the element type)
//
// Generic ops (rather than named ones) carry any number of batch dimensions.
// An op with a `#effattn.flash_config` decomposes into the flash form of
// FlashAttention.h instead.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/FlashAttention.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

using namespace mlir;
using namespace mlir::effattn;

Value AttentionOp::buildScaleValue(OpBuilder &b, OpFoldResult headDim) {
  Location loc = getLoc();
  if (std::optional<double> scale = getStaticScale())
    return arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(static_cast<float>(*scale)));
  Value dim = getValueOrCreateConstantIndexOp(b, loc, headDim);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
  Value asFloat = arith::SIToFPOp::create(b, loc, b.getF32Type(), asInt);
  return math::RsqrtOp::create(b, loc, asFloat);
}

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  if (FlashConfigAttr config = getLoweringConfigAttr())
    return SmallVector<Value>{buildFlashAttention(b, *this, config)};
  using utils::IteratorType;
  const IteratorType par = IteratorType::parallel;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  unsigned numBatch = getNumBatchDims();
  SmallVector<OpFoldResult> querySizes =
      tensor::getMixedSizes(b, loc, getQuery());
  SmallVector<OpFoldResult> valueSizes =
      tensor::getMixedSizes(b, loc, getValue());
  OpFoldResult n = querySizes[numBatch], m = valueSizes[numBatch],
               e = valueSizes[numBatch + 1];
  BatchedLinalgBuilder lb(b, loc, ArrayRef(querySizes).take_front(numBatch));
  Value scale = buildScaleValue(b, querySizes[numBatch + 1]);
  Value maskedScore = lb.constant(kMaskedScore);

  // S[b, i, j] = Σ_d Q[b, i, d] · K[b, j, d].
  Value scores = lb.matmul(getQuery(), getKey(), /*transposeRhs=*/true, n, m);

  // S = scale·S, or -1e9 for masked keys and keys beyond the causal window.
  Value queryOffset = getQueryOffset();
  SmallVector<Value> maskInputs;
  SmallVector<AffineMap> maskMaps;
  if (Value mask = getMask()) {
    maskInputs.push_back(mask);
    maskMaps.push_back(lb.map(2, {1}));
  }
  maskMaps.push_back(lb.map(2, {0, 1}));
  bool causal = getCausal();
  scores = lb.generic(
      maskInputs, scores, maskMaps, lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value score = arith::MulFOp::create(nb, l, a.back(), scale);
        Value keep = a.size() == 2 ? a[0] : Value();
        if (causal) {
          Value row = linalg::IndexOp::create(nb, l, numBatch);
          Value col = linalg::IndexOp::create(nb, l, numBatch + 1);
          if (queryOffset)
            row = arith::AddIOp::create(nb, l, row, queryOffset);
          Value visible =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ule, col, row);
          keep = keep ? arith::AndIOp::create(nb, l, keep, visible) : visible;
        }
        if (!keep)
          return score;
        return arith::SelectOp::create(nb, l, keep, score, maskedScore);
      });

  // Unnormalised softmax weights and their row sums.
  scores = lb.expShifted(scores, lb.rowMax(scores, n));
  Value rowSum = lb.rowSum(scores, n);

  // acc[b, i, e] = Σ_j S[b, i, j] · V[b, j, e], then out = acc / l in the
  // element type.
  Value acc = lb.matmul(scores, getValue(), /*transposeRhs=*/false, n, e);
  Type elementType = getInitType().getElementType();
  Value result =
      lb.generic({acc, rowSum}, getInit(),
                 {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {0, 1})},
                 lb.iterators({par, par}),
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value normalized = arith::DivFOp::create(nb, l, a[0], a[1]);
                   return convertScalarToDtype(nb, l, normalized, elementType,
                                               /*isUnsignedCast=*/false);
                 });
  return SmallVector<Value>{result};
}
