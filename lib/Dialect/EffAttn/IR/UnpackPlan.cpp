//===- UnpackPlan.cpp - how IM-Unpack splits the operands -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// "row" and "column" split every row (column) as often as its largest entry
// needs: a max/min reduction per row (column). "both" is the authors' greedy
// mix, simulated exactly on split counts instead of on the growing matrices:
// the only entry of lhs[r, j]'s digits that can still be too large is its top
// one, x >> ((U_r + V_j)·shift), so "entry (r, j) is large" reads
// U_r + V_j < t[r, j] with t the entry's extra digits. An scf.while picks the
// row or column with the most large entries (rows first on equal counts, the
// first derived position on ties, as the authors' argmax does), splits it and
// updates the counts along that row or column.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/UnpackPlan.h"
#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/ScalarLoopBuilder.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

Value mlir::effattn::buildExtraDigits(OpBuilder &b, Location loc, Value value,
                                      int64_t shift) {
  Type i64 = b.getI64Type();
  int64_t base = int64_t(1) << shift;
  Value extra = arith::ConstantIntOp::create(b, loc, i64, 0);
  // The condition is monotone in j: arithmetic shifts are floor divisions.
  for (int64_t j = 0; j < maxExtraDigits(shift); ++j) {
    Value high = arith::ShRSIOp::create(
        b, loc, value, arith::ConstantIntOp::create(b, loc, i64, j * shift));
    Value tooBig = arith::OrIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, high,
                              arith::ConstantIntOp::create(b, loc, i64, base)),
        arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::sle, high,
            arith::ConstantIntOp::create(b, loc, i64, -base)));
    extra = arith::AddIOp::create(b, loc, extra,
                                  arith::ExtUIOp::create(b, loc, i64, tooBig));
  }
  return extra;
}

namespace {
/// Builds the plan of one op: scalar helpers for the sequential scans and
/// the per-strategy split searches.
class PlanBuilder : public ScalarLoopBuilder {
public:
  PlanBuilder(OpBuilder &b, Location loc, int64_t shift)
      : ScalarLoopBuilder(b, loc), lb(b, loc, {}), shift(shift) {}

  UnpackPlan build(Value lhs, Value rhs, StringRef strategy);

private:
  /// The splits one greedy pass chose; the column splits in order.
  struct GreedySplits {
    Value rowSplits, columnSplits;
    /// index [C·maxExtraDigits]: the column of each column split, in order;
    /// i64: its level after the split. The first `logCount` are set.
    Value logColumns, logLevels, logCount;
  };

  /// i64 [R] (or, `perColumn`, [C]): the largest extra digits count of each
  /// row (column) of x [R, C].
  Value maxExtraDigitsOf(Value x, bool perColumn);
  /// i8 [R, C]: the extra digits of x[r, source[c]] for x [R, K].
  Value extraDigitsOf(Value x, Value source, OpFoldResult columns);
  /// The authors' greedy "both" pass over the extra digits t [R, C].
  GreedySplits buildGreedy(Value t);
  /// Copies (j, v) of the K inner columns: first j = 0..K-1 at level 0, then
  /// the `count` logged splits.
  std::pair<Value, Value> buildCopies(Value logColumns, Value logLevels,
                                      Value count, int64_t k);
  /// The copies of the column strategy: each column j at levels 1..V_j.
  std::pair<Value, Value> buildColumnCopies(Value columnSplits, int64_t k);

  BatchedLinalgBuilder lb;
  int64_t shift;
};
} // namespace

Value PlanBuilder::maxExtraDigitsOf(Value x, bool perColumn) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  OpFoldResult size = tensor::getMixedSize(b, loc, x, perColumn ? 1 : 0);
  // The extremes first, so that digits are counted once per row. Both start
  // at 0, which needs no extra digit: an empty row (K = 0) needs none.
  auto extreme = [&](bool max) {
    Value start = i64(0);
    Value init =
        linalg::FillOp::create(
            b, loc, start,
            Value(tensor::EmptyOp::create(b, loc, {size}, b.getI64Type())))
            .getResult(0);
    return lb.generic(
        {x}, init, {lb.map(2, {0, 1}), lb.map(2, {perColumn ? 1u : 0u})},
        perColumn ? lb.iterators({red, par}) : lb.iterators({par, red}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value v = a[0];
          if (v.getType() != nb.getI64Type())
            v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), v);
          if (max)
            return arith::MaxSIOp::create(nb, l, a[1], v);
          return arith::MinSIOp::create(nb, l, a[1], v);
        });
  };
  Value maxima = extreme(true), minima = extreme(false);
  return lb.generic(
      {maxima, minima}, tensor::EmptyOp::create(b, loc, {size}, b.getI64Type()),
      {lb.map(1, {0}), lb.map(1, {0}), lb.map(1, {0})}, lb.iterators({par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MaxSIOp::create(nb, l,
                                      buildExtraDigits(nb, l, a[0], shift),
                                      buildExtraDigits(nb, l, a[1], shift));
      });
}

Value PlanBuilder::extraDigitsOf(Value x, Value source, OpFoldResult columns) {
  const IteratorType par = IteratorType::parallel;
  OpFoldResult rows = tensor::getMixedSize(b, loc, x, 0);
  return lb.generic(
      {source}, tensor::EmptyOp::create(b, loc, {rows, columns}, b.getI8Type()),
      {lb.map(2, {1}), lb.map(2, {0, 1})}, lb.iterators({par, par}),
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value r = linalg::IndexOp::create(nb, l, 0);
        Value v = tensor::ExtractOp::create(nb, l, x, ValueRange{r, a[0]});
        if (v.getType() != nb.getI64Type())
          v = arith::ExtSIOp::create(nb, l, nb.getI64Type(), v);
        return arith::TruncIOp::create(nb, l, nb.getI8Type(),
                                       buildExtraDigits(nb, l, v, shift));
      });
}

PlanBuilder::GreedySplits PlanBuilder::buildGreedy(Value t) {
  using P = arith::CmpIPredicate;
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  OpFoldResult rowSize = tensor::getMixedSize(b, loc, t, 0);
  OpFoldResult columnSize = tensor::getMixedSize(b, loc, t, 1);
  Value rows = getValueOrCreateConstantIndexOp(b, loc, rowSize);
  Value columns = getValueOrCreateConstantIndexOp(b, loc, columnSize);

  // Large entries per row and per column, with no split made yet.
  auto countLarge = [&](bool perColumn) {
    return lb.generic(
        {t}, zeros(perColumn ? columnSize : rowSize),
        {lb.map(2, {0, 1}), lb.map(2, {perColumn ? 1u : 0u})},
        perColumn ? lb.iterators({red, par}) : lb.iterators({par, red}),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          Value large = arith::CmpIOp::create(
              nb, l, P::sgt, a[0],
              arith::ConstantIntOp::create(nb, l, nb.getI8Type(), 0));
          return arith::AddIOp::create(
              nb, l, a[1],
              arith::ExtUIOp::create(nb, l, nb.getI64Type(), large));
        });
  };
  // The derived position of each row's (column's) top part: its own index
  // until it is split, then where the split appended it.
  auto positions = [&](OpFoldResult size) {
    return lb.generic(
        {}, tensor::EmptyOp::create(b, loc, {size}, b.getI64Type()),
        {lb.map(1, {0})}, lb.iterators({par}),
        [&](OpBuilder &nb, Location l, ValueRange) -> Value {
          return arith::IndexCastOp::create(nb, l, nb.getI64Type(),
                                            linalg::IndexOp::create(nb, l, 0));
        });
  };
  OpFoldResult logSize =
      arith::MulIOp::create(b, loc, columns, index(maxExtraDigits(shift)))
          .getResult();
  SmallVector<Value> init{
      zeros(rowSize),
      zeros(columnSize),
      countLarge(false),
      countLarge(true),
      positions(rowSize),
      positions(columnSize),
      toI64(rows),
      toI64(columns),
      tensor::EmptyOp::create(b, loc, {logSize}, b.getIndexType()),
      tensor::EmptyOp::create(b, loc, {logSize}, b.getI64Type()),
      index(0)};
  enum State {
    kRowSplits,
    kColumnSplits,
    kRowCounts,
    kColumnCounts,
    kRowPositions,
    kColumnPositions,
    kNextRow,
    kNextColumn,
    kLogColumns,
    kLogLevels,
    kLogCount,
    kNumState
  };
  SmallVector<Type> stateTypes = llvm::to_vector(ValueRange(init).getTypes());
  SmallVector<Type> afterTypes = stateTypes;
  afterTypes.append({b.getI1Type(), b.getIndexType(), b.getIndexType()});
  SmallVector<Location> stateLocs(stateTypes.size(), loc),
      afterLocs(afterTypes.size(), loc);

  auto whileOp = scf::WhileOp::create(b, loc, afterTypes, init);
  OpBuilder::InsertionGuard guard(b);
  {
    // Before: the row and the column with the most large entries.
    Block *before =
        b.createBlock(&whileOp.getBefore(), {}, stateTypes, stateLocs);
    ValueRange state = before->getArguments();
    auto best = [&](Value counts, Value positions, Value size) {
      return loop(index(0), size,
                  {i64(0), i64(std::numeric_limits<int64_t>::max()), index(0)},
                  [&](Value i, ValueRange acc) -> SmallVector<Value> {
                    Value count = get(counts, i), position = get(positions, i);
                    Value better = arith::OrIOp::create(
                        b, loc, cmp(P::sgt, count, acc[0]),
                        arith::AndIOp::create(b, loc, cmp(P::eq, count, acc[0]),
                                              cmp(P::slt, position, acc[1])));
                    return {select(better, count, acc[0]),
                            select(better, position, acc[1]),
                            select(better, i, acc[2])};
                  });
    };
    ValueRange row = best(state[kRowCounts], state[kRowPositions], rows);
    ValueRange column =
        best(state[kColumnCounts], state[kColumnPositions], columns);
    Value any = arith::OrIOp::create(b, loc, cmp(P::sgt, row[0], i64(0)),
                                     cmp(P::sgt, column[0], i64(0)));
    SmallVector<Value> forwarded(state);
    forwarded.append({cmp(P::sge, row[0], column[0]), row[2], column[2]});
    scf::ConditionOp::create(b, loc, any, forwarded);
  }
  {
    // After: split the chosen row (or column) once.
    Block *after =
        b.createBlock(&whileOp.getAfter(), {}, afterTypes, afterLocs);
    ValueRange args = after->getArguments();
    SmallVector<Value> state(args.take_front(kNumState));
    Value splitRow = args[kNumState];
    auto ifOp = scf::IfOp::create(b, loc, stateTypes, splitRow,
                                  /*withElseRegion=*/true);
    // Splits line `line` of one side; `other` is the crossing side.
    auto split = [&](Block *block, bool isRow, Value line) {
      b.setInsertionPointToStart(block);
      SmallVector<Value> next = state;
      unsigned splits = isRow ? kRowSplits : kColumnSplits;
      unsigned otherSplits = isRow ? kColumnSplits : kRowSplits;
      unsigned counts = isRow ? kRowCounts : kColumnCounts;
      unsigned otherCounts = isRow ? kColumnCounts : kRowCounts;
      Value level = get(state[splits], line);
      Value newLevel = add(level, i64(1));
      ValueRange updated =
          loop(index(0), isRow ? columns : rows, {state[otherCounts], i64(0)},
               [&](Value i, ValueRange acc) -> SmallVector<Value> {
                 Value needed = arith::ExtSIOp::create(
                     b, loc, b.getI64Type(),
                     get(t, isRow ? ValueRange{line, i} : ValueRange{i, line}));
                 Value crossing = get(state[otherSplits], i);
                 // Large before the split and small after it.
                 Value fixed = arith::ExtUIOp::create(
                     b, loc, b.getI64Type(),
                     cmp(P::eq, add(newLevel, crossing), needed));
                 return {set(sub(get(acc[0], i), fixed), acc[0], i),
                         add(acc[1], fixed)};
               });
      next[otherCounts] = updated[0];
      next[counts] =
          set(sub(get(state[counts], line), updated[1]), state[counts], line);
      next[splits] = set(newLevel, state[splits], line);
      unsigned nextPosition = isRow ? kNextRow : kNextColumn;
      next[isRow ? kRowPositions : kColumnPositions] =
          set(state[nextPosition],
              state[isRow ? kRowPositions : kColumnPositions], line);
      next[nextPosition] = add(state[nextPosition], i64(1));
      if (!isRow) {
        Value at = state[kLogCount];
        next[kLogColumns] = set(line, state[kLogColumns], at);
        next[kLogLevels] = set(newLevel, state[kLogLevels], at);
        next[kLogCount] = add(at, index(1));
      }
      scf::YieldOp::create(b, loc, next);
    };
    split(ifOp.thenBlock(), /*isRow=*/true, args[kNumState + 1]);
    split(ifOp.elseBlock(), /*isRow=*/false, args[kNumState + 2]);
    b.setInsertionPointToEnd(after);
    scf::YieldOp::create(b, loc, ifOp.getResults());
  }
  ValueRange result = whileOp.getResults();
  return {result[kRowSplits], result[kColumnSplits], result[kLogColumns],
          result[kLogLevels], result[kLogCount]};
}

std::pair<Value, Value> PlanBuilder::buildCopies(Value logColumns,
                                                 Value logLevels, Value count,
                                                 int64_t k) {
  const IteratorType par = IteratorType::parallel;
  OpFoldResult copies = add(count, index(k));
  // Copy c < K is column c at level 0; copy K + i is the i-th logged split.
  auto fromLog = [&](Value log, Type type, bool isLevel) {
    return lb.generic(
        {}, tensor::EmptyOp::create(b, loc, {copies}, type), {lb.map(1, {0})},
        lb.iterators({par}),
        [&](OpBuilder &nb, Location l, ValueRange) -> Value {
          Value c = linalg::IndexOp::create(nb, l, 0);
          Value kValue = arith::ConstantIndexOp::create(nb, l, k);
          Value isOriginal = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::ult, c, kValue);
          // Clamped so that the original columns read a valid entry too.
          Value at = arith::SelectOp::create(
              nb, l, isOriginal, arith::ConstantIndexOp::create(nb, l, 0),
              arith::SubIOp::create(nb, l, c, kValue));
          Value original =
              isLevel ? arith::ConstantIntOp::create(nb, l, type, 0) : c;
          return arith::SelectOp::create(
              nb, l, isOriginal, original,
              tensor::ExtractOp::create(nb, l, log, at));
        });
  };
  return {fromLog(logColumns, b.getIndexType(), /*isLevel=*/false),
          fromLog(logLevels, b.getI64Type(), /*isLevel=*/true)};
}

std::pair<Value, Value> PlanBuilder::buildColumnCopies(Value columnSplits,
                                                       int64_t k) {
  // The log of the column strategy: column j split at levels 1..V_j.
  OpFoldResult logSize = b.getIndexAttr(k * maxExtraDigits(shift));
  ValueRange log = loop(
      index(0), index(k),
      {tensor::EmptyOp::create(b, loc, {logSize}, b.getIndexType()),
       tensor::EmptyOp::create(b, loc, {logSize}, b.getI64Type()), index(0)},
      [&](Value j, ValueRange acc) -> SmallVector<Value> {
        Value splits = toIndex(get(columnSplits, j));
        ValueRange inner =
            loop(index(0), splits, acc,
                 [&](Value v, ValueRange entry) -> SmallVector<Value> {
                   return {set(j, entry[0], entry[2]),
                           set(toI64(add(v, index(1))), entry[1], entry[2]),
                           add(entry[2], index(1))};
                 });
        return llvm::to_vector(inner);
      });
  return buildCopies(log[0], log[1], log[2], k);
}

UnpackPlan PlanBuilder::build(Value lhs, Value rhs, StringRef strategy) {
  const IteratorType par = IteratorType::parallel;
  int64_t k = cast<RankedTensorType>(lhs.getType()).getDimSize(1);
  OpFoldResult m = tensor::getMixedSize(b, loc, lhs, 0);
  OpFoldResult n = tensor::getMixedSize(b, loc, rhs, 0);
  OpFoldResult kSize = b.getIndexAttr(k);
  UnpackPlan plan;
  Value identity =
      lb.generic({}, tensor::EmptyOp::create(b, loc, {kSize}, b.getIndexType()),
                 {lb.map(1, {0})}, lb.iterators({par}),
                 [&](OpBuilder &nb, Location l, ValueRange) -> Value {
                   return linalg::IndexOp::create(nb, l, 0);
                 });
  if (strategy == "row") {
    plan.lhsRowSplits = maxExtraDigitsOf(lhs, /*perColumn=*/false);
    plan.rhsRowSplits = maxExtraDigitsOf(rhs, /*perColumn=*/false);
    plan.lhsColumnSplits = zeros(kSize);
    plan.copySource = identity;
    plan.copyLevel = zeros(kSize);
    plan.rhsCopySplits = zeros(kSize);
    return plan;
  }
  if (strategy == "column") {
    plan.lhsRowSplits = zeros(m);
    plan.rhsRowSplits = zeros(n);
    plan.lhsColumnSplits = maxExtraDigitsOf(lhs, /*perColumn=*/true);
    std::tie(plan.copySource, plan.copyLevel) =
        buildColumnCopies(plan.lhsColumnSplits, k);
    Value rhsSplits = maxExtraDigitsOf(rhs, /*perColumn=*/true);
    OpFoldResult copies = tensor::getMixedSize(b, loc, plan.copySource, 0);
    plan.rhsCopySplits =
        lb.generic({plan.copySource},
                   tensor::EmptyOp::create(b, loc, {copies}, b.getI64Type()),
                   {lb.map(1, {0}), lb.map(1, {0})}, lb.iterators({par}),
                   [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                     return tensor::ExtractOp::create(nb, l, rhsSplits, a[0]);
                   });
    return plan;
  }
  // "both": lhs against rhs, then rhs (its columns duplicated by lhs's column
  // splits) against the unpacked lhs.
  GreedySplits first = buildGreedy(extraDigitsOf(lhs, identity, kSize));
  plan.lhsRowSplits = first.rowSplits;
  plan.lhsColumnSplits = first.columnSplits;
  std::tie(plan.copySource, plan.copyLevel) =
      buildCopies(first.logColumns, first.logLevels, first.logCount, k);
  GreedySplits second = buildGreedy(extraDigitsOf(
      rhs, plan.copySource, tensor::getMixedSize(b, loc, plan.copySource, 0)));
  plan.rhsRowSplits = second.rowSplits;
  plan.rhsCopySplits = second.columnSplits;
  return plan;
}

UnpackPlan mlir::effattn::buildUnpackPlan(OpBuilder &b, Location loc, Value lhs,
                                          Value rhs, int64_t bits,
                                          StringRef strategy) {
  return PlanBuilder(b, loc, bits - 1).build(lhs, rhs, strategy);
}
