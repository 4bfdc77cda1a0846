//===- UnpackedMatmulDecomposition.cpp - IM-Unpack to linalg ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.unpacked_matmul (strategy "row") into linalg, scf and
// tensor ops with data-dependent shapes:
//
// 1. Digits per row: row max and min (linalg reductions), then the number of
//    base-2^(b-1) digits the larger magnitude needs.
// 2. Row offsets: an exclusive prefix sum (scf.for) whose total is the
//    unpacked row count M' — a dynamic size.
// 3. Unpack: tensor<M'xKxi8> rows, written by an scf.forall over the original
//    rows (digit j = x >> j(b-1), masked to [0, 2^(b-1)) except the last).
// 4. The low-bit GEMM: i8 x i8 products accumulated in i32 (linalg.generic).
// 5. Pack: result[i, j] = Σ_u Σ_v P[off_i + u, off_j + v] << ((u + v)(b-1)),
//    a linalg.generic over [M, N] whose body walks the digit rows (i64).
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Returns the number of base-2^shift digit rows of each row of x [R, K] as
/// an i64 tensor written into `init` [R].
static Value buildDigitCounts(OpBuilder &b, Location loc, Value x, Value init,
                              int64_t shift) {
  BatchedLinalgBuilder lb(b, loc, {});
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);
  auto i64 = [&](OpBuilder &nb, int64_t v) -> Value {
    return arith::ConstantIntOp::create(nb, loc, nb.getI64Type(), v);
  };
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Type i64Type = b.getI64Type();
  AffineMap all = lb.map(2, {0, 1}), perRow = lb.map(2, {0});
  auto rowExtreme = [&](bool max) {
    Value empty = tensor::EmptyOp::create(b, loc, {rows}, i64Type);
    Value start = i64(b, max ? std::numeric_limits<int64_t>::min()
                             : std::numeric_limits<int64_t>::max());
    Value init = linalg::FillOp::create(b, loc, start, empty).getResult(0);
    return lb.generic({x}, init, {all, perRow}, lb.iterators({par, red}),
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        Value v = a[0];
                        if (v.getType() != nb.getI64Type())
                          v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), v);
                        if (max)
                          return arith::MaxSIOp::create(nb, l, a[1], v);
                        return arith::MinSIOp::create(nb, l, a[1], v);
                      });
  };
  Value maxima = rowExtreme(true), minima = rowExtreme(false);
  // A value needs one more digit for every shift that leaves |x >> js| >= s
  // (arithmetic shifts are floor divisions; the condition is monotone in j).
  int64_t base = int64_t(1) << shift;
  int64_t maxShifts = (63 + shift - 1) / shift;
  return lb.generic(
      {maxima, minima}, init, {lb.map(1, {0}), lb.map(1, {0}), lb.map(1, {0})},
      lb.iterators({par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value count = i64(nb, 1);
        for (int64_t j = 0; j < maxShifts; ++j) {
          Value amount = i64(nb, j * shift);
          Value high = arith::ShRSIOp::create(nb, l, a[0], amount);
          Value low = arith::ShRSIOp::create(nb, l, a[1], amount);
          Value tooBig = arith::OrIOp::create(
              nb, l,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, high,
                                    i64(nb, base)),
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, low,
                                    i64(nb, -base)));
          count = arith::AddIOp::create(
              nb, l, count,
              arith::ExtUIOp::create(nb, l, nb.getI64Type(), tooBig));
        }
        return count;
      });
}

namespace {
/// An operand split into digit rows.
struct UnpackedRows {
  /// i8 [R', K]: the digit rows, those of row r at offsets[r] + j.
  Value digits;
  /// index [R]: the first digit row of each row.
  Value offsets;
  /// i64 [R]: how many digit rows each row has (>= 1).
  Value counts;
  /// The total R'.
  Value total;
};

/// Builds the decomposition of one op.
class UnpackDecomposer {
public:
  UnpackDecomposer(OpBuilder &b, UnpackedMatmulOp op)
      : b(b), loc(op.getLoc()), lb(b, loc, {}),
        shift(op.getBitsAttr().getInt() - 1), op(op) {}

  Value run();

private:
  /// Splits the rows of x [R, K] into digit rows.
  UnpackedRows unpackRows(Value x);
  /// Returns an i64 constant.
  Value i64(OpBuilder &nb, int64_t v) {
    return arith::ConstantIntOp::create(nb, loc, nb.getI64Type(), v);
  }

  OpBuilder &b;
  Location loc;
  BatchedLinalgBuilder lb;
  /// bits - 1: the weight of one digit is 2^shift.
  int64_t shift;
  UnpackedMatmulOp op;
};
} // namespace

UnpackedRows UnpackDecomposer::unpackRows(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);
  int64_t k = type.getDimSize(1);
  Value counts = buildDigitCounts(
      b, loc, x, tensor::EmptyOp::create(b, loc, {rows}, b.getI64Type()),
      shift);

  // Offsets: an exclusive prefix sum of the counts; its total is R'.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value rowCount = getValueOrCreateConstantIndexOp(b, loc, rows);
  Value offsets0 = tensor::EmptyOp::create(b, loc, {rows}, b.getIndexType());
  auto scan = scf::ForOp::create(
      b, loc, zero, rowCount, one, ValueRange{zero, offsets0},
      [&](OpBuilder &nb, Location l, Value r, ValueRange args) {
        Value next = tensor::InsertOp::create(nb, l, args[0], args[1], r);
        Value count = arith::IndexCastOp::create(
            nb, l, nb.getIndexType(),
            tensor::ExtractOp::create(nb, l, counts, r));
        Value total = arith::AddIOp::create(nb, l, args[0], count);
        scf::YieldOp::create(nb, l, ValueRange{total, next});
      });
  Value total = scan.getResult(0), offsets = scan.getResult(1);

  // Digit rows, written in place by one task per original row.
  Type i8 = b.getI8Type();
  Value digits0 = tensor::EmptyOp::create(
      b, loc, {OpFoldResult(total), b.getIndexAttr(k)}, i8);
  auto forall = scf::ForallOp::create(b, loc, {rows}, ValueRange{digits0},
                                      /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value r = forall.getInductionVar(0);
    Value shared = forall.getRegionIterArgs()[0];
    Value start = tensor::ExtractOp::create(b, loc, offsets, r);
    Value countI64 = tensor::ExtractOp::create(b, loc, counts, r);
    Value count =
        arith::IndexCastOp::create(b, loc, b.getIndexType(), countI64);
    OpFoldResult kSize = b.getIndexAttr(k), unit = b.getIndexAttr(1);
    auto sliceType = RankedTensorType::get({ShapedType::kDynamic, k}, i8);
    Value block = tensor::ExtractSliceOp::create(
        b, loc, sliceType, shared,
        SmallVector<OpFoldResult>{start, b.getIndexAttr(0)},
        SmallVector<OpFoldResult>{count, kSize},
        SmallVector<OpFoldResult>{unit, unit});
    Value source = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({k}, type.getElementType()), x,
        SmallVector<OpFoldResult>{r, b.getIndexAttr(0)},
        SmallVector<OpFoldResult>{unit, kSize},
        SmallVector<OpFoldResult>{unit, unit});
    Value lastDigit = arith::SubIOp::create(b, loc, countI64, i64(b, 1));
    auto digitsLoop = scf::ForOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, 0), count,
        arith::ConstantIndexOp::create(b, loc, 1), ValueRange{block},
        [&](OpBuilder &nb, Location l, Value j, ValueRange args) {
          BatchedLinalgBuilder rowBuilder(nb, l, {});
          Value jI64 = arith::IndexCastOp::create(nb, l, nb.getI64Type(), j);
          Value amount = arith::MulIOp::create(nb, l, jI64, i64(nb, shift));
          Value isLast = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq,
                                               jI64, lastDigit);
          Value mask = i64(nb, (int64_t(1) << shift) - 1);
          Value row = tensor::ExtractSliceOp::create(
              nb, l, RankedTensorType::get({k}, i8), args[0],
              SmallVector<OpFoldResult>{j, nb.getIndexAttr(0)},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1), kSize},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1),
                                        nb.getIndexAttr(1)});
          Value digitRow = rowBuilder.generic(
              {source}, row, {rowBuilder.map(1, {0}), rowBuilder.map(1, {0})},
              rowBuilder.iterators({IteratorType::parallel}),
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                Value v = a[0];
                if (v.getType() != bb.getI64Type())
                  v = arith::ExtSIOp::create(bb, bl, bb.getI64Type(), v);
                Value high = arith::ShRSIOp::create(bb, bl, v, amount);
                Value low = arith::AndIOp::create(bb, bl, high, mask);
                Value digit =
                    arith::SelectOp::create(bb, bl, isLast, high, low);
                return arith::TruncIOp::create(bb, bl, bb.getI8Type(), digit);
              });
          Value next = tensor::InsertSliceOp::create(
              nb, l, digitRow, args[0],
              SmallVector<OpFoldResult>{j, nb.getIndexAttr(0)},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1), kSize},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1),
                                        nb.getIndexAttr(1)});
          scf::YieldOp::create(nb, l, next);
        });
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(
        b, loc, digitsLoop.getResult(0), shared,
        SmallVector<OpFoldResult>{start, b.getIndexAttr(0)},
        SmallVector<OpFoldResult>{count, kSize},
        SmallVector<OpFoldResult>{unit, unit});
  }
  return {forall.getResult(0), offsets, counts, total};
}

Value UnpackDecomposer::run() {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  UnpackedRows lhs = unpackRows(op.getLhs());
  UnpackedRows rhs = unpackRows(op.getRhs());

  // The low-bit GEMM: i8 products, i32 sums (exact by the verifier's bound).
  Type i32 = b.getI32Type();
  Value empty = tensor::EmptyOp::create(
      b, loc, {OpFoldResult(lhs.total), OpFoldResult(rhs.total)}, i32);
  Value zero32 = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value products = lb.generic(
      {lhs.digits, rhs.digits},
      linalg::FillOp::create(b, loc, zero32, empty).getResult(0),
      {lb.map(3, {0, 2}), lb.map(3, {1, 2}), lb.map(3, {0, 1})},
      lb.iterators({par, par, red}),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value x = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
        Value y = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[1]);
        return arith::AddIOp::create(nb, l, a[2],
                                     arith::MulIOp::create(nb, l, x, y));
      });

  // Pack: walk the digit rows of lhs row i and rhs row j.
  Value init = op.getInit();
  return lb.generic(
      {lhs.offsets, lhs.counts, rhs.offsets, rhs.counts}, init,
      {lb.map(2, {0}), lb.map(2, {0}), lb.map(2, {1}), lb.map(2, {1}),
       lb.map(2, {0, 1})},
      lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value zero = arith::ConstantIndexOp::create(nb, l, 0);
        Value one = arith::ConstantIndexOp::create(nb, l, 1);
        Value lhsCount =
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[1]);
        Value rhsCount =
            arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[3]);
        auto outer = scf::ForOp::create(
            nb, l, zero, lhsCount, one, ValueRange{i64(nb, 0)},
            [&](OpBuilder &ob, Location ol, Value u, ValueRange sum) {
              Value row = arith::AddIOp::create(ob, ol, a[0], u);
              auto inner = scf::ForOp::create(
                  ob, ol, zero, rhsCount, one, ValueRange{i64(ob, 0)},
                  [&](OpBuilder &ib, Location il, Value v, ValueRange acc) {
                    Value col = arith::AddIOp::create(ib, il, a[2], v);
                    Value product = arith::ExtSIOp::create(
                        ib, il, ib.getI64Type(),
                        tensor::ExtractOp::create(ib, il, products,
                                                  ValueRange{row, col}));
                    Value weight = arith::MulIOp::create(
                        ib, il,
                        arith::IndexCastOp::create(ib, il, ib.getI64Type(), v),
                        i64(ib, shift));
                    Value term = arith::ShLIOp::create(ib, il, product, weight);
                    scf::YieldOp::create(ib, il,
                                         ValueRange{arith::AddIOp::create(
                                             ib, il, acc[0], term)});
                  });
              Value weight = arith::MulIOp::create(
                  ob, ol,
                  arith::IndexCastOp::create(ob, ol, ob.getI64Type(), u),
                  i64(ob, shift));
              Value term =
                  arith::ShLIOp::create(ob, ol, inner.getResult(0), weight);
              scf::YieldOp::create(
                  ob, ol,
                  ValueRange{arith::AddIOp::create(ob, ol, sum[0], term)});
            });
        return outer.getResult(0);
      });
}

FailureOr<SmallVector<Value>>
UnpackRowCountsOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  return SmallVector<Value>{buildDigitCounts(b, getLoc(), getInput(), getInit(),
                                             getBitsAttr().getInt() - 1)};
}

FailureOr<SmallVector<Value>>
UnpackedMatmulOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  return SmallVector<Value>{UnpackDecomposer(b, *this).run()};
}
