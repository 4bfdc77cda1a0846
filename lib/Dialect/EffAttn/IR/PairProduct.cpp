//===- PairProduct.cpp - Register-tiled i8 GEMM on i16 pairs ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/PairProduct.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::effattn;

Value mlir::effattn::buildPairPanels(OpBuilder &b, Location loc, Value x,
                                     int64_t panel, Value paddedRows) {
  MLIRContext *context = b.getContext();
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value rows = tensor::DimOp::create(b, loc, x, 0);
  Value columns = tensor::DimOp::create(b, loc, x, 1);
  Value pairs = arith::DivUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, columns, index(1)), index(2));
  // Zero rows up to paddedRows and a zero column when K is odd.
  SmallVector<OpFoldResult> low(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> high{
      arith::SubIOp::create(b, loc, paddedRows, rows).getResult(),
      arith::SubIOp::create(
          b, loc, arith::MulIOp::create(b, loc, pairs, index(2)), columns)
          .getResult()};
  Value padded = tensor::PadOp::create(
      b, loc,
      RankedTensorType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                            b.getI8Type()),
      x, low, high,
      Value(arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0)));
  // [P·panel, 2·pairs] viewed as [P, panel, pairs, 2].
  Value panels = arith::DivUIOp::create(b, loc, paddedRows, index(panel));
  Value split = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get(
          {ShapedType::kDynamic, panel, ShapedType::kDynamic, 2},
          b.getI8Type()),
      padded, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}},
      ArrayRef<OpFoldResult>{panels, b.getIndexAttr(panel), pairs,
                             b.getIndexAttr(2)});
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<OpFoldResult>{panels, pairs, b.getIndexAttr(panel)},
      b.getI32Type());
  // out[q, p, c] = x'[q, c, p, 0] (low half) | x'[q, c, p, 1] << 16.
  AffineExpr q = getAffineDimExpr(0, context), p = getAffineDimExpr(1, context),
             c = getAffineDimExpr(2, context);
  auto pairMap = [&](int64_t half) {
    return AffineMap::get(3, 0, {q, c, p, getAffineConstantExpr(half, context)},
                          context);
  };
  SmallVector<AffineMap> maps{pairMap(0), pairMap(1),
                              AffineMap::getMultiDimIdentityMap(3, context)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{split, split}, ValueRange{init},
             maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               Type i32 = nb.getI32Type();
               Value low = arith::AndIOp::create(
                   nb, l, arith::ExtSIOp::create(nb, l, i32, args[0]),
                   arith::ConstantIntOp::create(nb, l, i32, 0xFFFF));
               Value high = arith::ShLIOp::create(
                   nb, l, arith::ExtSIOp::create(nb, l, i32, args[1]),
                   arith::ConstantIntOp::create(nb, l, i32, 16));
               linalg::YieldOp::create(
                   nb, l, Value(arith::OrIOp::create(nb, l, low, high)));
             })
      .getResult(0);
}

namespace {
/// Builds one register tile's loop over pairs and its result.
class PairTileBuilder {
public:
  PairTileBuilder(OpBuilder &b, Location loc, PairGemmConfigAttr config)
      : b(b), loc(loc), lanes(config.getVectorWidth()), rows(config.getMr()),
        vectors(config.getNr() / config.getVectorWidth()),
        vectorType(VectorType::get({lanes}, b.getI32Type())),
        halvesType(VectorType::get({2 * lanes}, b.getI16Type())) {}

  /// Returns the MR · NR/W sums (row-major) of the lhs panel `lhsPanel` and
  /// the rhs panel `rhsPanel` over all pairs.
  SmallVector<Value> sums(Value lhsPanels, Value lhsPanel, Value rhsPanels,
                          Value rhsPanel);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  /// Returns the vector of W i32 `x` as its 2W i16 halves.
  Value halves(Value x) {
    return vector::BitCastOp::create(b, loc, halvesType, x);
  }

  OpBuilder &b;
  Location loc;
  int64_t lanes, rows, vectors;
  VectorType vectorType, halvesType;
};
} // namespace

SmallVector<Value> PairTileBuilder::sums(Value lhsPanels, Value lhsPanel,
                                         Value rhsPanels, Value rhsPanel) {
  Value pairs = tensor::DimOp::create(b, loc, lhsPanels, 1);
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vectorType, b.getI32IntegerAttr(0)));
  SmallVector<Value> init(rows * vectors, zero);
  auto loop = scf::ForOp::create(
      b, loc, index(0), pairs, index(1), init,
      [&](OpBuilder &, Location, Value p, ValueRange acc) {
        SmallVector<Value> columns;
        for (int64_t v = 0; v < vectors; ++v)
          columns.push_back(halves(vector::TransferReadOp::create(
              b, loc, vectorType, rhsPanels,
              ValueRange{rhsPanel, p, index(v * lanes)},
              arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0),
              ArrayRef<bool>{true})));
        SmallVector<Value> next;
        for (int64_t i = 0; i < rows; ++i) {
          Value pair = tensor::ExtractOp::create(
              b, loc, lhsPanels, ValueRange{lhsPanel, p, index(i)});
          Value broadcast =
              halves(vector::BroadcastOp::create(b, loc, vectorType, pair));
          for (int64_t v = 0; v < vectors; ++v)
            next.push_back(MultiplyAddPairsOp::create(
                b, loc, broadcast, columns[v], acc[i * vectors + v]));
        }
        scf::YieldOp::create(b, loc, next);
      });
  return SmallVector<Value>(loop.getResults());
}

Value mlir::effattn::buildPairProductTile(OpBuilder &b, Location loc,
                                          Value lhsPanels, Value rhsPanels,
                                          ArrayRef<OpFoldResult> offsets,
                                          ArrayRef<OpFoldResult> sizes,
                                          int64_t rowTile, int64_t columnTile,
                                          PairGemmConfigAttr config) {
  int64_t mr = config.getMr(), nr = config.getNr(),
          lanes = config.getVectorWidth();
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto value = [&](OpFoldResult v) {
    return getValueOrCreateConstantIndexOp(b, loc, v);
  };
  Value tile = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{rowTile, columnTile}, b.getI32Type());
  auto rowLoop = scf::ForOp::create(
      b, loc, index(0), value(sizes[0]), index(mr), ValueRange{tile},
      [&](OpBuilder &, Location, Value r, ValueRange rowAcc) {
        Value lhsPanel = arith::DivUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, value(offsets[0]), r),
            index(mr));
        auto columnLoop = scf::ForOp::create(
            b, loc, index(0), value(sizes[1]), index(nr), rowAcc,
            [&](OpBuilder &, Location, Value c, ValueRange columnAcc) {
              Value rhsPanel = arith::DivUIOp::create(
                  b, loc, arith::AddIOp::create(b, loc, value(offsets[1]), c),
                  index(nr));
              SmallVector<Value> sums =
                  PairTileBuilder(b, loc, config)
                      .sums(lhsPanels, lhsPanel, rhsPanels, rhsPanel);
              Value result = columnAcc[0];
              for (int64_t i = 0; i < mr; ++i)
                for (int64_t v = 0; v < nr / lanes; ++v)
                  result =
                      vector::TransferWriteOp::create(
                          b, loc, sums[i * (nr / lanes) + v], result,
                          ValueRange{arith::AddIOp::create(b, loc, r, index(i)),
                                     arith::AddIOp::create(b, loc, c,
                                                           index(v * lanes))},
                          ArrayRef<bool>{true})
                          .getResult();
              scf::YieldOp::create(b, loc, result);
            });
        scf::YieldOp::create(b, loc, columnLoop.getResults());
      });
  return rowLoop.getResult(0);
}
