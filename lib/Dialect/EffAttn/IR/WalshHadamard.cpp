//===- WalshHadamard.cpp - fast Walsh-Hadamard transform --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

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

Value mlir::effattn::buildWalshHadamard(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  int64_t length = type.getDimSize(rank - 1);
  assert(llvm::isPowerOf2_64(length) && "length must be a power of two");
  int64_t dense = std::min(length, kDenseWidth);
  if (dense > 1)
    x = buildDenseStages(b, loc, x, dense);
  MLIRContext *ctx = b.getContext();
  // [..., P] <-> [..., P/(2h), 2, h]: the leading dimensions stay, the last
  // one splits in three.
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups.push_back({i});
  groups.push_back({rank - 1, rank, rank + 1});
  unsigned numLoops = rank + 2;
  SmallVector<AffineExpr> outer;
  for (unsigned i = 0; i + 2 < numLoops; ++i)
    outer.push_back(b.getAffineDimExpr(i));
  auto half = [&](int64_t which) {
    SmallVector<AffineExpr> exprs(outer);
    exprs.push_back(b.getAffineConstantExpr(which));
    exprs.push_back(b.getAffineDimExpr(numLoops - 1));
    return AffineMap::get(numLoops, 0, exprs, ctx);
  };
  AffineMap identity = b.getMultiDimIdentityMap(numLoops);
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  for (int64_t h = dense; h < length; h *= 2) {
    SmallVector<int64_t> shape(type.getShape().drop_back());
    shape.append({length / (2 * h), 2, h});
    auto stagedType = RankedTensorType::get(shape, type.getElementType());
    Value staged = tensor::ExpandShapeOp::create(b, loc, stagedType, x, groups);
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, staged);
    Value empty = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
    auto stage = linalg::GenericOp::create(
        b, loc, stagedType, ValueRange{staged, staged}, ValueRange{empty},
        ArrayRef<AffineMap>{half(0), half(1), identity}, iterators,
        [&](OpBuilder &nb, Location l, ValueRange a) {
          Value side = linalg::IndexOp::create(nb, l, numLoops - 2);
          Value isSum =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, side,
                                    arith::ConstantIndexOp::create(nb, l, 0));
          Value sum = arith::AddFOp::create(nb, l, a[0], a[1]);
          Value difference = arith::SubFOp::create(nb, l, a[0], a[1]);
          linalg::YieldOp::create(nb, l,
                                  ValueRange{arith::SelectOp::create(
                                      nb, l, isSum, sum, difference)});
        });
    x = tensor::CollapseShapeOp::create(b, loc, type, stage.getResult(0),
                                        groups);
  }
  return x;
}
