//===- BlockSparseAttentionDecomposition.cpp - to linalg --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.block_sparse_attention into an scf.forall over (batch,
// block row) tasks, on a GPU target also over the query rows of the block
// (one thread per query row, with the row's softmax state rather than the
// block's in private memory). Each task runs an online softmax over the key
// and value blocks gathered through its row's list, so only listed blocks
// are computed, then normalises, merging the low-resolution terms.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

FailureOr<SmallVector<Value>>
BlockSparseAttentionOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  const IteratorType par = IteratorType::parallel;
  Value query = getQuery(), key = getKey(), value = getValue();
  Value mask = getMask(), scale = getScale();
  int64_t blockSize = getBlockSize();
  // A task computes `rowsPerTask` query rows of a block row: all of them on
  // a CPU (GEMMs of blocks), one on a GPU.
  int64_t rowsPerTask = targetsGpu(*this) ? 1 : blockSize;
  OpFoldResult bh = tensor::getMixedSize(b, loc, query, 0);
  OpFoldResult d = tensor::getMixedSize(b, loc, query, 2);
  OpFoldResult e = tensor::getMixedSize(b, loc, value, 2);
  OpFoldResult rows = b.getIndexAttr(getNumBlockRows()),
               bs = b.getIndexAttr(blockSize);
  OpFoldResult rt = b.getIndexAttr(rowsPerTask);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  Type f32 = b.getF32Type();
  Value out = tensor::EmptyOp::create(
      b, loc, {bh, tensor::getMixedSize(b, loc, query, 1), e}, f32);
  SmallVector<OpFoldResult> tasks{bh, rows};
  if (rowsPerTask < blockSize)
    tasks.push_back(b.getIndexAttr(blockSize / rowsPerTask));
  auto forall = scf::ForallOp::create(b, loc, tasks, ValueRange{out},
                                      /*mapping=*/std::nullopt);
  b.setInsertionPointToStart(forall.getBody());
  Value batch = forall.getInductionVar(0), row = forall.getInductionVar(1);
  Value blockSizeIndex = arith::ConstantIndexOp::create(b, loc, blockSize);
  Value first = arith::MulIOp::create(b, loc, row, blockSizeIndex);
  if (rowsPerTask < blockSize)
    first = arith::AddIOp::create(
        b, loc, first,
        arith::MulIOp::create(
            b, loc, forall.getInductionVar(2),
            arith::ConstantIndexOp::create(b, loc, rowsPerTask)));

  // Returns the `size` tokens from `start` of x [BH, N, cols] as [size,
  // cols], or of x [BH, N] as [size].
  auto block = [&](OpBuilder &nb, Location l, Value x, Value start,
                   int64_t size, std::optional<OpFoldResult> cols) -> Value {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> offsets{batch, start},
        sizes{one, nb.getIndexAttr(size)};
    SmallVector<int64_t> shape{size};
    if (cols) {
      offsets.push_back(zero);
      sizes.push_back(*cols);
      shape.push_back(type.getDimSize(2));
    }
    SmallVector<OpFoldResult> strides(offsets.size(), one);
    return tensor::ExtractSliceOp::create(
        nb, l, RankedTensorType::get(shape, type.getElementType()), x, offsets,
        sizes, strides);
  };

  BatchedLinalgBuilder rowBuilder(b, loc, {});
  Value queries = block(b, loc, query, first, rowsPerTask, d);
  Value numBlocks = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      tensor::ExtractOp::create(b, loc, getCounts(), ValueRange{batch, row}));
  Value m0 = rowBuilder.filled(
      {rt}, rowBuilder.constant(-std::numeric_limits<float>::infinity()));
  Value l0 = rowBuilder.filled({rt}, rowBuilder.constant(0.0f));
  Value acc0 = rowBuilder.filled({rt, e}, rowBuilder.constant(0.0f));

  // Online softmax over the listed key blocks: iter_args (m, l, acc).
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0), numBlocks,
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{m0, l0, acc0},
      [&](OpBuilder &nb, Location l, Value t, ValueRange args) {
        BatchedLinalgBuilder ib(nb, l, {});
        Value column = arith::IndexCastOp::create(
            nb, l, nb.getIndexType(),
            tensor::ExtractOp::create(nb, l, getColumns(),
                                      ValueRange{batch, row, t}));
        Value keyFirst = arith::MulIOp::create(nb, l, column, blockSizeIndex);
        Value keys = block(nb, l, key, keyFirst, blockSize, d);
        Value values = block(nb, l, value, keyFirst, blockSize, e);
        Value raw = ib.matmul(queries, keys, /*transposeRhs=*/true, rt, bs);
        // alpha = exp(m - m'), then m' = max(m, scale · block row max)
        // overwrites m: every iter_arg is updated in place.
        Value blockMax = ib.rowMax(raw, rt);
        Value alpha = ib.generic(
            {args[0], blockMax}, tensor::EmptyOp::create(nb, l, {rt}, f32),
            {ib.map(1, {0}), ib.map(1, {0}), ib.map(1, {0})},
            ib.iterators({par}),
            [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
              Value scaled = arith::MulFOp::create(bb, bl, a[1], scale);
              Value next = arith::MaximumFOp::create(bb, bl, a[0], scaled);
              return math::ExpOp::create(
                  bb, bl, arith::SubFOp::create(bb, bl, a[0], next));
            });
        Value mNew =
            ib.generic({blockMax}, args[0], {ib.map(1, {0}), ib.map(1, {0})},
                       ib.iterators({par}),
                       [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                         Value scaled =
                             arith::MulFOp::create(bb, bl, a[0], scale);
                         return arith::MaximumFOp::create(bb, bl, a[1], scaled);
                       });
        SmallVector<Value> inputs{mNew};
        SmallVector<AffineMap> maps{ib.map(2, {0})};
        if (mask) {
          inputs.push_back(
              block(nb, l, mask, keyFirst, blockSize, std::nullopt));
          maps.push_back(ib.map(2, {1}));
        }
        maps.push_back(ib.map(2, {0, 1}));
        Value zeroF = ib.constant(0.0f);
        Value p = ib.generic(
            inputs, raw, maps, ib.iterators({par, par}),
            [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
              Value s = arith::MulFOp::create(bb, bl, a.back(), scale);
              Value weight = math::ExpOp::create(
                  bb, bl, arith::SubFOp::create(bb, bl, s, a[0]));
              if (a.size() == 2)
                return weight;
              return arith::SelectOp::create(bb, bl, a[1], weight, zeroF);
            });
        Value lNew =
            ib.generic({alpha, ib.rowSum(p, rt)}, args[1],
                       {ib.map(1, {0}), ib.map(1, {0}), ib.map(1, {0})},
                       ib.iterators({par}),
                       [](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                         Value kept = arith::MulFOp::create(bb, bl, a[2], a[0]);
                         return arith::AddFOp::create(bb, bl, kept, a[1]);
                       });
        Value accScaled =
            ib.generic({alpha}, args[2], {ib.map(2, {0}), ib.map(2, {0, 1})},
                       ib.iterators({par, par}),
                       [](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                         return arith::MulFOp::create(bb, bl, a[1], a[0]);
                       });
        Value accNew =
            ib.matmulInto(p, values, /*transposeRhs=*/false, accScaled);
        scf::YieldOp::create(nb, l, ValueRange{mNew, lNew, accNew});
      });

  // Normalise, merging in the low-resolution terms.
  SmallVector<Value> inputs{loop.getResult(2), loop.getResult(1),
                            loop.getResult(0)};
  SmallVector<AffineMap> maps{rowBuilder.map(2, {0, 1}), rowBuilder.map(2, {0}),
                              rowBuilder.map(2, {0})};
  Value loDen, loMax;
  if (Value loNum = getLoNum()) {
    Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
    inputs.push_back(tensor::ExtractSliceOp::create(
        b, loc,
        RankedTensorType::get(
            {cast<RankedTensorType>(loNum.getType()).getDimSize(2)}, f32),
        loNum, SmallVector<OpFoldResult>{batch, row, zeroIndex},
        SmallVector<OpFoldResult>{one, one, e},
        SmallVector<OpFoldResult>(3, one)));
    maps.push_back(rowBuilder.map(2, {1}));
    loDen = tensor::ExtractOp::create(b, loc, getLoDen(), {batch, row});
    loMax = tensor::ExtractOp::create(b, loc, getLoMax(), {batch, row});
  }
  if (mask) {
    inputs.push_back(block(b, loc, mask, first, rowsPerTask, std::nullopt));
    maps.push_back(rowBuilder.map(2, {0}));
  }
  maps.push_back(rowBuilder.map(2, {0, 1}));
  Value epsilon = rowBuilder.constant(kDenominatorEpsilon);
  Value zeroF = rowBuilder.constant(0.0f);
  Value rowInit = tensor::EmptyOp::create(b, loc, {rt, e}, f32);
  Value result = rowBuilder.generic(
      inputs, rowInit, maps, rowBuilder.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value acc = a[0], sum = a[1], max = a[2];
        Value numerator = acc, denominator = sum;
        if (loDen) {
          Value reference = arith::MaximumFOp::create(nb, l, max, loMax);
          Value hiScale = math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, max, reference));
          Value loScale = math::ExpOp::create(
              nb, l, arith::SubFOp::create(nb, l, loMax, reference));
          numerator = arith::AddFOp::create(
              nb, l, arith::MulFOp::create(nb, l, acc, hiScale),
              arith::MulFOp::create(nb, l, a[3], loScale));
          denominator = arith::AddFOp::create(
              nb, l, arith::MulFOp::create(nb, l, sum, hiScale),
              arith::MulFOp::create(nb, l, loDen, loScale));
        }
        denominator = arith::AddFOp::create(nb, l, denominator, epsilon);
        Value x = arith::DivFOp::create(nb, l, numerator, denominator);
        if (!mask)
          return x;
        return arith::SelectOp::create(nb, l, a[a.size() - 2], x, zeroF);
      });

  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(
      b, loc, result, forall.getRegionIterArgs()[0],
      SmallVector<OpFoldResult>{batch, first, zero},
      SmallVector<OpFoldResult>{one, rt, e}, SmallVector<OpFoldResult>(3, one));
  return SmallVector<Value>{forall.getResult(0)};
}
