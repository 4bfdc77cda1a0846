//===- WalshHadamard.cpp - fast Walsh-Hadamard transform --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::effattn;

/// Butterfly stages below this width have inner loops too short to
/// vectorize: they run as one product with the constant kDenseWidth x
/// kDenseWidth Hadamard matrix instead.
static constexpr int64_t kDenseWidth = 16;

/// Returns x [..., P] with each group of `width` consecutive entries
/// multiplied by the width x width Hadamard matrix (a constant).
static Value buildDenseStages(OpBuilder &b, Location loc, Value x,
                              int64_t width) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t length = type.getDimSize(rank - 1);
  MLIRContext *ctx = b.getContext();
  SmallVector<float> entries;
  for (int64_t i = 0; i < width; ++i)
    for (int64_t j = 0; j < width; ++j)
      entries.push_back(llvm::popcount(uint64_t(i & j)) % 2 ? -1.0f : 1.0f);
  auto matrixType = RankedTensorType::get({width, width}, b.getF32Type());
  Value matrix = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(matrixType, ArrayRef(entries)));
  // [..., P] -> [..., P/width, width]; loops (..., g, j, i), i reduced:
  // y[..., g, j] = Σ_i x[..., g, i] · H[i, j]. H is read with j last, so
  // that effattn-order-loops can make j innermost (contiguous in H and y).
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups.push_back({i});
  groups.push_back({rank - 1, rank});
  SmallVector<int64_t> shape(type.getShape().drop_back());
  shape.append({length / width, width});
  auto groupedType = RankedTensorType::get(shape, type.getElementType());
  Value grouped = tensor::ExpandShapeOp::create(b, loc, groupedType, x, groups);
  unsigned numLoops = rank + 2;
  SmallVector<AffineExpr> outer;
  for (unsigned i = 0; i < rank; ++i)
    outer.push_back(b.getAffineDimExpr(i));
  AffineExpr j = b.getAffineDimExpr(rank), i = b.getAffineDimExpr(rank + 1);
  SmallVector<AffineExpr> inputExprs(outer), outputExprs(outer);
  inputExprs.push_back(i);
  outputExprs.push_back(j);
  SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, inputExprs, ctx),
                              AffineMap::get(numLoops, 0, {i, j}, ctx),
                              AffineMap::get(numLoops, 0, outputExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value init =
      linalg::FillOp::create(b, loc, zero,
                             Value(tensor::EmptyOp::create(
                                 b, loc, tensor::getMixedSizes(b, loc, grouped),
                                 type.getElementType())))
          .getResult(0);
  auto product = linalg::GenericOp::create(
      b, loc, groupedType, ValueRange{grouped, matrix}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value term = arith::MulFOp::create(nb, l, a[0], a[1]);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddFOp::create(nb, l, a[2], term)});
      });
  return tensor::CollapseShapeOp::create(b, loc, type, product.getResult(0),
                                         groups);
}

/// Returns one butterfly stage of half-width h (a multiple of kDenseWidth)
/// on x [N, P] as vector code, kDenseWidth lanes at a time:
/// (x[n, 2hg + i], x[n, 2hg + h + i]) -> (a + b, a - b). (As linalg, LLVM
/// fully unrolls the short inner loops of the first stages and vectorizes
/// the outer one with gathers.)
static Value buildButterflyStage(OpBuilder &b, Location loc, Value x,
                                 int64_t h) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t length = type.getDimSize(1);
  auto vectorType = VectorType::get({kDenseWidth}, type.getElementType());
  auto index = [&](OpBuilder &nb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(nb, loc, v);
  };
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                       type.getElementType());
  Value pad =
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  Value numRows = tensor::DimOp::create(b, loc, x, 0);
  auto rowLoop = scf::ForOp::create(
      b, loc, index(b, 0), numRows, index(b, 1), ValueRange{init},
      [&](OpBuilder &rb, Location, Value row, ValueRange rowArgs) {
        // Pair k in [0, P/2) (lanes of 16): first element at k + (k/h)·h.
        auto pairLoop = scf::ForOp::create(
            rb, loc, index(rb, 0), index(rb, length / 2),
            index(rb, kDenseWidth), rowArgs,
            [&](OpBuilder &pb, Location, Value k, ValueRange args) {
              Value group = arith::DivUIOp::create(pb, loc, k, index(pb, h));
              Value first = arith::AddIOp::create(
                  pb, loc, k,
                  arith::MulIOp::create(pb, loc, group, index(pb, h)));
              Value second =
                  arith::AddIOp::create(pb, loc, first, index(pb, h));
              auto read = [&](Value column) -> Value {
                return vector::TransferReadOp::create(
                    pb, loc, vectorType, x, ValueRange{row, column}, pad,
                    ArrayRef<bool>{true});
              };
              Value lhs = read(first), rhs = read(second);
              Value out = args[0];
              for (auto [value, column] :
                   {std::pair{Value(arith::AddFOp::create(pb, loc, lhs, rhs)),
                              first},
                    std::pair{Value(arith::SubFOp::create(pb, loc, lhs, rhs)),
                              second}})
                out = vector::TransferWriteOp::create(pb, loc, value, out,
                                                      ValueRange{row, column},
                                                      ArrayRef<bool>{true})
                          .getResult();
              scf::YieldOp::create(pb, loc, out);
            });
        scf::YieldOp::create(rb, loc, pairLoop.getResult(0));
      });
  return rowLoop.getResult(0);
}

/// Returns one butterfly stage of half-width h on x [N, P] as a generic in
/// which element j reads its partner j ^ h: a + b where bit h of j is clear,
/// a - b where it is set (a = x[n, j & ~h], b = x[n, j | h]).
static Value buildGatherButterflyStage(OpBuilder &b, Location loc, Value x,
                                       int64_t h) {
  auto type = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x),
                                       type.getElementType());
  auto stage = linalg::GenericOp::create(
      b, loc, type, ValueRange{x}, ValueRange{init},
      ArrayRef<AffineMap>{identity, identity},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value row = linalg::IndexOp::create(nb, l, 0);
        Value column = linalg::IndexOp::create(nb, l, 1);
        Value half = arith::ConstantIndexOp::create(nb, l, h);
        Value partner = arith::XOrIOp::create(nb, l, column, half);
        Value other =
            tensor::ExtractOp::create(nb, l, x, ValueRange{row, partner});
        Value bit = arith::AndIOp::create(nb, l, column, half);
        Value first =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, bit,
                                  arith::ConstantIndexOp::create(nb, l, 0));
        Value sum = arith::AddFOp::create(nb, l, args[0], other);
        Value difference = arith::SubFOp::create(nb, l, other, args[0]);
        linalg::YieldOp::create(
            nb, l,
            ValueRange{arith::SelectOp::create(nb, l, first, sum, difference)});
      });
  return stage.getResult(0);
}

ButterflyKind mlir::effattn::chooseButterflyKind(Operation *op) {
  return targetsGpu(op) ? ButterflyKind::Gather : ButterflyKind::Vector;
}

Value mlir::effattn::buildWalshHadamard(OpBuilder &b, Location loc, Value x,
                                        ButterflyKind kind) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t length = type.getDimSize(rank - 1);
  assert(llvm::isPowerOf2_64(length) && "length must be a power of two");
  int64_t dense = std::min(length, kDenseWidth);
  if (dense > 1)
    x = buildDenseStages(b, loc, x, dense);
  if (dense == length)
    return x;
  // The butterflies on rows [N, P] (leading dimensions collapsed).
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups[0].push_back(i);
  groups.push_back({rank - 1});
  Value rows = x;
  if (rank == 1)
    rows = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1, length}, type.getElementType()), x,
        SmallVector<ReassociationIndices>{{0, 1}});
  else if (rank > 2)
    rows = tensor::CollapseShapeOp::create(b, loc, x, groups);
  for (int64_t h = dense; h < length; h *= 2)
    rows = kind == ButterflyKind::Vector
               ? buildButterflyStage(b, loc, rows, h)
               : buildGatherButterflyStage(b, loc, rows, h);
  if (rank == 1)
    return tensor::CollapseShapeOp::create(
        b, loc, rows, SmallVector<ReassociationIndices>{{0, 1}});
  if (rank == 2)
    return rows;
  return tensor::ExpandShapeOp::create(b, loc, type, rows, groups,
                                       tensor::getMixedSizes(b, loc, x));
}
