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
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

/// Score given to masked-out keys: the authors' -1e9, as a replacement value
/// so that a query with no visible key averages the values uniformly.
static constexpr float kMaskedScore = -1.0e9f;

/// Fast-math flags of the f32 contractions: FMA formation and reassociation
/// of the sums (the summation order is not part of the op's semantics).
static constexpr arith::FastMathFlags kReduction =
    arith::FastMathFlags::contract | arith::FastMathFlags::reassoc;

namespace {
/// Builds the linalg.generic ops of one attention op. Loop dimensions are
/// numbered [batch..., i (query), j (key), x (D or E)].
class AttentionDecomposer {
public:
  AttentionDecomposer(OpBuilder &b, AttentionOp op)
      : b(b), op(op), loc(op.getLoc()), f32(b.getF32Type()),
        numBatch(op.getNumBatchDims()) {}

  FailureOr<SmallVector<Value>> run();

private:
  /// Returns the map (batch..., i, j, x) -> (batch..., dims...), over
  /// `numBatch + numLoops` loops.
  AffineMap map(unsigned numLoops, ArrayRef<unsigned> dims) const {
    SmallVector<AffineExpr> exprs;
    for (unsigned i = 0; i < numBatch; ++i)
      exprs.push_back(b.getAffineDimExpr(i));
    for (unsigned dim : dims)
      exprs.push_back(b.getAffineDimExpr(numBatch + dim));
    return AffineMap::get(numBatch + numLoops, 0, exprs, b.getContext());
  }
  /// Returns iterator types for `numBatch` batch loops followed by `tail`.
  SmallVector<utils::IteratorType>
  iterators(ArrayRef<utils::IteratorType> tail) const {
    SmallVector<utils::IteratorType> types(numBatch,
                                           utils::IteratorType::parallel);
    llvm::append_range(types, tail);
    return types;
  }
  /// Returns an f32 tensor of the given sizes filled with `value`.
  Value filled(ArrayRef<OpFoldResult> sizes, Value value) {
    Value empty = tensor::EmptyOp::create(b, loc, sizes, f32);
    return linalg::FillOp::create(b, loc, value, empty).getResult(0);
  }
  /// Returns an f32 constant.
  Value constant(float value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }
  /// Converts a scalar to f32 (a no-op on f32).
  Value toF32(OpBuilder &nb, Value v) const {
    return convertScalarToDtype(nb, v.getLoc(), v, f32,
                                /*isUnsignedCast=*/false);
  }
  /// Creates a linalg.generic writing into `init` whose body yields the value
  /// returned by `body`, and returns its result.
  Value generic(ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iteratorTypes,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    auto genericOp = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
        iteratorTypes, [&](OpBuilder &nb, Location l, ValueRange args) {
          linalg::YieldOp::create(nb, l, body(nb, l, args));
        });
    return genericOp.getResult(0);
  }
  /// Returns the scale as an f32 value (1/sqrt(D) unless given).
  Value buildScale();
  /// Returns sizes [batch..., tail...] with the query's batch sizes.
  SmallVector<OpFoldResult> sizes(ArrayRef<OpFoldResult> tail) const {
    SmallVector<OpFoldResult> result(querySizes.begin(),
                                     querySizes.begin() + numBatch);
    llvm::append_range(result, tail);
    return result;
  }

  OpBuilder &b;
  AttentionOp op;
  Location loc;
  Type f32;
  unsigned numBatch;
  SmallVector<OpFoldResult> querySizes;
};
} // namespace

Value AttentionDecomposer::buildScale() {
  if (std::optional<double> scale = op.getStaticScale())
    return constant(static_cast<float>(*scale));
  Value headDim =
      getValueOrCreateConstantIndexOp(b, loc, querySizes[numBatch + 1]);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), headDim);
  Value asFloat = arith::SIToFPOp::create(b, loc, f32, asInt);
  return math::RsqrtOp::create(b, loc, asFloat);
}

FailureOr<SmallVector<Value>> AttentionDecomposer::run() {
  using utils::IteratorType;
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  querySizes = tensor::getMixedSizes(b, loc, op.getQuery());
  SmallVector<OpFoldResult> valueSizes =
      tensor::getMixedSizes(b, loc, op.getValue());
  OpFoldResult n = querySizes[numBatch], m = valueSizes[numBatch],
               e = valueSizes[numBatch + 1];

  Value zero = constant(0.0f);
  Value negInf = constant(-std::numeric_limits<float>::infinity());
  Value maskedScore = constant(kMaskedScore);
  Value scale = buildScale();

  // S[b, i, j] = Σ_d Q[b, i, d] · K[b, j, d].
  Value scores = generic(
      {op.getQuery(), op.getKey()}, filled(sizes({n, m}), zero),
      {map(3, {0, 2}), map(3, {1, 2}), map(3, {0, 1})},
      iterators({par, par, red}), [&](OpBuilder &nb, Location l, ValueRange a) {
        Value prod = arith::MulFOp::create(nb, l, toF32(nb, a[0]),
                                           toF32(nb, a[1]), kReduction);
        return arith::AddFOp::create(nb, l, a[2], prod, kReduction);
      });

  // S = scale·S, or -1e9 for masked keys and keys beyond the causal window.
  Value queryOffset = op.getQueryOffset();
  SmallVector<Value> maskInputs;
  SmallVector<AffineMap> maskMaps;
  if (Value mask = op.getMask()) {
    maskInputs.push_back(mask);
    maskMaps.push_back(map(2, {1}));
  }
  maskMaps.push_back(map(2, {0, 1}));
  bool causal = op.getCausal();
  scores = generic(
      maskInputs, scores, maskMaps, iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
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
        return arith::SelectOp::create(nb, l, keep, score, maskedScore)
            .getResult();
      });

  // mx[b, i] = max_j S[b, i, j].
  Value rowMax = generic({scores}, filled(sizes({n}), negInf),
                         {map(2, {0, 1}), map(2, {0})}, iterators({par, red}),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return arith::MaximumFOp::create(nb, l, a[0], a[1]);
                         });

  // S = exp(S - mx).
  scores = generic({rowMax}, scores, {map(2, {0}), map(2, {0, 1})},
                   iterators({par, par}),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Value shifted = arith::SubFOp::create(nb, l, a[1], a[0]);
                     return math::ExpOp::create(nb, l, shifted);
                   });

  // l[b, i] = Σ_j S[b, i, j].
  Value rowSum = generic({scores}, filled(sizes({n}), zero),
                         {map(2, {0, 1}), map(2, {0})}, iterators({par, red}),
                         [&](OpBuilder &nb, Location l, ValueRange a) {
                           return arith::AddFOp::create(nb, l, a[1], a[0]);
                         });

  // acc[b, i, e] = Σ_j S[b, i, j] · V[b, j, e]; loops (batch..., i, j, e)
  // so that the innermost loop runs along contiguous rows of V and acc.
  Value acc = generic(
      {scores, op.getValue()}, filled(sizes({n, e}), zero),
      {map(3, {0, 1}), map(3, {1, 2}), map(3, {0, 2})},
      iterators({par, red, par}), [&](OpBuilder &nb, Location l, ValueRange a) {
        Value prod =
            arith::MulFOp::create(nb, l, a[0], toF32(nb, a[1]), kReduction);
        return arith::AddFOp::create(nb, l, a[2], prod, kReduction);
      });

  // out[b, i, e] = acc[b, i, e] / l[b, i], in the element type.
  Type elementType = op.getInitType().getElementType();
  Value result = generic(
      {acc, rowSum}, op.getInit(),
      {map(2, {0, 1}), map(2, {0}), map(2, {0, 1})}, iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value normalized = arith::DivFOp::create(nb, l, a[0], a[1]);
        return convertScalarToDtype(nb, l, normalized, elementType,
                                    /*isUnsignedCast=*/false);
      });
  return SmallVector<Value>{result};
}

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  return AttentionDecomposer(b, *this).run();
}
