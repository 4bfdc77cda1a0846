//===- NystromDecomposition.cpp - Nyström attention to linalg ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.nystrom_attention into linalg on tensors (f32):
// masked and scaled Q, K; segment-mean landmarks (a gather over each
// landmark's segment); the three softmax kernels; the iterative
// pseudo-inverse as an scf.for over tensors; the GEMM chain (F·Z)·(Bm·V);
// the optional depthwise-conv skip. num_landmarks == N emits an
// effattn.attention on the masked, scaled operands (decomposed in turn).
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Key bias of the third kernel: the authors add -1e9·(1 - mask).
static constexpr float kMaskedKeyBias = -1.0e9f;

namespace {
/// Builds the decomposition of one op. Batch loops lead every generic.
class NystromDecomposer {
public:
  NystromDecomposer(OpBuilder &b, NystromAttentionOp op,
                    ArrayRef<OpFoldResult> querySizes)
      : b(b), op(op), loc(op.getLoc()), numBatch(op.getNumBatchDims()),
        lb(b, loc, querySizes.take_front(numBatch)), n(querySizes[numBatch]),
        d(querySizes[numBatch + 1]),
        seqLen(op.getQueryType().getDimSize(numBatch)),
        landmarks(op.getNumLandmarks()) {}

  Value run();

private:
  /// Returns mask ⊙ x · d^-1/4 as an f32 [batch..., N, D] tensor.
  Value maskAndScale(Value x, Value scale);
  /// Returns the m segment means of x [batch..., N, D].
  Value segmentMeans(Value x);
  /// Returns Z ≈ pinv(a) for softmax matrices a [batch..., m, m].
  Value pseudoInverse(Value a);
  /// Returns c·I - x for x [batch..., m, m].
  Value scaledIdentityMinus(BatchedLinalgBuilder &builder, float c, Value x);
  /// Returns x + depthwise-conv(mask ⊙ V) along the sequence.
  Value addConvSkip(Value x, Value weight);
  /// Returns the f32 [batch..., N, E] exact-attention path (m == N).
  Value exactAttention(Value qs, Value ks, OpFoldResult e);

  OpBuilder &b;
  NystromAttentionOp op;
  Location loc;
  unsigned numBatch;
  BatchedLinalgBuilder lb;
  OpFoldResult n, d;
  int64_t seqLen, landmarks;
};
} // namespace

Value NystromDecomposer::maskAndScale(Value x, Value scale) {
  const IteratorType par = IteratorType::parallel;
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{lb.map(2, {0, 1})};
  if (Value mask = op.getMask()) {
    inputs.push_back(mask);
    maps.push_back(lb.map(2, {0}));
  }
  maps.push_back(lb.map(2, {0, 1}));
  Value zero = lb.constant(0.0f);
  Value init =
      tensor::EmptyOp::create(b, loc, lb.sizes({n, d}), b.getF32Type());
  return lb.generic(inputs, init, maps, lb.iterators({par, par}),
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      Value scaled = arith::MulFOp::create(
                          nb, l, lb.toF32(nb, a[0]), scale);
                      if (a.size() == 2)
                        return scaled;
                      return arith::SelectOp::create(nb, l, a[1], scaled, zero);
                    });
}

Value NystromDecomposer::segmentMeans(Value x) {
  // Segment l starts at l·segs + max(0, l - numShort) and holds segs tokens,
  // or segs + 1 from landmark numShort on (the T2T-ViT rule; numShort = m
  // when m divides N).
  int64_t segs = seqLen / landmarks;
  int64_t numShort =
      seqLen % landmarks == 0 ? landmarks : (segs + 1) * landmarks - seqLen;
  int64_t maxLength = numShort == landmarks ? segs : segs + 1;
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Value zero = lb.constant(0.0f);
  // The segment offset j only sizes the reduction loop.
  Value offsets = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{maxLength},
                                          b.getF32Type());
  OpFoldResult m = b.getIndexAttr(landmarks);
  AffineMap offsetMap = AffineMap::get(
      numBatch + 3, 0, {b.getAffineDimExpr(numBatch + 1)}, b.getContext());
  return lb.generic(
      {offsets}, lb.filled({m, d}, zero), {offsetMap, lb.map(3, {0, 2})},
      lb.iterators({par, red, par}),
      [&](OpBuilder &nb, Location loc, ValueRange a) -> Value {
        auto index = [&](int64_t value) {
          return arith::ConstantIndexOp::create(nb, loc, value);
        };
        Value landmark = linalg::IndexOp::create(nb, loc, numBatch);
        Value offset = linalg::IndexOp::create(nb, loc, numBatch + 1);
        Value column = linalg::IndexOp::create(nb, loc, numBatch + 2);
        Value zeroIndex = index(0), numShortIndex = index(numShort);
        Value beyondShort =
            arith::SubIOp::create(nb, loc, landmark, numShortIndex);
        Value extra = arith::MaxSIOp::create(nb, loc, beyondShort, zeroIndex);
        Value start = arith::AddIOp::create(
            nb, loc, arith::MulIOp::create(nb, loc, landmark, index(segs)),
            extra);
        Value isLong = arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sge,
                                             landmark, numShortIndex);
        Value length = arith::SelectOp::create(nb, loc, isLong, index(segs + 1),
                                               index(segs));
        Value inSegment = arith::CmpIOp::create(
            nb, loc, arith::CmpIPredicate::slt, offset, length);
        // Clamp so that the (discarded) read past the last segment stays in
        // bounds.
        Value token = arith::MinSIOp::create(
            nb, loc, arith::AddIOp::create(nb, loc, start, offset),
            index(seqLen - 1));
        SmallVector<Value> indices;
        for (unsigned i = 0; i < numBatch; ++i)
          indices.push_back(linalg::IndexOp::create(nb, loc, i));
        indices.push_back(token);
        indices.push_back(column);
        Value element = tensor::ExtractOp::create(nb, loc, x, indices);
        Value lengthF = arith::SIToFPOp::create(
            nb, loc, nb.getF32Type(),
            arith::IndexCastOp::create(nb, loc, nb.getI64Type(), length));
        Value term = arith::DivFOp::create(nb, loc, element, lengthF);
        Value contribution =
            arith::SelectOp::create(nb, loc, inSegment, term, zero);
        return arith::AddFOp::create(nb, loc, a[1], contribution);
      });
}

Value NystromDecomposer::scaledIdentityMinus(BatchedLinalgBuilder &builder,
                                             float c, Value x) {
  const IteratorType par = IteratorType::parallel;
  Value diagonal = builder.constant(c);
  Value zero = builder.constant(0.0f);
  return builder.generic(
      {}, x, {builder.map(2, {0, 1})}, builder.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value row = linalg::IndexOp::create(nb, l, numBatch);
        Value col = linalg::IndexOp::create(nb, l, numBatch + 1);
        Value onDiagonal =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, row, col);
        Value identity =
            arith::SelectOp::create(nb, l, onDiagonal, diagonal, zero);
        return arith::SubFOp::create(nb, l, identity, a[0]);
      });
}

Value NystromDecomposer::pseudoInverse(Value a) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  OpFoldResult m = b.getIndexAttr(landmarks);
  Value zero = lb.constant(0.0f);
  // Column sums of a, then their max: over everything ("original", the
  // authors' default) or per matrix ("exact").
  Value colSums = lb.generic(
      {a}, lb.filled({m}, zero), {lb.map(2, {0, 1}), lb.map(2, {1})},
      lb.iterators({red, par}), [&](OpBuilder &nb, Location l, ValueRange x) {
        return arith::AddFOp::create(nb, l, x[1], x[0]).getResult();
      });
  auto maxOf = [](OpBuilder &nb, Location l, ValueRange x) -> Value {
    return arith::MaximumFOp::create(nb, l, x[0], x[1]);
  };
  Value normalizer;
  AffineMap normalizerMap;
  if (op.getPinvInit() == "original") {
    Value scalar =
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type());
    scalar = linalg::FillOp::create(b, loc, zero, scalar).getResult(0);
    normalizer =
        lb.generic({colSums}, scalar, {lb.map(1, {0}), lb.scalarMap(1)},
                   SmallVector<IteratorType>(numBatch + 1, red), maxOf);
    normalizerMap = lb.scalarMap(2);
  } else {
    normalizer =
        lb.generic({colSums}, lb.filled({}, zero),
                   {lb.map(1, {0}), lb.map(1, {})}, lb.iterators({red}), maxOf);
    normalizerMap = lb.map(2, {});
  }
  // Z0 = aᵀ / normalizer.
  Value z = lb.generic({a, normalizer}, lb.filled({m, m}, zero),
                       {lb.map(2, {1, 0}), normalizerMap, lb.map(2, {0, 1})},
                       lb.iterators({par, par}),
                       [](OpBuilder &nb, Location l, ValueRange x) -> Value {
                         return arith::DivFOp::create(nb, l, x[0], x[1]);
                       });

  // Z <- 0.25 · Z (13I - AZ (15I - AZ (7I - AZ))), pinv_iterations times.
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, op.getPinvIterations());
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<OpFoldResult> batchSizes =
      llvm::to_vector(ArrayRef(lb.sizes({})));
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, ValueRange{z},
      [&](OpBuilder &nb, Location l, Value, ValueRange args) {
        BatchedLinalgBuilder body(nb, l, batchSizes);
        Value current = args[0];
        Value az = body.matmul(a, current, false, m, m);
        Value t = scaledIdentityMinus(body, 7.0f, az);
        t = scaledIdentityMinus(body, 15.0f, body.matmul(az, t, false, m, m));
        t = scaledIdentityMinus(body, 13.0f, body.matmul(az, t, false, m, m));
        Value next = body.matmul(current, t, false, m, m);
        Value quarter = body.constant(0.25f);
        next = body.generic(
            {}, next, {body.map(2, {0, 1})}, body.iterators({par, par}),
            [&](OpBuilder &eb, Location el, ValueRange x) {
              return arith::MulFOp::create(eb, el, x[0], quarter).getResult();
            });
        scf::YieldOp::create(nb, l, next);
      });
  return loop.getResult(0);
}

Value NystromDecomposer::addConvSkip(Value x, Value weight) {
  // x[b..., h, i, e] += Σ_t w[h, t] · (mask ⊙ V)[b..., h, i + t - ks/2, e],
  // zero outside the sequence. Loops (batch..., i, e, t).
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  int64_t kernel = cast<RankedTensorType>(weight.getType()).getDimSize(1);
  Value value = op.getValue(), mask = op.getMask();
  Value zero = lb.constant(0.0f);
  Value taps = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{kernel},
                                       b.getF32Type());
  MLIRContext *ctx = b.getContext();
  unsigned numLoops = numBatch + 3;
  AffineExpr head = b.getAffineDimExpr(numBatch - 1);
  AffineExpr tap = b.getAffineDimExpr(numBatch + 2);
  AffineMap tapMap = AffineMap::get(numLoops, 0, {tap}, ctx);
  AffineMap weightMap = AffineMap::get(numLoops, 0, {head, tap}, ctx);
  return lb.generic(
      {taps, weight}, x, {tapMap, weightMap, lb.map(3, {0, 1})},
      lb.iterators({par, par, red}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        auto index = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(nb, l, v);
        };
        Value row = linalg::IndexOp::create(nb, l, numBatch);
        Value column = linalg::IndexOp::create(nb, l, numBatch + 1);
        Value offset = linalg::IndexOp::create(nb, l, numBatch + 2);
        Value source = arith::SubIOp::create(
            nb, l, arith::AddIOp::create(nb, l, row, offset),
            index(kernel / 2));
        Value inside = arith::AndIOp::create(
            nb, l,
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, source,
                                  index(0)),
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, source,
                                  index(seqLen)));
        // Clamped so that the discarded out-of-sequence reads stay in bounds.
        Value token = arith::MinSIOp::create(
            nb, l, arith::MaxSIOp::create(nb, l, source, index(0)),
            index(seqLen - 1));
        SmallVector<Value> indices;
        for (unsigned i = 0; i < numBatch; ++i)
          indices.push_back(linalg::IndexOp::create(nb, l, i));
        indices.push_back(token);
        if (mask) {
          Value keep = tensor::ExtractOp::create(nb, l, mask, indices);
          inside = arith::AndIOp::create(nb, l, inside, keep);
        }
        indices.push_back(column);
        Value element =
            lb.toF32(nb, tensor::ExtractOp::create(nb, l, value, indices));
        Value term = arith::MulFOp::create(nb, l, lb.toF32(nb, a[1]), element);
        Value contribution = arith::SelectOp::create(nb, l, inside, term, zero);
        return arith::AddFOp::create(nb, l, a[2], contribution);
      });
}

Value NystromDecomposer::exactAttention(Value qs, Value ks, OpFoldResult e) {
  // Masked keys score exactly 0 in Qs·Ksᵀ, so the authors' additive -1e9 is
  // effattn.attention's replacement -1e9.
  const IteratorType par = IteratorType::parallel;
  Value value = op.getValue();
  if (!cast<RankedTensorType>(value.getType()).getElementType().isF32())
    value = lb.generic(
        {value},
        tensor::EmptyOp::create(b, loc, lb.sizes({n, e}), b.getF32Type()),
        {lb.map(2, {0, 1}), lb.map(2, {0, 1})}, lb.iterators({par, par}),
        [&](OpBuilder &nb, Location, ValueRange a) {
          return lb.toF32(nb, a[0]);
        });
  Value init =
      tensor::EmptyOp::create(b, loc, lb.sizes({n, e}), b.getF32Type());
  return AttentionOp::create(b, loc, qs, ks, value, op.getMask(), init,
                             b.getF32FloatAttr(1.0f), /*causal=*/false)
      .getResult();
}

Value NystromDecomposer::run() {
  const IteratorType par = IteratorType::parallel;
  SmallVector<OpFoldResult> valueSizes =
      tensor::getMixedSizes(b, loc, op.getValue());
  OpFoldResult e = valueSizes[numBatch + 1];

  // Q and K are each scaled by d^-1/4.
  Value scale;
  if (std::optional<int64_t> headDim = getConstantIntValue(d)) {
    scale = lb.constant(static_cast<float>(std::pow(double(*headDim), -0.25)));
  } else {
    Value dim = getValueOrCreateConstantIndexOp(b, loc, d);
    Value asFloat = arith::SIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastOp::create(b, loc, b.getI64Type(), dim));
    scale =
        math::RsqrtOp::create(b, loc, math::SqrtOp::create(b, loc, asFloat));
  }
  Value qs = maskAndScale(op.getQuery(), scale);
  Value ks = maskAndScale(op.getKey(), scale);

  Value x;
  if (landmarks == seqLen) {
    x = exactAttention(qs, ks, e);
  } else {
    OpFoldResult m = b.getIndexAttr(landmarks);
    Value qt = segmentMeans(qs), kt = segmentMeans(ks);
    Value kernel1 = lb.softmax(lb.matmul(qs, kt, true, n, m), n);
    Value kernel2 = lb.softmax(lb.matmul(qt, kt, true, m, m), m);
    Value scores3 = lb.matmul(qt, ks, true, m, n);
    if (Value mask = op.getMask()) {
      Value bias = lb.constant(kMaskedKeyBias);
      Value zero = lb.constant(0.0f);
      scores3 =
          lb.generic({mask}, scores3, {lb.map(2, {1}), lb.map(2, {0, 1})},
                     lb.iterators({par, par}),
                     [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       Value add =
                           arith::SelectOp::create(nb, l, a[0], zero, bias);
                       return arith::AddFOp::create(nb, l, a[1], add);
                     });
    }
    Value kernel3 = lb.softmax(scores3, m);
    Value z = pseudoInverse(kernel2);
    Value fz = lb.matmul(kernel1, z, false, n, m);
    Value bv = lb.matmul(kernel3, op.getValue(), false, m, e);
    x = lb.matmul(fz, bv, false, n, e);
  }
  if (Value weight = op.getConvWeight())
    x = addConvSkip(x, weight);

  return lb.convertInto(x, op.getInit());
}

FailureOr<SmallVector<Value>>
NystromAttentionOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  SmallVector<OpFoldResult> querySizes =
      tensor::getMixedSizes(b, getLoc(), getQuery());
  Value result = NystromDecomposer(b, *this, querySizes).run();
  if (!result)
    return failure();
  return SmallVector<Value>{result};
}
