//===- Selection.cpp - ordered keys and effattn.kth_largest -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/Selection.h"
#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Bisection steps that pin down one key of the 2^32 possible.
static constexpr int64_t kBisectionSteps = 32;

Value mlir::effattn::buildOrderedKey(OpBuilder &b, Location loc, Value value) {
  Type i32 = b.getI32Type();
  // -0 + 0 = +0. Negative floats flip their magnitude bits, so that a larger
  // magnitude gives a smaller signed integer.
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value canonical = arith::AddFOp::create(b, loc, value, zero);
  Value bits = arith::BitcastOp::create(b, loc, i32, canonical);
  Value magnitude = arith::ConstantIntOp::create(
      b, loc, i32, std::numeric_limits<int32_t>::max());
  Value isNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, bits,
                            arith::ConstantIntOp::create(b, loc, i32, 0));
  Value flipped = arith::XOrIOp::create(b, loc, bits, magnitude);
  return arith::SelectOp::create(b, loc, isNegative, flipped, bits);
}

Value mlir::effattn::buildValueOfKey(OpBuilder &b, Location loc, Value key) {
  Type i32 = b.getI32Type();
  if (key.getType() != i32)
    key = arith::TruncIOp::create(b, loc, i32, key);
  // The flip is an involution on negative keys.
  Value magnitude = arith::ConstantIntOp::create(
      b, loc, i32, std::numeric_limits<int32_t>::max());
  Value isNegative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, key,
                            arith::ConstantIntOp::create(b, loc, i32, 0));
  Value bits = arith::SelectOp::create(
      b, loc, isNegative, arith::XOrIOp::create(b, loc, key, magnitude), key);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
}

/// Returns lo + (hi - lo + 1) / 2, the next bisection point of the i32
/// bounds lo <= hi (computed in i64, where hi - lo + 1 cannot overflow).
static Value midpoint(OpBuilder &b, Location loc, Value lo, Value hi) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  lo = arith::ExtSIOp::create(b, loc, i64, lo);
  hi = arith::ExtSIOp::create(b, loc, i64, hi);
  Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
  Value width =
      arith::AddIOp::create(b, loc, arith::SubIOp::create(b, loc, hi, lo), one);
  Value mid = arith::AddIOp::create(b, loc, lo,
                                    arith::ShRSIOp::create(b, loc, width, one));
  return arith::TruncIOp::create(b, loc, i32, mid);
}

/// Returns a tensor [rows] of `type` filled with `value`.
static Value filled(OpBuilder &b, Location loc, OpFoldResult rows,
                    IntegerType type, int64_t value) {
  Value empty = tensor::EmptyOp::create(b, loc, {rows}, type);
  Value constant = arith::ConstantIntOp::create(b, loc, type, value);
  return linalg::FillOp::create(b, loc, constant, empty).getResult(0);
}

FailureOr<SmallVector<Value>> KthLargestOp::decomposeOperation(OpBuilder &b) {
  const IteratorType red = IteratorType::reduction;
  Location loc = getLoc();
  Value input = getInput();
  int64_t k = getK();
  IntegerType i32 = b.getI32Type(), i64 = b.getI64Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, input, 0);
  Value lo0 = filled(b, loc, rows, i32, std::numeric_limits<int32_t>::min());
  Value hi0 = filled(b, loc, rows, i32, std::numeric_limits<int32_t>::max());
  // Invariant: at least k elements are >= lo, fewer than k are > hi.
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, kBisectionSteps);
  Value step = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, step, ValueRange{lo0, hi0},
      [&](OpBuilder &nb, Location l, Value, ValueRange bounds) {
        BatchedLinalgBuilder body(nb, l, {rows});
        Value lo = bounds[0], hi = bounds[1];
        Value atLeast = body.generic(
            {input, lo, hi}, filled(nb, l, rows, i64, 0),
            {body.map(1, {0}), body.map(1, {}), body.map(1, {}),
             body.map(1, {})},
            body.iterators({red}),
            [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
              Value above =
                  arith::CmpIOp::create(bb, bl, arith::CmpIPredicate::sge, a[0],
                                        midpoint(bb, bl, a[1], a[2]));
              Value add = arith::ExtUIOp::create(bb, bl, i64, above);
              return arith::AddIOp::create(bb, bl, a[3], add);
            });
        // lo <- mid when at least k elements are >= mid, else hi <- mid - 1.
        auto update = [&](bool updateLo) {
          Value init = tensor::EmptyOp::create(nb, l, {rows}, i32);
          return body.generic(
              {lo, hi, atLeast}, init,
              {body.map(0, {}), body.map(0, {}), body.map(0, {}),
               body.map(0, {})},
              body.iterators({}),
              [&](OpBuilder &bb, Location bl, ValueRange a) -> Value {
                Value mid = midpoint(bb, bl, a[0], a[1]);
                Value count = arith::ConstantIntOp::create(bb, bl, i64, k);
                Value enough = arith::CmpIOp::create(
                    bb, bl, arith::CmpIPredicate::sge, a[2], count);
                if (updateLo)
                  return arith::SelectOp::create(bb, bl, enough, mid, a[0]);
                Value one = arith::ConstantIntOp::create(bb, bl, i32, 1);
                Value below = arith::SubIOp::create(bb, bl, mid, one);
                return arith::SelectOp::create(bb, bl, enough, a[1], below);
              });
        };
        Value newLo = update(/*updateLo=*/true);
        Value newHi = update(/*updateLo=*/false);
        scf::YieldOp::create(nb, l, ValueRange{newLo, newHi});
      });
  return SmallVector<Value>{loop.getResult(0)};
}
