//===- Selection.h - keys that order like floats ----------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Order statistics of f32 data, shared by the ops that select (MRA's top-k
// blocks) or take percentiles (the quantizer's clipping scale): floats map
// to i32 keys whose signed order is the float order, and
// effattn.kth_largest finds the k-th largest key of each row without
// sorting.
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
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_SELECTION_H
