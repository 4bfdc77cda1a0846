//===- LookupFfnDecomposition.cpp - LookupFFN to linalg ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.lookup_ffn over the tokens x [N, D] (leading dimensions
// collapsed) into linalg on tensors, in f32:
//
// 1. the projection z [N, T·τ]: a GEMM with the transposed weight plus the
//    bias ("dense"), or BH4: per repeat, four block-diagonal GEMMs each
//    followed by the shared fast Walsh-Hadamard transform, then the decay
//    mix with the zero-padded input;
// 2. codes [N, T] (i32, MSB first) and scores [N, T] (Σ|z| / Π(1 + e^-2|z|)):
//    one reduction with three results over the τ coordinates of each table;
// 3. the gather-accumulate out[n, :] = bias + Σ_t score[n, t] ·
//    tables[t, code[n, t], :], loops (n, t, o) so that the innermost loop
//    streams one table row into one output row (contiguous, vectorizable).
//
// No N × 2^τ or N × T × D_out intermediate exists; tiling the op along its
// tokens bounds every temporary by the tile.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

namespace {
/// Builds the decomposition of one op.
class LookupFfnDecomposer {
public:
  LookupFfnDecomposer(OpBuilder &b, LookupFfnOp op)
      : b(b), loc(op.getLoc()), lb(b, loc, {}), op(op), bits(op.getCodeBits()),
        numTables(op.getNumTables()), width(numTables * bits) {}

  Value run();

private:
  /// z = x · proj_weightᵀ + proj_bias, f32 [N, T·τ].
  Value buildDenseProjection(Value x, OpFoldResult tokens);
  /// The authors' BH4 projection plus proj_bias, f32 [N, T·τ].
  Value buildBh4Projection(Value x, OpFoldResult tokens);
  /// Returns z [N, T·τ] viewed as [N, T, τ].
  Value groupByTable(Value z);

  OpBuilder &b;
  Location loc;
  BatchedLinalgBuilder lb;
  LookupFfnOp op;
  int64_t bits, numTables, width;
};
} // namespace

Value LookupFfnDecomposer::buildDenseProjection(Value x, OpFoldResult tokens) {
  const IteratorType par = IteratorType::parallel;
  Value z = lb.matmul(x, op.getProjWeight(), /*transposeRhs=*/true, tokens,
                      b.getIndexAttr(width));
  return lb.generic({op.getProjBias()}, z, {lb.map(2, {1}), lb.map(2, {0, 1})},
                    lb.iterators({par, par}),
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::AddFOp::create(nb, l, a[1],
                                                   lb.toF32(nb, a[0]));
                    });
}

Value LookupFfnDecomposer::buildBh4Projection(Value x, OpFoldResult tokens) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  auto weightType = cast<RankedTensorType>(op.getProjWeight().getType());
  int64_t repeats = weightType.getDimSize(0);
  int64_t blocks = weightType.getDimSize(2),
          blockSize = weightType.getDimSize(3);
  int64_t padded = blocks * blockSize;
  int64_t d = op.getInputType().getShape().back();
  OpFoldResult zeroIndex = b.getIndexAttr(0), one = b.getIndexAttr(1);

  // The input zero-padded to P columns, in f32.
  Value zero = lb.constant(0.0f);
  Value input = lb.generic({x}, lb.filled({tokens, b.getIndexAttr(d)}, zero),
                           {lb.map(2, {0, 1}), lb.map(2, {0, 1})},
                           lb.iterators({par, par}),
                           [&](OpBuilder &nb, Location l, ValueRange a) {
                             return lb.toF32(nb, a[0]);
                           });
  int64_t staticTokens = cast<RankedTensorType>(x.getType()).getDimSize(0);
  if (padded != d) {
    auto paddedType =
        RankedTensorType::get({staticTokens, padded}, b.getF32Type());
    input = tensor::PadOp::create(
        b, loc, paddedType, input,
        SmallVector<OpFoldResult>{zeroIndex, zeroIndex},
        SmallVector<OpFoldResult>{zeroIndex, b.getIndexAttr(padded - d)}, zero);
  }

  // Y [R, N, P]: per repeat, y <- H(blockdiag(W[r, j]) · y) four times.
  SmallVector<ReassociationIndices> blockGroups{{0}, {1, 2}};
  auto blockedType =
      RankedTensorType::get({staticTokens, blocks, blockSize}, b.getF32Type());
  auto flatType = RankedTensorType::get({staticTokens, padded}, b.getF32Type());
  Value all = tensor::EmptyOp::create(
      b, loc, {b.getIndexAttr(repeats), tokens, b.getIndexAttr(padded)},
      b.getF32Type());
  OpFoldResult bs = b.getIndexAttr(blockSize), nb = b.getIndexAttr(blocks);
  for (int64_t r = 0; r < repeats; ++r) {
    Value y = input;
    for (int64_t j = 0; j < 4; ++j) {
      Value factor = tensor::ExtractSliceOp::create(
          b, loc,
          RankedTensorType::get({blocks, blockSize, blockSize},
                                weightType.getElementType()),
          op.getProjWeight(),
          SmallVector<OpFoldResult>{b.getIndexAttr(r), b.getIndexAttr(j),
                                    zeroIndex, zeroIndex, zeroIndex},
          SmallVector<OpFoldResult>{one, one, nb, bs, bs},
          SmallVector<OpFoldResult>(5, one));
      Value blocked =
          tensor::ExpandShapeOp::create(b, loc, blockedType, y, blockGroups);
      // Wᵀ per block (small), then loops (n, blk, i, o):
      // y'[n, blk, o] += y[n, blk, i] · Wᵀ[blk, i, o], the innermost loop
      // streaming rows of Wᵀ and y' (vector FMAs).
      Value transposed =
          lb.generic({factor}, lb.filled({nb, bs, bs}, zero),
                     {lb.map(3, {0, 2, 1}), lb.map(3, {0, 1, 2})},
                     lb.iterators({par, par, par}),
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       return lb.toF32(nb, a[0]);
                     });
      Value product = lb.generic(
          {blocked, transposed}, lb.filled({tokens, nb, bs}, zero),
          {lb.map(4, {0, 1, 2}), lb.map(4, {1, 2, 3}), lb.map(4, {0, 1, 3})},
          lb.iterators({par, par, red, par}),
          [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
            Value term =
                arith::MulFOp::create(nb, l, a[0], a[1], kContractionFastMath);
            return arith::AddFOp::create(nb, l, a[2], term,
                                         kContractionFastMath);
          });
      y = buildWalshHadamard(b, loc,
                             tensor::CollapseShapeOp::create(
                                 b, loc, flatType, product, blockGroups),
                             chooseButterflyKind(op));
    }
    all = tensor::InsertSliceOp::create(
        b, loc, y, all,
        SmallVector<OpFoldResult>{b.getIndexAttr(r), zeroIndex, zeroIndex},
        SmallVector<OpFoldResult>{one, tokens, b.getIndexAttr(padded)},
        SmallVector<OpFoldResult>(3, one));
  }

  // z[n, c] = decay · Y[c / P, n, c % P] + (1 - decay) · x[n, c % P] + bias.
  MLIRContext *ctx = b.getContext();
  AffineExpr n = b.getAffineDimExpr(0), c = b.getAffineDimExpr(1);
  AffineMap fromAll =
      AffineMap::get(2, 0, {c.floorDiv(padded), n, c % padded}, ctx);
  AffineMap fromInput = AffineMap::get(2, 0, {n, c % padded}, ctx);
  float decay = op.getDecay().convertToFloat();
  return lb.generic(
      {all, input, op.getProjBias()},
      lb.filled({tokens, b.getIndexAttr(width)}, zero),
      {fromAll, fromInput, lb.map(2, {1}), lb.map(2, {0, 1})},
      lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value mixed = arith::AddFOp::create(
            nb, l,
            arith::MulFOp::create(
                nb, l, a[0],
                arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(decay))),
            arith::MulFOp::create(
                nb, l, a[1],
                arith::ConstantOp::create(nb, l,
                                          nb.getF32FloatAttr(1.0f - decay))));
        return arith::AddFOp::create(nb, l, mixed, lb.toF32(nb, a[2]));
      });
}

Value LookupFfnDecomposer::groupByTable(Value z) {
  int64_t tokens = cast<RankedTensorType>(z.getType()).getDimSize(0);
  auto type = RankedTensorType::get({tokens, numTables, bits}, b.getF32Type());
  return tensor::ExpandShapeOp::create(
      b, loc, type, z, SmallVector<ReassociationIndices>{{0}, {1, 2}});
}

Value LookupFfnDecomposer::run() {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  unsigned numTokenDims = op.getInitType().getRank() - 1;
  Value x = collapseBatchDims(b, loc, op.getInput(), numTokenDims);
  OpFoldResult tokens = tensor::getMixedSize(b, loc, x, 0);
  Value z = op.getProjection() == "dense" ? buildDenseProjection(x, tokens)
                                          : buildBh4Projection(x, tokens);
  Value grouped = groupByTable(z);

  // Codes and scores in one pass over z, a reduction over the τ coordinates
  // of each (token, table) with three accumulators: the code (bit k is
  // z[n, t, k] > 0, weighted 2^(τ-1-k)), Σ_k |z| and Π_k (1 + e^(-2|z|)).
  OpFoldResult tableCount = b.getIndexAttr(numTables);
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  auto filledWith = [&](Type type, TypedAttr value) {
    return linalg::FillOp::create(
               b, loc, arith::ConstantOp::create(b, loc, value).getResult(),
               Value(
                   tensor::EmptyOp::create(b, loc, {tokens, tableCount}, type)))
        .getResult(0);
  };
  Value inits[] = {filledWith(i32, b.getI32IntegerAttr(0)),
                   filledWith(f32, b.getF32FloatAttr(0.0f)),
                   filledWith(f32, b.getF32FloatAttr(1.0f))};
  auto reduction = linalg::GenericOp::create(
      b, loc, TypeRange(ValueRange(inits)), ValueRange{grouped},
      ValueRange(inits),
      ArrayRef<AffineMap>{lb.map(3, {0, 1, 2}), lb.map(3, {0, 1}),
                          lb.map(3, {0, 1}), lb.map(3, {0, 1})},
      lb.iterators({par, par, red}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value k = arith::IndexCastOp::create(nb, l, nb.getI32Type(),
                                             linalg::IndexOp::create(nb, l, 2));
        Value position = arith::SubIOp::create(
            nb, l,
            arith::ConstantIntOp::create(nb, l, nb.getI32Type(), bits - 1), k);
        Value positive = arith::CmpFOp::create(
            nb, l, arith::CmpFPredicate::OGT, a[0],
            arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0f)));
        Value bit = arith::ShLIOp::create(
            nb, l, arith::ExtUIOp::create(nb, l, nb.getI32Type(), positive),
            position);
        Value magnitude = math::AbsFOp::create(nb, l, a[0]);
        Value decay = math::ExpOp::create(
            nb, l,
            arith::MulFOp::create(
                nb, l, magnitude,
                arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(-2.0f))));
        Value factor = arith::AddFOp::create(
            nb, l, decay,
            arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1.0f)));
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::OrIOp::create(nb, l, a[1], bit),
                       arith::AddFOp::create(nb, l, a[2], magnitude),
                       arith::MulFOp::create(nb, l, a[3], factor)});
      });
  Value codes = reduction.getResult(0);
  Value scores = lb.generic(
      {reduction.getResult(1)}, reduction.getResult(2),
      {lb.map(2, {0, 1}), lb.map(2, {0, 1})}, lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::DivFOp::create(nb, l, a[0], a[1]);
      });

  // out[n, o] = bias[o] + Σ_t score[n, t] · tables[t, code[n, t], o]; loops
  // (n, t, o).
  Value tables = op.getTables();
  int64_t dOut = op.getTablesType().getDimSize(2);
  OpFoldResult outSize = b.getIndexAttr(dOut);
  Value out = lb.generic(
      {op.getBias()}, lb.filled({tokens, outSize}, lb.constant(0.0f)),
      {lb.map(2, {1}), lb.map(2, {0, 1})}, lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return lb.toF32(nb, a[0]);
      });
  out = lb.generic(
      {codes, scores}, out,
      {lb.map(3, {0, 1}), lb.map(3, {0, 1}), lb.map(3, {0, 2})},
      lb.iterators({par, red, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value t = linalg::IndexOp::create(nb, l, 1);
        Value o = linalg::IndexOp::create(nb, l, 2);
        Value row = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
        Value entry = lb.toF32(nb, tensor::ExtractOp::create(
                                       nb, l, tables, ValueRange{t, row, o}));
        Value term =
            arith::MulFOp::create(nb, l, a[1], entry, kContractionFastMath);
        return arith::AddFOp::create(nb, l, a[2], term, kContractionFastMath);
      });
  Value init = collapseBatchDims(b, loc, op.getInit(), numTokenDims);
  return expandBatchDims(b, loc, lb.convertInto(out, init), op.getInit(),
                         numTokenDims);
}

FailureOr<SmallVector<Value>> LookupFfnOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  return SmallVector<Value>{LookupFfnDecomposer(b, *this).run()};
}
