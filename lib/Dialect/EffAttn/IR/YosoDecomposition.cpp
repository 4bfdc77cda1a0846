//===- YosoDecomposition.cpp - YOSO attention to linalg ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.yoso_attention into linalg on tensors (f32).
// Expectation: unit rows, cosine matrix, collision probabilities
// (1 - acos/π)^τ, a GEMM with V. LSH: projections and τ-bit codes as
// linalg.generic ops, the bucket scatter-add as scf.for loops over tensors
// (batch·head, key, hash) adding value rows into the tables, the gather as a
// linalg.generic reading the tables. Both end with the row normalisation.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Returns the query rows' mask: `mask` itself, or its N entries from
/// `query_offset` on (a tile of query rows).
static Value getQueryMask(YosoAttentionOp op, OpBuilder &b) {
  Value mask = op.getMask();
  Value offset = op.getQueryOffset();
  if (!mask || !offset)
    return mask;
  Location loc = op.getLoc();
  unsigned numBatch = op.getNumBatchDims();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, mask);
  sizes.back() = tensor::getMixedSize(b, loc, op.getQuery(), numBatch);
  SmallVector<OpFoldResult> offsets(numBatch, b.getIndexAttr(0));
  offsets.push_back(offset);
  SmallVector<OpFoldResult> strides(numBatch + 1, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, mask, offsets, sizes, strides);
}

/// Returns B·V with B the YOSO-E collision probabilities, f32 [batch..., N,
/// E].
static Value buildExpectation(YosoAttentionOp op, BatchedLinalgBuilder &lb,
                              OpFoldResult n, OpFoldResult m, OpFoldResult d,
                              OpFoldResult e) {
  const IteratorType par = IteratorType::parallel;
  Value qn = lb.l2NormalizeRows(op.getQuery(), n, d);
  Value kn = lb.l2NormalizeRows(op.getKey(), m, d);
  Value cosine = lb.matmul(qn, kn, /*transposeRhs=*/true, n, m);
  float cosineScale = op.getVersionAttr().getInt() == 2 ? 0.98f : 1.0f;
  int64_t bits = op.getHashBitsAttr().getInt();
  Value one = lb.constant(1.0f), minusOne = lb.constant(-1.0f);
  Value zero = lb.constant(0.0f), scale = lb.constant(cosineScale);
  Value invPi = lb.constant(static_cast<float>(1.0 / llvm::numbers::pi));
  OpBuilder &b = lb.getBuilder();
  Value exponent = arith::ConstantOp::create(
      b, cosine.getLoc(), b.getI32IntegerAttr(static_cast<int32_t>(bits)));
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (Value mask = op.getMask()) {
    inputs = {getQueryMask(op, b), mask};
    maps = {lb.map(2, {0}), lb.map(2, {1})};
  }
  maps.push_back(lb.map(2, {0, 1}));
  Value weights = lb.generic(
      inputs, cosine, maps, lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value c = arith::MulFOp::create(nb, l, a.back(), scale);
        c = arith::MinimumFOp::create(
            nb, l, arith::MaximumFOp::create(nb, l, c, minusOne), one);
        Value angle =
            arith::MulFOp::create(nb, l, math::AcosOp::create(nb, l, c), invPi);
        Value collide = arith::SubFOp::create(nb, l, one, angle);
        Value weight = math::FPowIOp::create(nb, l, collide, exponent);
        if (a.size() == 1)
          return weight;
        Value both = arith::AndIOp::create(nb, l, a[0], a[1]);
        return arith::SelectOp::create(nb, l, both, weight, zero);
      });
  return lb.matmul(weights, op.getValue(), /*transposeRhs=*/false, n, e);
}

/// Returns the projection [batch..., D, num_hashes·τ] equivalent to the fast
/// hash with ±1 `diagonals` [batch..., 3, P, D] (batch: `batchSizes`, empty
/// or one): M_p = H·diag(D₂)·H·diag(D₁)·H·diag(D₀), and column h·τ + t is
/// row c·τ + t of M_p for h = p·(D/τ) + c. Built transposed with the fast
/// transform: M_pᵀ = diag(D₀)·H·diag(D₁)·H·diag(D₂)·H, each "·H" one
/// Walsh-Hadamard transform of the rows.
static Value buildFastHashProjection(OpBuilder &b, Location loc,
                                     Value diagonals,
                                     ArrayRef<OpFoldResult> batchSizes,
                                     int64_t bits, int64_t hashes) {
  const IteratorType par = IteratorType::parallel;
  auto type = cast<RankedTensorType>(diagonals.getType());
  int64_t parts = type.getDimSize(type.getRank() - 2);
  int64_t d = type.getDimSize(type.getRank() - 1);
  int64_t perPart = d / bits;
  unsigned numBatch = batchSizes.size();
  BatchedLinalgBuilder pb(b, loc, batchSizes);
  MLIRContext *ctx = b.getContext();
  /// Map from (batch..., p, ...) loops to diagonals[batch..., which, p, x].
  auto diagonalMap = [&](unsigned numTail, int64_t which, unsigned xDim) {
    SmallVector<AffineExpr> exprs;
    for (unsigned i = 0; i < numBatch; ++i)
      exprs.push_back(b.getAffineDimExpr(i));
    exprs.push_back(b.getAffineConstantExpr(which));
    exprs.push_back(b.getAffineDimExpr(numBatch));
    exprs.push_back(b.getAffineDimExpr(numBatch + xDim));
    return AffineMap::get(numBatch + numTail, 0, exprs, ctx);
  };
  OpFoldResult partsSize = b.getIndexAttr(parts), dSize = b.getIndexAttr(d);
  Value zero = pb.constant(0.0f);
  // Aᵀ[p, x, i] = D₀[p, x]·δ(x, i); loops (p, x, i).
  Value a = pb.generic({diagonals}, pb.filled({partsSize, dSize, dSize}, zero),
                       {diagonalMap(3, 0, 1), pb.map(3, {0, 1, 2})},
                       pb.iterators({par, par, par}),
                       [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
                         Value onDiagonal = arith::CmpIOp::create(
                             nb, l, arith::CmpIPredicate::eq,
                             linalg::IndexOp::create(nb, l, numBatch + 1),
                             linalg::IndexOp::create(nb, l, numBatch + 2));
                         return arith::SelectOp::create(
                             nb, l, onDiagonal, pb.toF32(nb, x[0]), x[1]);
                       });
  // Aᵀ ← (Aᵀ·H)·diag(D_which), the last transform without a diagonal.
  for (int64_t which : {1, 2, 3}) {
    a = buildWalshHadamard(
        b, loc, a, chooseButterflyKind(b.getInsertionBlock()->getParentOp()));
    if (which == 3)
      break;
    a = pb.generic(
        {diagonals}, a, {diagonalMap(3, which, 2), pb.map(3, {0, 1, 2})},
        pb.iterators({par, par, par}),
        [&](OpBuilder &nb, Location l, ValueRange x) -> Value {
          return arith::MulFOp::create(nb, l, x[1], pb.toF32(nb, x[0]));
        });
  }
  // projection[x, h, t] = Aᵀ[h / perPart, x, (h % perPart)·τ + t]; loops
  // (x, h, t).
  AffineExpr x = b.getAffineDimExpr(numBatch);
  AffineExpr h = b.getAffineDimExpr(numBatch + 1);
  AffineExpr t = b.getAffineDimExpr(numBatch + 2);
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < numBatch; ++i)
    exprs.push_back(b.getAffineDimExpr(i));
  exprs.push_back(h.floorDiv(perPart));
  exprs.push_back(x);
  exprs.push_back((h % perPart) * bits + t);
  AffineMap rowMap = AffineMap::get(numBatch + 3, 0, exprs, ctx);
  Value projection = pb.generic(
      {a},
      pb.filled({dSize, b.getIndexAttr(hashes), b.getIndexAttr(bits)}, zero),
      {rowMap, pb.map(3, {0, 1, 2})}, pb.iterators({par, par, par}),
      [](OpBuilder &, Location, ValueRange v) { return v[0]; });
  SmallVector<ReassociationIndices> reassociation;
  for (unsigned i = 0; i < numBatch + 1; ++i)
    reassociation.push_back({static_cast<int64_t>(i)});
  reassociation.push_back({numBatch + 1, numBatch + 2});
  return tensor::CollapseShapeOp::create(b, loc, projection, reassociation);
}

/// Returns the unnormalised LSH estimate, f32 [batch..., N, E].
/// Returns `tables` plus, for each (bh, j, h), row values[bh, j, :] added
/// into row tables[bh, h, codes[bh, j, h], :]: loops over (bh, j, h) in
/// order, on tensors.
static Value buildBucketSums(OpBuilder &b, Location loc,
                             BatchedLinalgBuilder &lb, Value values,
                             Value keyCodes, Value tables, int64_t hashes) {
  const IteratorType par = IteratorType::parallel;
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value numHashesValue = arith::ConstantIndexOp::create(b, loc, hashes);
  Value bhValue = tensor::DimOp::create(b, loc, values, 0);
  Value mValue = tensor::DimOp::create(b, loc, values, 1);
  OpFoldResult e = tensor::getMixedSize(b, loc, values, 2);
  std::optional<int64_t> staticE = getConstantIntValue(e);
  auto rowType = RankedTensorType::get(
      {staticE ? *staticE : ShapedType::kDynamic}, b.getF32Type());
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, b.getContext());
  auto addRow = [&](OpBuilder &nb, Location l, Value batch, Value keyIndex,
                    Value hash, Value table) -> Value {
    Value code = tensor::ExtractOp::create(nb, l, keyCodes,
                                           ValueRange{batch, keyIndex, hash});
    Value bucket = arith::IndexCastOp::create(nb, l, nb.getIndexType(), code);
    OpFoldResult one = nb.getIndexAttr(1), zeroIndex = nb.getIndexAttr(0);
    SmallVector<OpFoldResult> tableOffsets{batch, hash, bucket, zeroIndex};
    SmallVector<OpFoldResult> tableSizes{one, one, one, e};
    SmallVector<OpFoldResult> strides4(4, one), strides3(3, one);
    Value row = tensor::ExtractSliceOp::create(
        nb, l, rowType, table, tableOffsets, tableSizes, strides4);
    Value source = tensor::ExtractSliceOp::create(
        nb, l, rowType, values,
        SmallVector<OpFoldResult>{batch, keyIndex, zeroIndex},
        SmallVector<OpFoldResult>{one, one, e}, strides3);
    Value sum = linalg::GenericOp::create(
                    nb, l, TypeRange{rowType}, ValueRange{source},
                    ValueRange{row}, ArrayRef<AffineMap>{identity, identity},
                    ArrayRef<IteratorType>{par},
                    [&](OpBuilder &bb, Location bl, ValueRange a) {
                      Value added = arith::AddFOp::create(bb, bl, a[1],
                                                          lb.toF32(bb, a[0]));
                      linalg::YieldOp::create(bb, bl, added);
                    })
                    .getResult(0);
    return tensor::InsertSliceOp::create(nb, l, sum, table, tableOffsets,
                                         tableSizes, strides4);
  };
  return scf::ForOp::create(
             b, loc, c0, bhValue, c1, ValueRange{tables},
             [&](OpBuilder &b1, Location l1, Value batch, ValueRange t1) {
               auto keys = scf::ForOp::create(
                   b1, l1, c0, mValue, c1, t1,
                   [&](OpBuilder &b2, Location l2, Value keyIndex,
                       ValueRange t2) {
                     auto perHash = scf::ForOp::create(
                         b2, l2, c0, numHashesValue, c1, t2,
                         [&](OpBuilder &b3, Location l3, Value hash,
                             ValueRange t3) {
                           scf::YieldOp::create(
                               b3, l3,
                               addRow(b3, l3, batch, keyIndex, hash, t3[0]));
                         });
                     scf::YieldOp::create(b2, l2, perHash.getResults());
                   });
               scf::YieldOp::create(b1, l1, keys.getResults());
             })
      .getResult(0);
}

/// The same sums into a new zero-filled f32 buffer of `tableSizes` (bh, h,
/// c, e), with one task per (bh, j, h, e) adding its element atomically (a
/// GPU thread each after effattn-gpu-map-linalg; the order of the additions
/// within a bucket is not fixed). Returns the buffer as a tensor.
static Value buildAtomicBucketSums(OpBuilder &b, Location loc, Value values,
                                   Value keyCodes,
                                   ArrayRef<OpFoldResult> tableSizes) {
  auto toBuffer = [&](Value tensor) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
        /*read_only=*/true);
  };
  Value valueBuffer = toBuffer(values), codeBuffer = toBuffer(keyCodes);
  SmallVector<int64_t> staticSizes;
  SmallVector<Value> dynamicSizes;
  dispatchIndexOpFoldResults(tableSizes, dynamicSizes, staticSizes);
  auto tableType = MemRefType::get(staticSizes, b.getF32Type());
  Value tables = memref::AllocOp::create(b, loc, tableType, dynamicSizes);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  linalg::FillOp::create(b, loc, zero, tables);
  SmallVector<OpFoldResult> bounds{tensor::getMixedSize(b, loc, values, 0),
                                   tensor::getMixedSize(b, loc, values, 1),
                                   tableSizes[1],
                                   tensor::getMixedSize(b, loc, values, 2)};
  scf::ForallOp::create(
      b, loc, bounds, ValueRange{}, std::nullopt,
      [&](OpBuilder &nb, Location l, ValueRange ivs) {
        Value batch = ivs[0], key = ivs[1], hash = ivs[2], column = ivs[3];
        Value code = memref::LoadOp::create(nb, l, codeBuffer,
                                            ValueRange{batch, key, hash});
        Value bucket =
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), code);
        Value value = memref::LoadOp::create(nb, l, valueBuffer,
                                             ValueRange{batch, key, column});
        if (value.getType() != nb.getF32Type())
          value = arith::ExtFOp::create(nb, l, nb.getF32Type(), value);
        memref::AtomicRMWOp::create(nb, l, arith::AtomicRMWKind::addf, value,
                                    tables,
                                    ValueRange{batch, hash, bucket, column});
        scf::InParallelOp::create(nb, l);
      });
  auto tensorType = RankedTensorType::get(staticSizes, b.getF32Type());
  return bufferization::ToTensorOp::create(b, loc, tensorType, tables,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

static Value buildLsh(YosoAttentionOp op, OpBuilder &b, unsigned numBatch) {
  Location loc = op.getLoc();
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  int64_t bits = op.getHashBitsAttr().getInt();
  int64_t hashes = op.getNumHashesAttr().getInt();
  Value query = collapseBatchDims(b, loc, op.getQuery(), numBatch);
  Value key = collapseBatchDims(b, loc, op.getKey(), numBatch);
  Value value = collapseBatchDims(b, loc, op.getValue(), numBatch);
  Value mask = op.getMask() ? collapseBatchDims(b, loc, op.getMask(), numBatch)
                            : Value();
  Value queryMask =
      op.getMask() ? collapseBatchDims(b, loc, getQueryMask(op, b), numBatch)
                   : Value();
  SmallVector<OpFoldResult> querySizes = tensor::getMixedSizes(b, loc, query);
  SmallVector<OpFoldResult> valueSizes = tensor::getMixedSizes(b, loc, value);
  OpFoldResult bh = querySizes[0], n = querySizes[1];
  OpFoldResult m = valueSizes[1], e = valueSizes[2];
  BatchedLinalgBuilder lb(b, loc, {bh});

  // The projection: given, or built from the fast hash's diagonals.
  Value projection = op.getProjection();
  bool sharedProjection;
  if (projection) {
    sharedProjection =
        cast<RankedTensorType>(projection.getType()).getRank() == 2;
    if (!sharedProjection)
      projection = collapseBatchDims(b, loc, projection, numBatch);
  } else {
    Value diagonals = op.getHadamardDiagonals();
    sharedProjection =
        cast<RankedTensorType>(diagonals.getType()).getRank() == 3;
    if (!sharedProjection)
      diagonals = collapseBatchDims(b, loc, diagonals, numBatch);
    SmallVector<OpFoldResult> batchSizes;
    if (!sharedProjection)
      batchSizes.push_back(bh);
    projection =
        buildFastHashProjection(b, loc, diagonals, batchSizes, bits, hashes);
  }
  Value zero = lb.constant(0.0f);

  // codes[bh, i, h] = Σ_t [x_i · P[:, h·τ + t] > 0] · 2^t.
  MLIRContext *ctx = b.getContext();
  auto codes = [&](Value x, OpFoldResult rows) -> Value {
    OpFoldResult columns = b.getIndexAttr(hashes * bits);
    // Loops (bh, i, x, c): the innermost loop runs along projection rows.
    AffineMap projectionMap =
        sharedProjection
            ? AffineMap::get(
                  4, 0, {b.getAffineDimExpr(2), b.getAffineDimExpr(3)}, ctx)
            : lb.map(3, {1, 2});
    Value projected = lb.generic(
        {x, projection}, lb.filled({rows, columns}, zero),
        {lb.map(3, {0, 1}), projectionMap, lb.map(3, {0, 2})},
        lb.iterators({par, red, par}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value prod =
              arith::MulFOp::create(nb, l, lb.toF32(nb, a[0]),
                                    lb.toF32(nb, a[1]), kContractionFastMath);
          return arith::AddFOp::create(nb, l, a[2], prod, kContractionFastMath);
        });
    Value codeInit = tensor::EmptyOp::create(
        b, loc, lb.sizes({rows, b.getIndexAttr(hashes)}), b.getI32Type());
    Value zeroCode = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    codeInit = linalg::FillOp::create(b, loc, zeroCode, codeInit).getResult(0);
    // Loops (bh, i, h, t); bit t of hash h is column h·τ + t.
    AffineExpr column = b.getAffineDimExpr(2) * bits + b.getAffineDimExpr(3);
    AffineMap bitMap = AffineMap::get(
        4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1), column}, ctx);
    // The bit index t only sizes the reduction loop.
    Value bitPositions = tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{bits}, b.getI32Type());
    AffineMap bitPositionMap =
        AffineMap::get(4, 0, {b.getAffineDimExpr(3)}, ctx);
    return lb.generic(
        {projected, bitPositions}, codeInit,
        {bitMap, bitPositionMap, lb.map(3, {0, 1})},
        lb.iterators({par, par, red}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value positive = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OGT, a[0], zero);
          Value t = arith::IndexCastOp::create(
              nb, l, nb.getI32Type(), linalg::IndexOp::create(nb, l, 3));
          Value one = arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(1));
          Value bit = arith::ShLIOp::create(nb, l, one, t);
          Value none =
              arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0));
          return arith::OrIOp::create(
              nb, l, a[2], arith::SelectOp::create(nb, l, positive, bit, none));
        });
  };
  Value queryCodes = codes(query, n);
  Value keyCodes = codes(key, m);

  // Masked keys contribute nothing: scatter mask ⊙ V.
  Value maskedValue = value;
  if (mask) {
    maskedValue = lb.generic(
        {value, mask},
        tensor::EmptyOp::create(b, loc, lb.sizes({m, e}), b.getF32Type()),
        {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {0, 1})},
        lb.iterators({par, par}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return arith::SelectOp::create(nb, l, a[1], lb.toF32(nb, a[0]), zero);
        });
  }

  // tables[bh, h, c, :] = Σ_{j: code_h(k_j) = c} (mask ⊙ V)[bh, j, :]. On a
  // GPU, one thread per (bh, j, h, e) adding atomically; otherwise loops
  // over (bh, j, h) adding one value row into one bucket row.
  OpFoldResult numHashes = b.getIndexAttr(hashes);
  OpFoldResult buckets = b.getIndexAttr(int64_t(1) << bits);
  Value tables =
      targetsGpu(op)
          ? buildAtomicBucketSums(b, loc, maskedValue, keyCodes,
                                  {bh, numHashes, buckets, e})
          : buildBucketSums(b, loc, lb, maskedValue, keyCodes,
                            lb.filled({numHashes, buckets, e}, zero), hashes);

  // x[bh, i, :] = (mask_i / num_hashes) Σ_h tables[bh, h, code_h(q_i), :];
  // loops (bh, i, e, h).
  Value sums = lb.generic(
      {queryCodes}, lb.filled({n, e}, zero),
      {lb.map(3, {0, 2}), lb.map(3, {0, 1})}, lb.iterators({par, par, red}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value bucket =
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
        Value entry = tensor::ExtractOp::create(
            nb, l, tables,
            ValueRange{linalg::IndexOp::create(nb, l, 0),
                       linalg::IndexOp::create(nb, l, 3), bucket,
                       linalg::IndexOp::create(nb, l, 2)});
        return arith::AddFOp::create(nb, l, a[1], entry);
      });
  Value average = lb.constant(1.0f / static_cast<float>(hashes));
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (queryMask) {
    inputs.push_back(queryMask);
    maps.push_back(lb.map(2, {0}));
  }
  maps.push_back(lb.map(2, {0, 1}));
  Value estimate =
      lb.generic(inputs, sums, maps, lb.iterators({par, par}),
                 [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                   Value scaled =
                       arith::MulFOp::create(nb, l, a.back(), average);
                   if (a.size() == 1)
                     return scaled;
                   return arith::SelectOp::create(nb, l, a[0], scaled, zero);
                 });

  // Back to [batch..., N, E].
  return expandBatchDims(b, loc, estimate, op.getInit(), numBatch);
}

FailureOr<SmallVector<Value>>
YosoAttentionOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  unsigned numBatch = getNumBatchDims();
  SmallVector<OpFoldResult> querySizes =
      tensor::getMixedSizes(b, loc, getQuery());
  SmallVector<OpFoldResult> valueSizes =
      tensor::getMixedSizes(b, loc, getValue());
  OpFoldResult n = querySizes[numBatch], d = querySizes[numBatch + 1];
  OpFoldResult m = valueSizes[numBatch], e = valueSizes[numBatch + 1];
  BatchedLinalgBuilder lb(b, loc, ArrayRef(querySizes).take_front(numBatch));
  Value x = getMode() == "expectation" ? buildExpectation(*this, lb, n, m, d, e)
                                       : buildLsh(*this, b, numBatch);
  Value result = lb.convertInto(lb.l2NormalizeRows(x, n, e), getInit());
  return SmallVector<Value>{result};
}
