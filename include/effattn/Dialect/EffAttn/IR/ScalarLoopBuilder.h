//===- ScalarLoopBuilder.h - sequential scans over tensors ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Terse construction of the sequential, data-dependent parts of a
// decomposition (prefix sums, greedy searches): scf.for loops carrying
// tensors and scalars, tensor.extract/insert, index and i64 arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_SCALARLOOPBUILDER_H
#define EFFATTN_DIALECT_EFFATTN_IR_SCALARLOOPBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir {
namespace effattn {
/// Builds scalar IR at the insertion point of `b` (which loop bodies move).
class ScalarLoopBuilder {
public:
  ScalarLoopBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i64(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  }
  Value get(Value t, ValueRange indices) {
    return tensor::ExtractOp::create(b, loc, t, indices);
  }
  Value set(Value v, Value t, ValueRange indices) {
    return tensor::InsertOp::create(b, loc, v, t, indices);
  }
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  }
  Value toI64(Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  /// A rank-1 tensor of `size` elements of `type`, all `value` (an integer).
  Value filled(OpFoldResult size, Type type, int64_t value) {
    Value v =
        type.isIndex()
            ? index(value)
            : arith::ConstantIntOp::create(b, loc, type, value).getResult();
    return linalg::FillOp::create(
               b, loc, v, Value(tensor::EmptyOp::create(b, loc, {size}, type)))
        .getResult(0);
  }
  /// An i64 tensor of `size` zeros.
  Value zeros(OpFoldResult size) { return filled(size, b.getI64Type(), 0); }
  /// Builds scf.for from `lower` to `upper` (step 1) carrying `init`; `body`
  /// returns the values to yield. Returns the loop's results.
  ValueRange loop(Value lower, Value upper, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(
        b, loc, lower, upper, index(1), init,
        [&](OpBuilder &, Location, Value iv, ValueRange args) {
          scf::YieldOp::create(b, loc, body(iv, args));
        });
    return forOp.getResults();
  }

  OpBuilder &getBuilder() { return b; }
  Location getLoc() { return loc; }

protected:
  OpBuilder &b;
  Location loc;
};
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_SCALARLOOPBUILDER_H
