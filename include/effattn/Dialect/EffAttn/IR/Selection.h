//===- Selection.h - k-th largest value without sorting ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Order statistics of f32 data as linalg on tensors, shared by the ops that
// select (MRA's top-k blocks) or take percentiles (IM-Unpack's RTN scale):
// floats map to i32 keys whose signed order is the float order, and a
// bisection over the i32 range finds the k-th largest key with 32 counting
// reductions — no sort, vectorizable, O(32·L) per row.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_SELECTION_H
#define EFFATTN_DIALECT_EFFATTN_IR_SELECTION_H

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// Returns the i32 key of the f32 scalar `value`: signed integer order of
/// keys is the float order, and -0 gets the key of +0.
Value buildOrderedKey(OpBuilder &b, Location loc, Value value);

/// Returns the f32 whose key (buildOrderedKey) is the i32 or i64 `key`.
Value buildValueOfKey(OpBuilder &b, Location loc, Value key);

/// Returns, for each row r of the i32 `keys` [rows, L], the k-th largest key
/// (1 <= k <= L) as an i64 [rows] tensor: a 32-step bisection over the i32
/// range, each step one counting reduction over `keys`.
Value buildKthLargestKey(OpBuilder &b, Location loc, Value keys,
                         OpFoldResult rows, int64_t k);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_SELECTION_H
