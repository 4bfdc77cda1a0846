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

/// Returns how many base-2^shift digits each row (or, `perColumn`, each
/// column) of x [R, K] needs, as an i64 tensor written into `init`.
static Value buildDigitCounts(OpBuilder &b, Location loc, Value x, Value init,
                              int64_t shift, bool perColumn = false) {
  BatchedLinalgBuilder lb(b, loc, {});
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, perColumn ? 1 : 0);
  auto i64 = [&](OpBuilder &nb, int64_t v) -> Value {
    return arith::ConstantIntOp::create(nb, loc, nb.getI64Type(), v);
  };
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Type i64Type = b.getI64Type();
  AffineMap all = lb.map(2, {0, 1});
  AffineMap perRow = perColumn ? lb.map(2, {1}) : lb.map(2, {0});
  SmallVector<IteratorType> extremeIterators =
      perColumn ? lb.iterators({red, par}) : lb.iterators({par, red});
  auto rowExtreme = [&](bool max) {
    Value empty = tensor::EmptyOp::create(b, loc, {rows}, i64Type);
    Value start = i64(b, max ? std::numeric_limits<int64_t>::min()
                             : std::numeric_limits<int64_t>::max());
    Value init = linalg::FillOp::create(b, loc, start, empty).getResult(0);
    return lb.generic({x}, init, {all, perRow}, extremeIterators,
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

/// Writes digit `index` (i64) of the entries of `source` into the i8 tensor
/// `dest` of the same shape: (x >> index·shift) masked to [0, 2^shift), or
/// unmasked (keeping the sign) for the last digit, index == count - 1.
static Value buildDigits(OpBuilder &b, Location loc, Value source, Value dest,
                         Value index, Value count, int64_t shift) {
  BatchedLinalgBuilder lb(b, loc, {});
  auto i64 = [&](int64_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  };
  Value amount = arith::MulIOp::create(b, loc, index, i64(shift));
  Value last = arith::SubIOp::create(b, loc, count, i64(1));
  Value isLast =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, index, last);
  Value mask = i64((int64_t(1) << shift) - 1);
  unsigned rank = cast<RankedTensorType>(dest.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  return lb.generic(
      {source}, dest, {identity, identity},
      SmallVector<IteratorType>(rank, IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        if (v.getType() != nb.getI64Type())
          v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), v);
        Value high = arith::ShRSIOp::create(nb, l, v, amount);
        Value low = arith::AndIOp::create(nb, l, high, mask);
        Value digit = arith::SelectOp::create(nb, l, isLast, high, low);
        return arith::TruncIOp::create(nb, l, nb.getI8Type(), digit);
      });
}

/// Returns columns [start, start + size) of the i8 matrix x [rows, ?].
static Value buildColumnRange(OpBuilder &b, Location loc, Value x,
                              OpFoldResult rows, Value start, Value size) {
  auto type = RankedTensorType::get(
      {cast<RankedTensorType>(x.getType()).getDimSize(0), ShapedType::kDynamic},
      b.getI8Type());
  OpFoldResult unit = b.getIndexAttr(1);
  return tensor::ExtractSliceOp::create(
      b, loc, type, x, SmallVector<OpFoldResult>{b.getIndexAttr(0), start},
      SmallVector<OpFoldResult>{rows, size},
      SmallVector<OpFoldResult>{unit, unit});
}

/// Rows of the low-bit GEMM per parallel task.
static constexpr int64_t kGemmRowTile = 32;

/// Returns lhs [R, k] · rhs [S, k]ᵀ for i8 operands, accumulated in i32 (exact
/// while k·(2^shift - 1)² < 2^31, which the verifier checks for k <= K). Row
/// tiles of kGemmRowTile run as parallel tasks (an scf.forall).
static Value buildLowBitGemm(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  Type i32 = b.getI32Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, lhs, 0);
  OpFoldResult cols = tensor::getMixedSize(b, loc, rhs, 0);
  OpFoldResult inner = tensor::getMixedSize(b, loc, lhs, 1);
  OpFoldResult zero = b.getIndexAttr(0), unit = b.getIndexAttr(1);
  Value empty = tensor::EmptyOp::create(b, loc, {rows, cols}, i32);
  auto forall = scf::ForallOp::create(
      b, loc, {zero}, {rows}, {b.getIndexAttr(kGemmRowTile)}, ValueRange{empty},
      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value start = forall.getInductionVar(0);
  Value size = arith::MinSIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, kGemmRowTile),
      arith::SubIOp::create(
          b, loc, getValueOrCreateConstantIndexOp(b, loc, rows), start));
  Value shared = forall.getRegionIterArgs()[0];
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto sharedType = cast<RankedTensorType>(shared.getType());
  Value lhsTile = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({ShapedType::kDynamic, lhsType.getDimSize(1)},
                            lhsType.getElementType()),
      lhs, SmallVector<OpFoldResult>{start, zero},
      SmallVector<OpFoldResult>{size, inner},
      SmallVector<OpFoldResult>{unit, unit});
  Value outTile = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get({ShapedType::kDynamic, sharedType.getDimSize(1)},
                            i32),
      shared, SmallVector<OpFoldResult>{start, zero},
      SmallVector<OpFoldResult>{size, cols},
      SmallVector<OpFoldResult>{unit, unit});
  BatchedLinalgBuilder lb(b, loc, {});
  Value zero32 = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value tile = lb.generic(
      {lhsTile, rhs},
      linalg::FillOp::create(b, loc, zero32, outTile).getResult(0),
      {lb.map(3, {0, 2}), lb.map(3, {1, 2}), lb.map(3, {0, 1})},
      lb.iterators({par, par, red}),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value x = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
        Value y = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[1]);
        return arith::AddIOp::create(nb, l, a[2],
                                     arith::MulIOp::create(nb, l, x, y));
      });
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, tile, shared,
                                        SmallVector<OpFoldResult>{start, zero},
                                        SmallVector<OpFoldResult>{size, cols},
                                        SmallVector<OpFoldResult>{unit, unit});
  return forall.getResult(0);
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

  Value run() {
    return op.getStrategy() == "column" ? runColumns() : runRows();
  }

private:
  /// Strategy "row": both operands' rows split into digit rows.
  Value runRows();
  /// Strategy "column": the inner dimension split into digit pairs, grouped
  /// by the pair's weight.
  Value runColumns();
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
    auto digitsLoop = scf::ForOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, 0), count,
        arith::ConstantIndexOp::create(b, loc, 1), ValueRange{block},
        [&](OpBuilder &nb, Location l, Value j, ValueRange args) {
          Value jI64 = arith::IndexCastOp::create(nb, l, nb.getI64Type(), j);
          Value row = tensor::ExtractSliceOp::create(
              nb, l, RankedTensorType::get({k}, i8), args[0],
              SmallVector<OpFoldResult>{j, nb.getIndexAttr(0)},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1), kSize},
              SmallVector<OpFoldResult>{nb.getIndexAttr(1),
                                        nb.getIndexAttr(1)});
          Value digitRow =
              buildDigits(nb, l, source, row, jI64, countI64, shift);
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

Value UnpackDecomposer::runRows() {
  const IteratorType par = IteratorType::parallel;
  UnpackedRows lhs = unpackRows(op.getLhs());
  UnpackedRows rhs = unpackRows(op.getRhs());

  // The low-bit GEMM: i8 products, i32 sums (exact by the verifier's bound).
  Value products = buildLowBitGemm(b, loc, lhs.digits, rhs.digits);

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

Value UnpackDecomposer::runColumns() {
  const IteratorType par = IteratorType::parallel;
  Value lhs = op.getLhs(), rhs = op.getRhs();
  int64_t k = cast<RankedTensorType>(lhs.getType()).getDimSize(1);
  OpFoldResult m = tensor::getMixedSize(b, loc, lhs, 0);
  OpFoldResult n = tensor::getMixedSize(b, loc, rhs, 0);
  OpFoldResult kSize = b.getIndexAttr(k), unit = b.getIndexAttr(1),
               zeroSize = b.getIndexAttr(0);
  Type i64Type = b.getI64Type(), indexType = b.getIndexType(),
       i8 = b.getI8Type();

  // Inner column j splits into dA_j digits in lhs and dB_j in rhs; the
  // unpacked inner dimension holds every pair (u, v), weight 2^((u+v)·shift),
  // grouped by e = u + v so that each group is one plain low-bit GEMM.
  Value lhsDigits = buildDigitCounts(
      b, loc, lhs, tensor::EmptyOp::create(b, loc, {kSize}, i64Type), shift,
      /*perColumn=*/true);
  Value rhsDigits = buildDigitCounts(
      b, loc, rhs, tensor::EmptyOp::create(b, loc, {kSize}, i64Type), shift,
      /*perColumn=*/true);
  int64_t maxDigits = 1 + (63 + shift - 1) / shift;
  int64_t numGroups = 2 * maxDigits - 1;
  OpFoldResult groups = b.getIndexAttr(numGroups);

  // pairs[e, j] = #{u < dA_j : 0 <= e - u < dB_j}.
  Value pairs = lb.generic(
      {lhsDigits, rhsDigits},
      tensor::EmptyOp::create(b, loc, {groups, kSize}, i64Type),
      {lb.map(2, {1}), lb.map(2, {1}), lb.map(2, {0, 1})},
      lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value e = arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, l, 0));
        Value first = arith::MaxSIOp::create(
            nb, l, i64(nb, 0),
            arith::AddIOp::create(nb, l, arith::SubIOp::create(nb, l, e, a[1]),
                                  i64(nb, 1)));
        Value last = arith::MinSIOp::create(
            nb, l, e, arith::SubIOp::create(nb, l, a[0], i64(nb, 1)));
        Value count = arith::AddIOp::create(
            nb, l, arith::SubIOp::create(nb, l, last, first), i64(nb, 1));
        return arith::MaxSIOp::create(nb, l, count, i64(nb, 0));
      });

  // Column offsets (e-major, then j) and group starts; the total is K''.
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value groupCount = arith::ConstantIndexOp::create(b, loc, numGroups);
  Value kCount = arith::ConstantIndexOp::create(b, loc, k);
  Value offsets0 = tensor::EmptyOp::create(b, loc, {groups, kSize}, indexType);
  Value starts0 = tensor::EmptyOp::create(
      b, loc, {b.getIndexAttr(numGroups + 1)}, indexType);
  auto scan = scf::ForOp::create(
      b, loc, zero, groupCount, one, ValueRange{zero, offsets0, starts0},
      [&](OpBuilder &nb, Location l, Value e, ValueRange args) {
        Value starts = tensor::InsertOp::create(nb, l, args[0], args[2], e);
        auto columns = scf::ForOp::create(
            nb, l, zero, kCount, one, ValueRange{args[0], args[1]},
            [&](OpBuilder &cb, Location cl, Value j, ValueRange inner) {
              Value next = tensor::InsertOp::create(cb, cl, inner[0], inner[1],
                                                    ValueRange{e, j});
              Value count = arith::IndexCastOp::create(
                  cb, cl, cb.getIndexType(),
                  tensor::ExtractOp::create(cb, cl, pairs, ValueRange{e, j}));
              scf::YieldOp::create(
                  cb, cl,
                  ValueRange{arith::AddIOp::create(cb, cl, inner[0], count),
                             next});
            });
        scf::YieldOp::create(
            nb, l,
            ValueRange{columns.getResult(0), columns.getResult(1), starts});
      });
  Value total = scan.getResult(0), offsets = scan.getResult(1);
  Value starts =
      tensor::InsertOp::create(b, loc, total, scan.getResult(2), groupCount);

  // The unpacked operands [M, K''] and [N, K'']: one task per group writes
  // its contiguous range of columns.
  Value lhsOut = tensor::EmptyOp::create(b, loc, {m, OpFoldResult(total)}, i8);
  Value rhsOut = tensor::EmptyOp::create(b, loc, {n, OpFoldResult(total)}, i8);
  auto forall =
      scf::ForallOp::create(b, loc, {groups}, ValueRange{lhsOut, rhsOut},
                            /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value e = forall.getInductionVar(0);
    Value eI64 = arith::IndexCastOp::create(b, loc, i64Type, e);
    ValueRange shared = forall.getRegionIterArgs();
    Value groupStart = tensor::ExtractOp::create(b, loc, starts, e);
    Value groupEnd = tensor::ExtractOp::create(
        b, loc, starts, ValueRange{arith::AddIOp::create(b, loc, e, one)});
    Value groupSize = arith::SubIOp::create(b, loc, groupEnd, groupStart);
    Value lhsBlock =
        buildColumnRange(b, loc, shared[0], m, groupStart, groupSize);
    Value rhsBlock =
        buildColumnRange(b, loc, shared[1], n, groupStart, groupSize);
    // Writes digit `index` of column j of x into column c of `block`.
    auto writeDigit = [&](OpBuilder &wb, Location wl, Value x,
                          OpFoldResult rows, Value j, Value block, Value c,
                          Value index, Value count) {
      auto elementType = cast<RankedTensorType>(x.getType()).getElementType();
      int64_t staticRows = cast<RankedTensorType>(x.getType()).getDimSize(0);
      SmallVector<OpFoldResult> sizes{rows, unit}, strides{unit, unit};
      Value column = tensor::ExtractSliceOp::create(
          wb, wl, RankedTensorType::get({staticRows, 1}, elementType), x,
          SmallVector<OpFoldResult>{zeroSize, j}, sizes, strides);
      Value dest = tensor::ExtractSliceOp::create(
          wb, wl, RankedTensorType::get({staticRows, 1}, i8), block,
          SmallVector<OpFoldResult>{zeroSize, c}, sizes, strides);
      Value digits = buildDigits(wb, wl, column, dest, index, count, shift);
      return tensor::InsertSliceOp::create(
          wb, wl, digits, block, SmallVector<OpFoldResult>{zeroSize, c}, sizes,
          strides);
    };
    auto perColumn = scf::ForOp::create(
        b, loc, zero, kCount, one, ValueRange{lhsBlock, rhsBlock},
        [&](OpBuilder &nb, Location l, Value j, ValueRange blocks) {
          Value lhsCount = tensor::ExtractOp::create(nb, l, lhsDigits, j);
          Value rhsCount = tensor::ExtractOp::create(nb, l, rhsDigits, j);
          Value base = arith::SubIOp::create(
              nb, l,
              tensor::ExtractOp::create(nb, l, offsets, ValueRange{e, j}),
              groupStart);
          Value first = arith::MaxSIOp::create(
              nb, l, i64(nb, 0),
              arith::AddIOp::create(
                  nb, l, arith::SubIOp::create(nb, l, eI64, rhsCount),
                  i64(nb, 1)));
          Value count = arith::IndexCastOp::create(
              nb, l, nb.getIndexType(),
              tensor::ExtractOp::create(nb, l, pairs, ValueRange{e, j}));
          auto perPair = scf::ForOp::create(
              nb, l, zero, count, one, blocks,
              [&](OpBuilder &pb, Location pl, Value t, ValueRange current) {
                Value u = arith::AddIOp::create(
                    pb, pl, first,
                    arith::IndexCastOp::create(pb, pl, pb.getI64Type(), t));
                Value v = arith::SubIOp::create(pb, pl, eI64, u);
                Value c = arith::AddIOp::create(pb, pl, base, t);
                Value nextLhs =
                    writeDigit(pb, pl, lhs, m, j, current[0], c, u, lhsCount);
                Value nextRhs =
                    writeDigit(pb, pl, rhs, n, j, current[1], c, v, rhsCount);
                scf::YieldOp::create(pb, pl, ValueRange{nextLhs, nextRhs});
              });
          scf::YieldOp::create(nb, l, perPair.getResults());
        });
    b.setInsertionPointToEnd(forall.getTerminator().getBody());
    SmallVector<OpFoldResult> rowCounts{m, n};
    for (auto [result, target, rows] :
         llvm::zip(perColumn.getResults(), shared, rowCounts))
      tensor::ParallelInsertSliceOp::create(
          b, loc, result, target,
          SmallVector<OpFoldResult>{zeroSize, groupStart},
          SmallVector<OpFoldResult>{rows, groupSize},
          SmallVector<OpFoldResult>{unit, unit});
  }
  Value lhsUnpacked = forall.getResult(0), rhsUnpacked = forall.getResult(1);

  // result = Σ_e (GEMM of group e) << e·shift, each group in chunks of at
  // most K columns (the verifier's bound for exact i32 sums).
  Value zero64 = i64(b, 0);
  Value result0 =
      linalg::FillOp::create(b, loc, zero64, op.getInit()).getResult(0);
  auto perGroup = scf::ForOp::create(
      b, loc, zero, groupCount, one, ValueRange{result0},
      [&](OpBuilder &nb, Location l, Value e, ValueRange acc) {
        Value start = tensor::ExtractOp::create(nb, l, starts, e);
        Value end = tensor::ExtractOp::create(
            nb, l, starts, ValueRange{arith::AddIOp::create(nb, l, e, one)});
        Value weight = arith::MulIOp::create(
            nb, l, arith::IndexCastOp::create(nb, l, nb.getI64Type(), e),
            i64(nb, shift));
        auto chunks = scf::ForOp::create(
            nb, l, start, end, kCount, acc,
            [&](OpBuilder &cb, Location cl, Value from, ValueRange sum) {
              Value size = arith::MinSIOp::create(
                  cb, cl, kCount, arith::SubIOp::create(cb, cl, end, from));
              Value products = buildLowBitGemm(
                  cb, cl, buildColumnRange(cb, cl, lhsUnpacked, m, from, size),
                  buildColumnRange(cb, cl, rhsUnpacked, n, from, size));
              BatchedLinalgBuilder chunkBuilder(cb, cl, {});
              Value next = chunkBuilder.generic(
                  {products}, sum[0],
                  {chunkBuilder.map(2, {0, 1}), chunkBuilder.map(2, {0, 1})},
                  chunkBuilder.iterators({par, par}),
                  [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                    Value wide =
                        arith::ExtSIOp::create(bb, bl, bb.getI64Type(), a[0]);
                    Value shifted = arith::ShLIOp::create(bb, bl, wide, weight);
                    return arith::AddIOp::create(bb, bl, a[1], shifted);
                  });
              scf::YieldOp::create(cb, cl, next);
            });
        scf::YieldOp::create(nb, l, chunks.getResults());
      });
  return perGroup.getResult(0);
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
