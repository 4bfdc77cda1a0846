//===- MraDecomposition.cpp - MRA-2 attention to linalg and scf -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.mra_attention into linalg, scf and tensor ops (f32),
// with the batch dimensions collapsed into one:
//
// 1. Low resolution (linalg): block counts and block means, the block score
//    grid Lo, its row maxima and the selection scores S, mapped to integer
//    keys that order like the floats.
// 2. Top-k (effattn.kth_largest): the k-th largest key T of each batch
//    element; counting keys > T and the ties of earlier block rows gives each
//    row its share of the ties.
// 3. Selection (scf.forall over batch x block row): a sequential scan of the
//    row builds the list of its selected key blocks.
// 4. High resolution (effattn.block_sparse_attention): an online softmax
//    over the key/value blocks gathered through that list, so only selected
//    blocks are ever computed; in "full" mode it is merged with the
//    low-resolution contribution of the unselected blocks (a GEMM on the
//    grid of block weights).
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/Selection.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Penalty of empty blocks and bonus of prior blocks (the authors' values).
static constexpr float kEmptyBlockPenalty = 1.0e4f;
static constexpr float kPriorBonus = 5.0e3f;
/// Added to the block counts, as the authors do.
static constexpr float kEpsilon = 1.0e-6f;

namespace {
/// The result of the block selection, per batch element b and block row I.
struct BlockSelection {
  /// i32 [BH, nb, nb]: the first counts[b, I] entries of row (b, I) are the
  /// selected key blocks, in increasing order.
  Value columns;
  /// i32 [BH, nb, 1]: how many blocks row (b, I) selected.
  Value counts;
  /// i1 [BH, nb, nb]: whether block (I, J) is selected.
  Value grid;
};

/// Builds the decomposition of one op.
class MraDecomposer {
public:
  /// `bh` is the product of the batch sizes.
  MraDecomposer(OpBuilder &b, MraAttentionOp op, OpFoldResult bh)
      : b(b), op(op), loc(op.getLoc()), numBatch(op.getNumBatchDims()),
        lb(b, loc, {bh}), blockSize(op.getBlockSizeAttr().getInt()),
        numRows(op.getNumBlockRows()), seqLen(numRows * blockSize),
        numSelected(op.getNumSelectedBlocks()), bh(bh) {}

  Value run();

private:
  /// Returns x [B..., N, D] as a [BH, N, D] tensor of `elementType` zeroed
  /// at padded tokens.
  Value prepare(Value x, Type elementType);
  /// Returns x [BH, N, C] with N = nb·bs as [BH, nb, bs, C], or x [BH, N]
  /// as [BH, nb, bs] when `c` is not given.
  Value splitBlocks(Value x, std::optional<OpFoldResult> c);
  /// Returns the block sums of x [BH, N, C] divided by count + 1e-6.
  Value blockMeans(Value x, Value counts, OpFoldResult c);
  /// Returns the i32 keys [BH, nb, nb] of the selection scores S.
  Value selectionKeys(Value lo, Value rowMax);
  /// Returns each block row's share of the keys equal to the i32 threshold
  /// [BH], i64 [BH, nb]: the ties go to the earliest rows.
  Value tieQuotas(Value keys, Value threshold);
  /// Selects exactly k blocks per batch element.
  BlockSelection selectBlocks(Value keys, Value threshold, Value quotas);
  /// Returns the f32 [BH, N, E] result.
  Value highResolution(const BlockSelection &selection, Value loNum,
                       Value loDen, Value rowMax);

  /// Returns an empty tensor of `sizes` and element type `type`, filled with
  /// `value`.
  Value filled(OpBuilder &nb, ArrayRef<OpFoldResult> sizes, Type type,
               TypedAttr value);

  OpBuilder &b;
  MraAttentionOp op;
  Location loc;
  unsigned numBatch;
  /// Builds linalg.generic ops whose first loop is the collapsed batch.
  BatchedLinalgBuilder lb;
  int64_t blockSize, numRows, seqLen, numSelected;
  OpFoldResult bh, d, e;
  Value scale, mask, query, key, value, counts;
};
} // namespace

Value MraDecomposer::filled(OpBuilder &nb, ArrayRef<OpFoldResult> sizes,
                            Type type, TypedAttr value) {
  Value empty = tensor::EmptyOp::create(nb, loc, sizes, type);
  Value constant = arith::ConstantOp::create(nb, loc, value);
  return linalg::FillOp::create(nb, loc, constant, empty).getResult(0);
}

Value MraDecomposer::prepare(Value x, Type elementType) {
  const IteratorType par = IteratorType::parallel;
  OpFoldResult c = tensor::getMixedSize(b, loc, x, 2);
  Value init = tensor::EmptyOp::create(
      b, loc, lb.sizes({b.getIndexAttr(seqLen), c}), elementType);
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{lb.map(2, {0, 1})};
  if (mask) {
    inputs.push_back(mask);
    maps.push_back(lb.map(2, {0}));
  }
  maps.push_back(lb.map(2, {0, 1}));
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType));
  return lb.generic(inputs, init, maps, lb.iterators({par, par}),
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      Value v = a[0];
                      if (v.getType() != elementType)
                        v = lb.toF32(nb, v);
                      if (!mask)
                        return v;
                      return arith::SelectOp::create(nb, l, a[1], v, zero);
                    });
}

Value MraDecomposer::splitBlocks(Value x, std::optional<OpFoldResult> c) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes{bh, b.getIndexAttr(numRows),
                                  b.getIndexAttr(blockSize)};
  SmallVector<ReassociationIndices> groups{{0}, {1, 2}};
  if (c) {
    sizes.push_back(*c);
    groups.push_back({3});
  }
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  dispatchIndexOpFoldResults(sizes, dynamic, shape);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, groups,
      sizes);
}

Value MraDecomposer::blockMeans(Value x, Value blockCounts, OpFoldResult c) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  OpFoldResult rows = b.getIndexAttr(numRows);
  Value sums = lb.generic(
      {splitBlocks(x, c)}, lb.filled({rows, c}, lb.constant(0.0f)),
      {lb.map(3, {0, 1, 2}), lb.map(3, {0, 2})}, lb.iterators({par, red, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::AddFOp::create(nb, l, a[1], lb.toF32(nb, a[0]));
      });
  Value epsilon = lb.constant(kEpsilon);
  return lb.generic({blockCounts}, sums, {lb.map(2, {0}), lb.map(2, {0, 1})},
                    lb.iterators({par, par}),
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      Value count = arith::AddFOp::create(nb, l, a[0], epsilon);
                      return arith::DivFOp::create(nb, l, a[1], count);
                    });
}

Value MraDecomposer::selectionKeys(Value lo, Value rowMax) {
  const IteratorType par = IteratorType::parallel;
  int64_t first = op.getPriorFirstBlocksAttr().getInt();
  int64_t diagonal = op.getPriorDiagonalBlocksAttr().getInt();
  OpFoldResult rows = b.getIndexAttr(numRows);
  Value init =
      tensor::EmptyOp::create(b, loc, lb.sizes({rows, rows}), b.getI32Type());
  Value bonus = lb.constant(kPriorBonus);
  return lb.generic(
      {lo, rowMax}, init,
      {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {0, 1})},
      lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        auto index = [&](int64_t v) -> Value {
          return arith::ConstantIndexOp::create(nb, l, v);
        };
        auto addIf = [&](Value condition, Value s) -> Value {
          Value added = arith::AddFOp::create(nb, l, s, bonus);
          return arith::SelectOp::create(nb, l, condition, added, s);
        };
        Value row = linalg::IndexOp::create(nb, l, 1);
        Value col = linalg::IndexOp::create(nb, l, 2);
        Value s = arith::SubFOp::create(nb, l, a[0], a[1]);
        if (diagonal > 0) {
          // |row - col| <= diagonal / 2, as two comparisons (math.absi on
          // index has no NVVM lowering).
          auto within = [&](Value x, Value y) -> Value {
            return arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle,
                                         arith::SubIOp::create(nb, l, x, y),
                                         index(diagonal / 2));
          };
          s = addIf(
              arith::AndIOp::create(nb, l, within(row, col), within(col, row)),
              s);
        }
        if (first > 0) {
          s = addIf(arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, row,
                                          index(first)),
                    s);
          s = addIf(arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, col,
                                          index(first)),
                    s);
        }
        return buildOrderedKey(nb, l, s);
      });
}

Value MraDecomposer::tieQuotas(Value keys, Value threshold) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Type i64 = b.getI64Type();
  OpFoldResult rows = b.getIndexAttr(numRows);
  TypedAttr zeroAttr = b.getI64IntegerAttr(0);
  auto countKeys = [&](arith::CmpIPredicate predicate, Value init,
                       AffineMap initMap, IteratorType rowIterator) {
    return lb.generic(
        {keys, threshold}, init, {lb.map(2, {0, 1}), lb.map(2, {}), initMap},
        lb.iterators({rowIterator, red}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value hit = arith::CmpIOp::create(nb, l, predicate, a[0], a[1]);
          Value add = arith::ExtUIOp::create(nb, l, nb.getI64Type(), hit);
          return arith::AddIOp::create(nb, l, a[2], add);
        });
  };
  Value greater = countKeys(arith::CmpIPredicate::sgt,
                            filled(b, {bh}, i64, zeroAttr), lb.map(2, {}), red);
  Value ties =
      countKeys(arith::CmpIPredicate::eq, filled(b, {bh, rows}, i64, zeroAttr),
                lb.map(2, {0}), par);
  // Ties in the block rows before each row: loops (b, I, I').
  Value tiesBefore = lb.generic(
      {ties}, filled(b, {bh, rows}, i64, zeroAttr),
      {lb.map(2, {1}), lb.map(2, {0})}, lb.iterators({par, red}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value row = linalg::IndexOp::create(nb, l, 1);
        Value earlier = linalg::IndexOp::create(nb, l, 2);
        Value isBefore = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt,
                                               earlier, row);
        Value zero = arith::ConstantIntOp::create(nb, l, nb.getI64Type(), 0);
        Value add = arith::SelectOp::create(nb, l, isBefore, a[0], zero);
        return arith::AddIOp::create(nb, l, a[1], add);
      });
  // quota = clamp(k - greater - tiesBefore, 0, ties).
  return lb.generic(
      {greater, ties}, tiesBefore,
      {lb.map(1, {}), lb.map(1, {0}), lb.map(1, {0})}, lb.iterators({par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value k =
            arith::ConstantIntOp::create(nb, l, nb.getI64Type(), numSelected);
        Value zero = arith::ConstantIntOp::create(nb, l, nb.getI64Type(), 0);
        Value left = arith::SubIOp::create(
            nb, l, arith::SubIOp::create(nb, l, k, a[0]), a[2]);
        Value atLeastZero = arith::MaxSIOp::create(nb, l, left, zero);
        return arith::MinSIOp::create(nb, l, atLeastZero, a[1]);
      });
}

BlockSelection MraDecomposer::selectBlocks(Value keys, Value threshold,
                                           Value quotas) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  OpFoldResult rows = b.getIndexAttr(numRows);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  bool withGrid = op.getMode() == "full";
  SmallVector<Value> outputs{
      tensor::EmptyOp::create(b, loc, {bh, rows, rows}, i32),
      tensor::EmptyOp::create(b, loc, {bh, rows, one}, i32)};
  if (withGrid)
    outputs.push_back(
        tensor::EmptyOp::create(b, loc, {bh, rows, rows}, b.getI1Type()));
  auto forall = scf::ForallOp::create(b, loc, {bh, rows}, outputs,
                                      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value batch = forall.getInductionVar(0), row = forall.getInductionVar(1);
  ValueRange shared = forall.getRegionIterArgs();
  SmallVector<OpFoldResult> rowOffsets{batch, row, zero};
  SmallVector<OpFoldResult> rowSizes{one, one, rows};
  SmallVector<OpFoldResult> unitStrides(3, one);
  auto rowType = [&](Type elementType) {
    return RankedTensorType::get({numRows}, elementType);
  };
  SmallVector<Value> initArgs{tensor::ExtractSliceOp::create(
      b, loc, rowType(i32), shared[0], rowOffsets, rowSizes, unitStrides)};
  if (withGrid)
    initArgs.push_back(tensor::ExtractSliceOp::create(
        b, loc, rowType(b.getI1Type()), shared[2], rowOffsets, rowSizes,
        unitStrides));
  Value threshold0 = tensor::ExtractOp::create(b, loc, threshold, batch);
  Value quota = tensor::ExtractOp::create(b, loc, quotas, {batch, row});
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value oneIndex = arith::ConstantIndexOp::create(b, loc, 1);
  Value zero64 = arith::ConstantIntOp::create(b, loc, i64, 0);
  initArgs.insert(initArgs.begin(), {zeroIndex, zero64});
  // Scan the row: iter_args (count, ties taken, columns, grid row).
  auto scan = scf::ForOp::create(
      b, loc, zeroIndex, arith::ConstantIndexOp::create(b, loc, numRows),
      oneIndex, initArgs,
      [&](OpBuilder &nb, Location l, Value col, ValueRange args) {
        Value key = tensor::ExtractOp::create(nb, l, keys, {batch, row, col});
        Value isTie = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                            key, threshold0);
        Value isAbove = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt,
                                              key, threshold0);
        Value quotaLeft = arith::CmpIOp::create(
            nb, l, arith::CmpIPredicate::slt, args[1], quota);
        Value take = arith::OrIOp::create(
            nb, l, isAbove, arith::AndIOp::create(nb, l, isTie, quotaLeft));
        Value tiesTaken = arith::AddIOp::create(
            nb, l, args[1], arith::ExtUIOp::create(nb, l, i64, isTie));
        // Writing past the list end is harmless: count <= col < nb.
        Value colI32 = arith::IndexCastOp::create(nb, l, i32, col);
        SmallVector<Value> next{
            arith::AddIOp::create(
                nb, l, args[0],
                arith::IndexCastOp::create(
                    nb, l, nb.getIndexType(),
                    arith::ExtUIOp::create(nb, l, i64, take))),
            tiesTaken,
            tensor::InsertOp::create(nb, l, colI32, args[2], args[0])};
        if (withGrid)
          next.push_back(tensor::InsertOp::create(nb, l, take, args[3], col));
        scf::YieldOp::create(nb, l, next);
      });
  Value count = arith::IndexCastOp::create(b, loc, i32, scan.getResult(0));
  Value countTensor = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({1, 1, 1}, i32), count);

  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, scan.getResult(2), shared[0],
                                        rowOffsets, rowSizes, unitStrides);
  tensor::ParallelInsertSliceOp::create(
      b, loc, countTensor, shared[1], rowOffsets,
      SmallVector<OpFoldResult>{one, one, one}, unitStrides);
  if (withGrid)
    tensor::ParallelInsertSliceOp::create(b, loc, scan.getResult(3), shared[2],
                                          rowOffsets, rowSizes, unitStrides);
  BlockSelection selection{forall.getResult(0), forall.getResult(1), Value()};
  if (withGrid)
    selection.grid = forall.getResult(2);
  return selection;
}

Value MraDecomposer::highResolution(const BlockSelection &selection,
                                    Value loNum, Value loDen, Value rowMax) {
  Value counts = tensor::CollapseShapeOp::create(
      b, loc, selection.counts, SmallVector<ReassociationIndices>{{0}, {1, 2}});
  // The result is shaped like the prepared values, in f32.
  auto valueType = cast<RankedTensorType>(value.getType());
  return BlockSparseAttentionOp::create(b, loc, valueType.clone(b.getF32Type()),
                                        query, key, value, selection.columns,
                                        counts, scale, mask, loNum, loDen,
                                        loNum ? rowMax : Value(), blockSize);
}

Value MraDecomposer::run() {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  query = collapseBatchDims(b, loc, op.getQuery(), numBatch);
  key = collapseBatchDims(b, loc, op.getKey(), numBatch);
  value = collapseBatchDims(b, loc, op.getValue(), numBatch);
  if (Value padding = op.getMask())
    mask = collapseBatchDims(b, loc, padding, numBatch);
  d = tensor::getMixedSize(b, loc, query, 2);
  e = tensor::getMixedSize(b, loc, value, 2);
  if (std::optional<APFloat> attr = op.getScale()) {
    scale = lb.constant(attr->convertToFloat());
  } else if (std::optional<int64_t> headDim = getConstantIntValue(d)) {
    scale = lb.constant(
        static_cast<float>(1.0 / std::sqrt(static_cast<double>(*headDim))));
  } else {
    Value dim = getValueOrCreateConstantIndexOp(b, loc, d);
    Value asFloat = arith::SIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastOp::create(b, loc, b.getI64Type(), dim));
    scale = math::RsqrtOp::create(b, loc, asFloat);
  }
  // Query, key and value keep a common element type (f16 and bf16 on tensor
  // cores in block_sparse_attention), else become f32.
  Type elementType = getElementTypeOrSelf(query.getType());
  if (getElementTypeOrSelf(key.getType()) != elementType ||
      getElementTypeOrSelf(value.getType()) != elementType)
    elementType = b.getF32Type();
  query = prepare(query, elementType);
  key = prepare(key, elementType);
  value = prepare(value, elementType);

  // Low resolution.
  OpFoldResult rows = b.getIndexAttr(numRows);
  Value zero = lb.constant(0.0f);
  if (mask) {
    counts = lb.generic(
        {splitBlocks(mask, std::nullopt)}, lb.filled({rows}, zero),
        {lb.map(2, {0, 1}), lb.map(2, {0})}, lb.iterators({par, red}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value one = arith::UIToFPOp::create(nb, l, nb.getF32Type(), a[0]);
          return arith::AddFOp::create(nb, l, a[1], one);
        });
  } else {
    counts = lb.filled({rows}, lb.constant(static_cast<float>(blockSize)));
  }
  Value lo = lb.matmul(blockMeans(query, counts, d), blockMeans(key, counts, d),
                       /*transposeRhs=*/true, rows, rows);
  lo = lb.generic({}, lo, {lb.map(2, {0, 1})}, lb.iterators({par, par}),
                  [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                    return arith::MulFOp::create(nb, l, a[0], scale);
                  });
  Value rowMax = lb.rowMax(lo, rows);
  if (mask) {
    // Blocks with no real query or no real key are pushed to the bottom.
    Value penalty = lb.constant(kEmptyBlockPenalty), half = lb.constant(0.5f);
    Value init =
        tensor::EmptyOp::create(b, loc, lb.sizes({rows, rows}), b.getF32Type());
    lo = lb.generic(
        {lo, counts, counts}, init,
        {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {1}), lb.map(2, {0, 1})},
        lb.iterators({par, par}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value product = arith::MulFOp::create(nb, l, a[1], a[2]);
          Value empty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OLT,
                                              product, half);
          Value penalised = arith::SubFOp::create(nb, l, a[0], penalty);
          return arith::SelectOp::create(nb, l, empty, penalised, a[0]);
        });
  }

  // Selection.
  Value keys = selectionKeys(lo, rowMax);
  // The k-th largest key over each batch element's whole grid.
  Value grid = tensor::CollapseShapeOp::create(
      b, loc, keys, SmallVector<ReassociationIndices>{{0}, {1, 2}});
  auto gridType = cast<RankedTensorType>(grid.getType());
  Value threshold = KthLargestOp::create(
      b, loc, RankedTensorType::get({gridType.getDimSize(0)}, b.getI32Type()),
      grid, numSelected);
  BlockSelection selection =
      selectBlocks(keys, threshold, tieQuotas(keys, threshold));

  // Low-resolution contribution of the unselected blocks ("full" mode).
  Value loNum, loDen;
  if (selection.grid) {
    Value init =
        tensor::EmptyOp::create(b, loc, lb.sizes({rows, rows}), b.getF32Type());
    Value weights =
        lb.generic({lo, rowMax, selection.grid, counts}, init,
                   {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {0, 1}),
                    lb.map(2, {1}), lb.map(2, {0, 1})},
                   lb.iterators({par, par}),
                   [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     Value weight = math::ExpOp::create(
                         nb, l, arith::SubFOp::create(nb, l, a[0], a[1]));
                     weight = arith::MulFOp::create(nb, l, weight, a[3]);
                     return arith::SelectOp::create(nb, l, a[2], zero, weight);
                   });
    loNum = lb.matmul(weights, blockMeans(value, counts, e),
                      /*transposeRhs=*/false, rows, e);
    loDen = lb.rowSum(weights, rows);
  }
  Value x = highResolution(selection, loNum, loDen, rowMax);

  // Back to [batch..., N, E] in init's element type.
  Value init = op.getInit();
  x = expandBatchDims(b, loc, x, init, numBatch);
  SmallVector<OpFoldResult> initSizes = tensor::getMixedSizes(b, loc, init);
  BatchedLinalgBuilder outBuilder(
      b, loc, ArrayRef<OpFoldResult>(initSizes).take_front(numBatch));
  return outBuilder.convertInto(x, init);
}

/// Returns the product of `sizes`.
static OpFoldResult productOf(OpBuilder &b, Location loc,
                              ArrayRef<OpFoldResult> sizes) {
  int64_t staticProduct = 1;
  Value dynamicProduct;
  for (OpFoldResult size : sizes) {
    if (std::optional<int64_t> constant = getConstantIntValue(size)) {
      staticProduct *= *constant;
      continue;
    }
    Value v = cast<Value>(size);
    dynamicProduct =
        dynamicProduct ? arith::MulIOp::create(b, loc, dynamicProduct, v) : v;
  }
  if (!dynamicProduct)
    return b.getIndexAttr(staticProduct);
  if (staticProduct == 1)
    return dynamicProduct;
  return arith::MulIOp::create(
             b, loc, dynamicProduct,
             arith::ConstantIndexOp::create(b, loc, staticProduct))
      .getResult();
}

FailureOr<SmallVector<Value>> MraAttentionOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  SmallVector<OpFoldResult> querySizes =
      tensor::getMixedSizes(b, getLoc(), getQuery());
  OpFoldResult bh = productOf(
      b, getLoc(),
      ArrayRef<OpFoldResult>(querySizes).take_front(getNumBatchDims()));
  Value result = MraDecomposer(b, *this, bh).run();
  return SmallVector<Value>{result};
}
