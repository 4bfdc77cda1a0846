//===- UnpackedMatmulDecomposition.cpp - IM-Unpack to linalg ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.unpacked_matmul and effattn.unpacked_sizes into linalg,
// scf and tensor ops with data-dependent shapes. Every strategy runs the same
// steps after its plan (UnpackPlan.h):
//
// 1. Guard: K·max|lhs|·max|rhs| must fit in i64, else effattn.fail_if
//    makes the compiled function return EFFATTN_ERROR_OUT_OF_RANGE (all
//    later arithmetic is exact mod 2^64, so a result that fits is exact).
// 2. Layout: the derived rows (r, u) of each operand — offsets from a prefix
//    sum of U_r + 1, whose total M' is a dynamic size — and the unpacked
//    inner columns (c, x) ordered by weight e = v + x, so that each weight is
//    one contiguous range.
// 3. Unpack: i8 [M', K''] and [N', K''] with the digits of each entry at its
//    derived positions, built by row tiles in parallel (scf.forall).
// 4. Low-bit GEMM per weight, in chunks of at most K columns: i8 products,
//    i32 sums (exact by the verifier's bound on K), added into an i64
//    [M', N'] shifted by e·(b-1). With a `#effattn.pair_gemm_config`, the
//    register-tiled kernel of PairProduct.h on packed i16 pairs; without,
//    a linalg contraction.
// 5. Pack: result[i, j] = Σ_u Σ_w P[off_i + u, off_j + w] << ((u + w)(b-1)).
//
// On a GPU target (targetsGpu) steps 3 to 5 are single linalg ops over whole
// matrices, which effattn-gpu-map-linalg turns into kernels of one thread
// per element, and the CPU's pair config is not used. The sequential scans
// of the plan and of step 2 become one-thread kernels whose sizes are read
// back to the host there.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/PairProduct.h"
#include "effattn/Dialect/EffAttn/IR/ScalarLoopBuilder.h"
#include "effattn/Dialect/EffAttn/IR/UnpackPlan.h"
#include "effattn/Runtime/effattn_runtime.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Rows per parallel task when building [rows, ?] matrices.
static constexpr int64_t kRowTile = 32;
/// Columns per parallel task of the low-bit GEMM (with kRowTile rows, an i32
/// tile of 32 KiB).
static constexpr int64_t kGemmColumnTile = 256;

/// Returns `init` [R, C] computed by tiles of rowTile x columnTile (0: all
/// columns) as parallel tasks (an scf.forall): `tile(b, offsets, sizes,
/// initTile)` returns the tile at `offsets` of `sizes`. With `rowTile` 0
/// (a GPU target), the whole of `init` is one tile and there is no loop.
static Value
buildByTiles(OpBuilder &b, Location loc, Value init, int64_t rowTile,
             int64_t columnTile,
             function_ref<Value(OpBuilder &, ArrayRef<OpFoldResult>,
                                ArrayRef<OpFoldResult>, Value)>
                 tile) {
  SmallVector<OpFoldResult> ubs = tensor::getMixedSizes(b, loc, init);
  SmallVector<OpFoldResult> lbs(2, b.getIndexAttr(0));
  if (rowTile == 0)
    return tile(b, lbs, ubs, init);
  SmallVector<OpFoldResult> steps{b.getIndexAttr(rowTile),
                                  b.getIndexAttr(columnTile)};
  unsigned rank = columnTile ? 2 : 1;
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef(lbs).take_front(rank), ArrayRef(ubs).take_front(rank),
      ArrayRef(steps).take_front(rank), ValueRange{init},
      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{ubs[0], ubs[1]};
  SmallVector<int64_t> shape(cast<RankedTensorType>(init.getType()).getShape());
  for (unsigned d = 0; d < rank; ++d) {
    Value start = forall.getInductionVar(d);
    offsets[d] = start;
    sizes[d] =
        arith::MinSIOp::create(
            b, loc,
            arith::ConstantIndexOp::create(b, loc, d ? columnTile : rowTile),
            arith::SubIOp::create(
                b, loc, getValueOrCreateConstantIndexOp(b, loc, ubs[d]), start))
            .getResult();
    shape[d] = ShapedType::kDynamic;
  }
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  Value shared = forall.getRegionIterArgs()[0];
  Value initTile = tensor::ExtractSliceOp::create(
      b, loc,
      RankedTensorType::get(
          shape, cast<RankedTensorType>(init.getType()).getElementType()),
      shared, offsets, sizes, strides);
  Value result = tile(b, offsets, sizes, initTile);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, result, shared, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}

/// Returns `init` [R, C] computed by row tiles of `rowTile` (0: one tile) as
/// parallel tasks: `tile(b, lb, start, size, initTile)` returns rows
/// [start, start + size).
static Value
buildByRowTiles(OpBuilder &b, Location loc, Value init, int64_t rowTile,
                function_ref<Value(OpBuilder &, BatchedLinalgBuilder &, Value,
                                   Value, Value)>
                    tile) {
  return buildByTiles(
      b, loc, init, rowTile, /*columnTile=*/0,
      [&](OpBuilder &tb, ArrayRef<OpFoldResult> offsets,
          ArrayRef<OpFoldResult> sizes, Value initTile) -> Value {
        BatchedLinalgBuilder tlb(tb, loc, {});
        return tile(
            tb, tlb, getValueOrCreateConstantIndexOp(tb, loc, offsets[0]),
            getValueOrCreateConstantIndexOp(tb, loc, sizes[0]), initTile);
      });
}

/// Returns rows [start, start + size) of the rank-1 or rank-2 tensor x.
static Value buildRowRange(OpBuilder &b, Location loc, Value x, Value start,
                           Value size) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> offsets{start}, sizes{size},
      strides{b.getIndexAttr(1)};
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  if (type.getRank() == 2) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(tensor::getMixedSize(b, loc, x, 1));
    strides.push_back(b.getIndexAttr(1));
    shape.push_back(type.getDimSize(1));
  }
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x, offsets,
      sizes, strides);
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

/// Returns accTile + (products << weight) for an i32 products tile of the
/// same shape as the i64 accTile.
static Value buildShiftedSum(BatchedLinalgBuilder &lb, Value products,
                             Value accTile, Value weight) {
  const IteratorType par = IteratorType::parallel;
  return lb.generic({products}, accTile, {lb.map(2, {0, 1}), lb.map(2, {0, 1})},
                    lb.iterators({par, par}),
                    [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      Value wide =
                          arith::ExtSIOp::create(nb, l, nb.getI64Type(), a[0]);
                      Value shifted =
                          arith::ShLIOp::create(nb, l, wide, weight);
                      return arith::AddIOp::create(nb, l, a[1], shifted);
                    });
}

/// Returns acc + (lhs [R, k] · rhs [S, k]ᵀ << weight) for i8 operands and an
/// i64 accumulator: products summed in i32 (exact while
/// k·(2^shift - 1)² < 2^31, which the verifier checks for k <= K), widened
/// and shifted per output tile of `rowTile` x kGemmColumnTile; tiles run as
/// parallel tasks (`rowTile` 0: one tile).
static Value buildLowBitGemmInto(OpBuilder &b, Location loc, Value lhs,
                                 Value rhs, Value acc, Value weight,
                                 int64_t rowTile) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  return buildByTiles(
      b, loc, acc, rowTile, kGemmColumnTile,
      [&](OpBuilder &tb, ArrayRef<OpFoldResult> offsets,
          ArrayRef<OpFoldResult> sizes, Value accTile) -> Value {
        BatchedLinalgBuilder lb(tb, loc, {});
        Type i32 = tb.getI32Type();
        Value zero32 = arith::ConstantIntOp::create(tb, loc, i32, 0);
        Value products0 =
            linalg::FillOp::create(
                tb, loc, zero32,
                Value(tensor::EmptyOp::create(tb, loc, sizes, i32)))
                .getResult(0);
        auto rows = [&](Value x, OpFoldResult start, OpFoldResult size) {
          return buildRowRange(tb, loc, x,
                               getValueOrCreateConstantIndexOp(tb, loc, start),
                               getValueOrCreateConstantIndexOp(tb, loc, size));
        };
        Value products = lb.generic(
            {rows(lhs, offsets[0], sizes[0]), rows(rhs, offsets[1], sizes[1])},
            products0,
            {lb.map(3, {0, 2}), lb.map(3, {1, 2}), lb.map(3, {0, 1})},
            lb.iterators({par, par, red}),
            [](OpBuilder &nb, Location l, ValueRange a) -> Value {
              Value x = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[0]);
              Value y = arith::ExtSIOp::create(nb, l, nb.getI32Type(), a[1]);
              return arith::AddIOp::create(nb, l, a[2],
                                           arith::MulIOp::create(nb, l, x, y));
            });
        return buildShiftedSum(lb, products, accTile, weight);
      });
}

/// Returns the smallest multiple of `unit` that is at least `size`.
static int64_t roundUp(int64_t size, int64_t unit) {
  return (size + unit - 1) / unit * unit;
}

/// Like buildLowBitGemmInto, with the register-tiled kernel of PairProduct.h
/// for `config`: both operands packed once into pair panels (rows padded to
/// whole output tiles), output tiles of about kRowTile x kGemmColumnTile
/// (whole register tiles) as parallel tasks.
static Value buildPairGemmInto(OpBuilder &b, Location loc, Value lhs, Value rhs,
                               Value acc, Value weight,
                               PairGemmConfigAttr config) {
  int64_t rowTile = roundUp(kRowTile, config.getMr());
  int64_t columnTile = roundUp(kGemmColumnTile, config.getNr());
  auto paddedRows = [&](Value x, int64_t tile) -> Value {
    Value rows = tensor::DimOp::create(b, loc, x, 0);
    Value step = arith::ConstantIndexOp::create(b, loc, tile);
    Value tiles = arith::CeilDivUIOp::create(b, loc, rows, step);
    return arith::MulIOp::create(b, loc, tiles, step);
  };
  Value lhsPanels =
      buildPairPanels(b, loc, lhs, config.getMr(), paddedRows(lhs, rowTile));
  Value rhsPanels =
      buildPairPanels(b, loc, rhs, config.getNr(), paddedRows(rhs, columnTile));
  return buildByTiles(
      b, loc, acc, rowTile, columnTile,
      [&](OpBuilder &tb, ArrayRef<OpFoldResult> offsets,
          ArrayRef<OpFoldResult> sizes, Value accTile) -> Value {
        BatchedLinalgBuilder lb(tb, loc, {});
        Value tile =
            buildPairProductTile(tb, loc, lhsPanels, rhsPanels, offsets, sizes,
                                 rowTile, columnTile, config);
        OpFoldResult zero = tb.getIndexAttr(0), one = tb.getIndexAttr(1);
        Value products = tensor::ExtractSliceOp::create(
            tb, loc,
            RankedTensorType::get(
                cast<RankedTensorType>(accTile.getType()).getShape(),
                tb.getI32Type()),
            tile, ArrayRef<OpFoldResult>{zero, zero}, sizes,
            ArrayRef<OpFoldResult>{one, one});
        return buildShiftedSum(lb, products, accTile, weight);
      });
}

/// Returns the digit of the i64 `value` at derived position (u, v) of an
/// entry split into (U, V) (UnpackPlan.h), as i8: digit u + v (masked to
/// [0, 2^shift), or signed for the top one at (U, V)) where u == U or v == 0,
/// else 0.
static Value buildPlacedDigit(OpBuilder &b, Location loc, Value value, Value u,
                              Value v, Value splitsU, Value splitsV,
                              int64_t shift) {
  using P = arith::CmpIPredicate;
  Type i64 = b.getI64Type();
  auto constant = [&](int64_t c) {
    return arith::ConstantIntOp::create(b, loc, i64, c);
  };
  Value atTopRow = arith::CmpIOp::create(b, loc, P::eq, u, splitsU);
  Value placed = arith::OrIOp::create(
      b, loc, atTopRow, arith::CmpIOp::create(b, loc, P::eq, v, constant(0)));
  Value top = arith::AndIOp::create(
      b, loc, atTopRow, arith::CmpIOp::create(b, loc, P::eq, v, splitsV));
  // Shifts past 63 leave the sign only, which a shift by 63 gives too.
  Value amount = arith::MinSIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, arith::AddIOp::create(b, loc, u, v),
                            constant(shift)),
      constant(63));
  Value high = arith::ShRSIOp::create(b, loc, value, amount);
  Value low =
      arith::AndIOp::create(b, loc, high, constant((int64_t(1) << shift) - 1));
  Value digit = arith::SelectOp::create(
      b, loc, placed, arith::SelectOp::create(b, loc, top, high, low),
      constant(0));
  return arith::TruncIOp::create(b, loc, b.getI8Type(), digit);
}

namespace {
/// The derived rows of one operand.
struct DerivedRows {
  /// index [R]: the first derived row of each row; i64 [R]: its splits.
  Value offsets, splits;
  /// The number of derived rows R' = Σ (splits + 1) (index).
  Value total;
  /// [R']: the source row (index), the level u and the source's splits (i64).
  Value source, level, sourceSplits;
};

/// The unpacked inner columns (c, x), ordered by weight e = v + x.
struct UnpackedColumns {
  /// The number of columns K'' (index); index [numGroups + 1]: where the
  /// columns of each weight start.
  Value total, starts;
  /// [K'']: the source column j (index); the level and splits of lhs (v,
  /// V_j) and of rhs (x, X_c) there (i64).
  Value source, lhsLevel, lhsSplits, rhsLevel, rhsSplits;
};

/// Builds the decomposition of one IM-Unpack op.
class UnpackDecomposer : public ScalarLoopBuilder {
public:
  /// `gpu`: build for a GPU target (see the file comment).
  UnpackDecomposer(OpBuilder &b, Location loc, Value lhs, Value rhs,
                   int64_t bits, StringRef strategy, bool gpu,
                   PairGemmConfigAttr config = {})
      : ScalarLoopBuilder(b, loc), lb(b, loc, {}), lhs(lhs), rhs(rhs),
        shift(bits - 1), rowTile(gpu ? 0 : kRowTile),
        config(gpu ? PairGemmConfigAttr() : config),
        plan(buildUnpackPlan(b, loc, lhs, rhs, bits, strategy)) {}

  /// Returns lhs · rhsᵀ written into `init`.
  Value buildProduct(Value init);
  /// Returns [M', N', K''] written into `init` (i64 [3]).
  Value buildSizes(Value init);

private:
  /// The derived rows of an operand split `splits` times per row.
  DerivedRows deriveRows(Value splits);
  /// The unpacked inner columns of the plan.
  UnpackedColumns layoutColumns();
  /// The i8 [R', K''] digits of x [R, K].
  Value unpackOperand(Value x, const DerivedRows &rows, Value columnSource,
                      Value columnLevel, Value columnSplits);
  /// Reports EFFATTN_ERROR_OUT_OF_RANGE at run time unless
  /// K·max|lhs|·max|rhs| <= 2^63 - 1.
  void guardOverflow();
  /// Returns max |x| over x as an i64 scalar, read as unsigned (|-2^63| is
  /// 2^63).
  Value maxMagnitude(Value x);

  /// The number of weights e = v + x.
  int64_t numGroups() const { return 2 * maxExtraDigits(shift) + 1; }

  BatchedLinalgBuilder lb;
  Value lhs, rhs;
  /// bits - 1: the weight of one digit is 2^shift.
  int64_t shift;
  /// Rows per parallel task of the matrix steps (0: one task).
  int64_t rowTile;
  /// The kernel of the low-bit GEMMs (none: target-independent linalg).
  PairGemmConfigAttr config;
  UnpackPlan plan;
};
} // namespace

DerivedRows UnpackDecomposer::deriveRows(Value splits) {
  OpFoldResult rowSize = tensor::getMixedSize(b, loc, splits, 0);
  Value rows = getValueOrCreateConstantIndexOp(b, loc, rowSize);
  ValueRange scan = loop(
      index(0), rows,
      {index(0), tensor::EmptyOp::create(b, loc, {rowSize}, b.getIndexType())},
      [&](Value r, ValueRange acc) -> SmallVector<Value> {
        Value count = add(toIndex(get(splits, r)), index(1));
        return {add(acc[0], count), set(acc[0], acc[1], r)};
      });
  DerivedRows result;
  result.total = scan[0];
  result.offsets = scan[1];
  result.splits = splits;
  OpFoldResult total = result.total;
  ValueRange derived =
      loop(index(0), rows,
           {tensor::EmptyOp::create(b, loc, {total}, b.getIndexType()),
            tensor::EmptyOp::create(b, loc, {total}, b.getI64Type()),
            tensor::EmptyOp::create(b, loc, {total}, b.getI64Type())},
           [&](Value r, ValueRange acc) -> SmallVector<Value> {
             Value first = get(result.offsets, r);
             Value rowSplits = get(splits, r);
             ValueRange inner =
                 loop(index(0), add(toIndex(rowSplits), index(1)), acc,
                      [&](Value u, ValueRange row) -> SmallVector<Value> {
                        Value at = add(first, u);
                        return {set(r, row[0], at), set(toI64(u), row[1], at),
                                set(rowSplits, row[2], at)};
                      });
             return llvm::to_vector(inner);
           });
  result.source = derived[0];
  result.level = derived[1];
  result.sourceSplits = derived[2];
  return result;
}

UnpackedColumns UnpackDecomposer::layoutColumns() {
  using P = arith::CmpIPredicate;
  const IteratorType red = IteratorType::reduction;
  // K'' = Σ_c (X_c + 1).
  Value count = lb.generic(
      {plan.rhsCopySplits},
      linalg::FillOp::create(b, loc, i64(0),
                             Value(tensor::EmptyOp::create(
                                 b, loc, ArrayRef<int64_t>{}, b.getI64Type())))
          .getResult(0),
      {lb.map(1, {0}), lb.scalarMap(1)}, lb.iterators({red}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value one = arith::ConstantIntOp::create(nb, l, nb.getI64Type(), 1);
        return arith::AddIOp::create(nb, l, a[1],
                                     arith::AddIOp::create(nb, l, a[0], one));
      });
  UnpackedColumns result;
  result.total = toIndex(get(count, {}));
  OpFoldResult total = result.total;
  Value copies = getValueOrCreateConstantIndexOp(
      b, loc, tensor::getMixedSize(b, loc, plan.copySource, 0));
  // Weight-major, then copy order: copy c has a column of weight e when
  // v_c <= e <= v_c + X_c.
  SmallVector<Value> init{
      index(0), tensor::EmptyOp::create(b, loc, {total}, b.getIndexType())};
  for (int i = 0; i < 4; ++i)
    init.push_back(tensor::EmptyOp::create(b, loc, {total}, b.getI64Type()));
  init.push_back(tensor::EmptyOp::create(
      b, loc, {b.getIndexAttr(numGroups() + 1)}, b.getIndexType()));
  ValueRange scan =
      loop(index(0), index(numGroups()), init,
           [&](Value group, ValueRange acc) -> SmallVector<Value> {
             SmallVector<Value> next(acc);
             next[6] = set(acc[0], acc[6], group);
             Value e = toI64(group);
             ValueRange columns = loop(
                 index(0), copies, ValueRange(next).take_front(6),
                 [&](Value c, ValueRange state) -> SmallVector<Value> {
                   Value v = get(plan.copyLevel, c);
                   Value splits = get(plan.rhsCopySplits, c);
                   Value x = sub(e, v);
                   Value present = arith::AndIOp::create(
                       b, loc, cmp(P::sge, x, i64(0)), cmp(P::sle, x, splits));
                   auto ifOp =
                       scf::IfOp::create(b, loc, ValueRange(state).getTypes(),
                                         present, /*withElseRegion=*/true);
                   OpBuilder::InsertionGuard guard(b);
                   b.setInsertionPointToStart(ifOp.thenBlock());
                   Value at = state[0];
                   Value source = get(plan.copySource, c);
                   scf::YieldOp::create(
                       b, loc,
                       ValueRange{
                           add(at, index(1)), set(source, state[1], at),
                           set(v, state[2], at),
                           set(get(plan.lhsColumnSplits, source), state[3], at),
                           set(x, state[4], at), set(splits, state[5], at)});
                   b.setInsertionPointToStart(ifOp.elseBlock());
                   scf::YieldOp::create(b, loc, state);
                   return SmallVector<Value>(ifOp.getResults());
                 });
             llvm::copy(columns, next.begin());
             return next;
           });
  result.starts = set(scan[0], scan[6], index(numGroups()));
  result.source = scan[1];
  result.lhsLevel = scan[2];
  result.lhsSplits = scan[3];
  result.rhsLevel = scan[4];
  result.rhsSplits = scan[5];
  return result;
}

Value UnpackDecomposer::unpackOperand(Value x, const DerivedRows &rows,
                                      Value columnSource, Value columnLevel,
                                      Value columnSplits) {
  const IteratorType par = IteratorType::parallel;
  OpFoldResult columns = tensor::getMixedSize(b, loc, columnSource, 0);
  Value empty = tensor::EmptyOp::create(
      b, loc, {OpFoldResult(rows.total), columns}, b.getI8Type());
  return buildByRowTiles(
      b, loc, empty, rowTile,
      [&](OpBuilder &tb, BatchedLinalgBuilder &tlb, Value start, Value size,
          Value tile) -> Value {
        AffineMap perRow = tlb.map(2, {0}), perColumn = tlb.map(2, {1});
        return tlb.generic(
            {buildRowRange(tb, loc, rows.source, start, size),
             buildRowRange(tb, loc, rows.level, start, size),
             buildRowRange(tb, loc, rows.sourceSplits, start, size),
             columnSource, columnLevel, columnSplits},
            tile,
            {perRow, perRow, perRow, perColumn, perColumn, perColumn,
             tlb.map(2, {0, 1})},
            tlb.iterators({par, par}),
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              Value value =
                  tensor::ExtractOp::create(nb, l, x, ValueRange{a[0], a[3]});
              if (value.getType() != nb.getI64Type())
                value = arith::ExtSIOp::create(nb, l, nb.getI64Type(), value);
              return buildPlacedDigit(nb, l, value, a[1], a[4], a[2], a[5],
                                      shift);
            });
      });
}

Value UnpackDecomposer::maxMagnitude(Value x) {
  const IteratorType red = IteratorType::reduction;
  Value zero =
      linalg::FillOp::create(b, loc, i64(0),
                             Value(tensor::EmptyOp::create(
                                 b, loc, ArrayRef<int64_t>{}, b.getI64Type())))
          .getResult(0);
  Value max = lb.generic(
      {x}, zero, {lb.map(2, {0, 1}), lb.scalarMap(2)}, lb.iterators({red, red}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value v = a[0];
        if (v.getType() != nb.getI64Type())
          v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), v);
        Value zero64 = arith::ConstantIntOp::create(nb, l, nb.getI64Type(), 0);
        Value negative =
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, v, zero64);
        Value magnitude = arith::SelectOp::create(
            nb, l, negative, arith::SubIOp::create(nb, l, zero64, v), v);
        return arith::MaxUIOp::create(nb, l, a[1], magnitude);
      });
  return get(max, {});
}

void UnpackDecomposer::guardOverflow() {
  int64_t k = cast<RankedTensorType>(lhs.getType()).getDimSize(1);
  if (k == 0)
    return;
  // max|rhs| <= ⌊⌊(2^63 - 1) / K⌋ / max|lhs|⌋, unsigned.
  Value lhsMax = arith::MaxUIOp::create(b, loc, maxMagnitude(lhs), i64(1));
  Value limit = arith::DivUIOp::create(
      b, loc, i64(std::numeric_limits<int64_t>::max() / k), lhsMax);
  Value overflows = cmp(arith::CmpIPredicate::ugt, maxMagnitude(rhs), limit);
  FailIfOp::create(
      b, loc, overflows,
      "effattn.unpacked_matmul: K * max|lhs| * max|rhs| exceeds 2^63 - 1; "
      "the exact result may not fit in i64",
      EFFATTN_ERROR_OUT_OF_RANGE);
}

Value UnpackDecomposer::buildProduct(Value init) {
  const IteratorType par = IteratorType::parallel;
  guardOverflow();
  DerivedRows lhsRows = deriveRows(plan.lhsRowSplits);
  DerivedRows rhsRows = deriveRows(plan.rhsRowSplits);
  UnpackedColumns columns = layoutColumns();
  Value lhsDigits = unpackOperand(lhs, lhsRows, columns.source,
                                  columns.lhsLevel, columns.lhsSplits);
  Value rhsDigits = unpackOperand(rhs, rhsRows, columns.source,
                                  columns.rhsLevel, columns.rhsSplits);

  // P = Σ_e (GEMM of weight e) << e·shift, each weight in chunks of at most
  // K columns (the verifier's bound for exact i32 sums).
  int64_t k = cast<RankedTensorType>(lhs.getType()).getDimSize(1);
  OpFoldResult lhsTotal = lhsRows.total, rhsTotal = rhsRows.total;
  Value products0 =
      linalg::FillOp::create(b, loc, i64(0),
                             Value(tensor::EmptyOp::create(
                                 b, loc, {lhsTotal, rhsTotal}, b.getI64Type())))
          .getResult(0);
  ValueRange products = loop(
      index(0), index(numGroups()), {products0},
      [&](Value group, ValueRange acc) -> SmallVector<Value> {
        Value start = get(columns.starts, group);
        Value end = get(columns.starts, add(group, index(1)));
        Value weight = arith::MulIOp::create(b, loc, toI64(group), i64(shift));
        auto chunks = scf::ForOp::create(
            b, loc, start, end, index(std::max<int64_t>(k, 1)), acc,
            [&](OpBuilder &, Location, Value from, ValueRange sum) {
              Value size =
                  arith::MinSIOp::create(b, loc, index(k), sub(end, from));
              Value lhsChunk =
                  buildColumnRange(b, loc, lhsDigits, lhsTotal, from, size);
              Value rhsChunk =
                  buildColumnRange(b, loc, rhsDigits, rhsTotal, from, size);
              Value next = config
                               ? buildPairGemmInto(b, loc, lhsChunk, rhsChunk,
                                                   sum[0], weight, config)
                               : buildLowBitGemmInto(b, loc, lhsChunk, rhsChunk,
                                                     sum[0], weight, rowTile);
              scf::YieldOp::create(b, loc, next);
            });
        return SmallVector<Value>(chunks.getResults());
      });

  // Pack: walk the derived rows of lhs row i and rhs row j, by row tiles in
  // parallel.
  return buildByRowTiles(
      b, loc, init, rowTile,
      [&](OpBuilder &tb, BatchedLinalgBuilder &tlb, Value start, Value size,
          Value tile) -> Value {
        return tlb.generic(
            {buildRowRange(tb, loc, lhsRows.offsets, start, size),
             buildRowRange(tb, loc, lhsRows.splits, start, size),
             rhsRows.offsets, rhsRows.splits},
            tile,
            {tlb.map(2, {0}), tlb.map(2, {0}), tlb.map(2, {1}), tlb.map(2, {1}),
             tlb.map(2, {0, 1})},
            tlb.iterators({par, par}),
            [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
              ScalarLoopBuilder s(nb, l);
              return s.loop(
                  s.index(0), s.add(s.toIndex(a[1]), s.index(1)), {s.i64(0)},
                  [&](Value u, ValueRange outer) -> SmallVector<Value> {
                    Value row = s.add(a[0], u);
                    Value inner = s.loop(
                        s.index(0), s.add(s.toIndex(a[3]), s.index(1)),
                        {s.i64(0)},
                        [&](Value w, ValueRange acc) -> SmallVector<Value> {
                          Value term = arith::ShLIOp::create(
                              nb, l, s.get(products[0], {row, s.add(a[2], w)}),
                              arith::MulIOp::create(nb, l, s.toI64(w),
                                                    s.i64(shift)));
                          return {s.add(acc[0], term)};
                        })[0];
                    Value term = arith::ShLIOp::create(
                        nb, l, inner,
                        arith::MulIOp::create(nb, l, s.toI64(u), s.i64(shift)));
                    return {s.add(outer[0], term)};
                  })[0];
            });
      });
}

/// Returns `init` (i64 [3]) holding the index values `sizes`.
static Value writeSizes(ScalarLoopBuilder &s, Value init,
                        ArrayRef<Value> sizes) {
  Value result = init;
  for (auto [i, size] : llvm::enumerate(sizes))
    result = s.set(s.toI64(size), result, s.index(i));
  return result;
}

Value UnpackDecomposer::buildSizes(Value init) {
  return writeSizes(*this, init,
                    {deriveRows(plan.lhsRowSplits).total,
                     deriveRows(plan.rhsRowSplits).total,
                     layoutColumns().total});
}

FailureOr<SmallVector<Value>>
UnpackedMatmulOp::decomposeOperation(OpBuilder &b) {
  // An empty result (M or N statically 0) is the init itself; with K = 0
  // the product is zero.
  if (llvm::is_contained(getInit().getType().getShape(), 0))
    return SmallVector<Value>{getInit()};
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  if (getLhs().getType().getDimSize(1) == 0)
    return SmallVector<Value>{
        linalg::FillOp::create(
            b, getLoc(),
            Value(arith::ConstantIntOp::create(b, getLoc(), b.getI64Type(), 0)),
            getInit())
            .getResult(0)};
  UnpackDecomposer decomposer(b, getLoc(), getLhs(), getRhs(),
                              getBitsAttr().getInt(), getStrategy(),
                              targetsGpu(*this), getLoweringConfigAttr());
  return SmallVector<Value>{decomposer.buildProduct(getInit())};
}

FailureOr<SmallVector<Value>>
UnpackedSizesOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  // K = 0: nothing to split, [M, N, 0].
  if (getLhs().getType().getDimSize(1) == 0) {
    ScalarLoopBuilder s(b, getLoc());
    return SmallVector<Value>{writeSizes(
        s, getInit(),
        {tensor::DimOp::create(b, getLoc(), getLhs(), 0),
         tensor::DimOp::create(b, getLoc(), getRhs(), 0), s.index(0)})};
  }
  UnpackDecomposer decomposer(b, getLoc(), getLhs(), getRhs(),
                              getBitsAttr().getInt(), getStrategy(),
                              targetsGpu(*this));
  return SmallVector<Value>{decomposer.buildSizes(getInit())};
}
