//===- Tf32Mma.h - f32 products on tf32 tensor cores ------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// 3xTF32 (CUTLASS's "fast f32"): tf32 keeps 10 of f32's 23 fraction bits,
// and mma.sync ignores the 13 low bits of its operands. Each f32 operand x
// is split into big = x rounded to tf32 and small = x - big (exact) rounded
// to tf32, and a·b is summed as small_a·big_b + big_a·small_b + big_a·big_b
// (m16n8k8 tf32 mma.sync): the dropped small_a·small_b and the rounding of
// the small parts are about 2^-22 relative to the product, close to f32's
// own 2^-24, at three tensor-core products per multiply-add. Used by the
// GEMM kernel and the attention kernel for f32 operands.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_TF32MMA_H
#define LIB_CONVERSION_EFFATTNTOGPU_TF32MMA_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <utility>

namespace mlir {
namespace effattn {
/// Returns (big, small): the f32 vector `fragment` rounded to tf32 (to
/// nearest, ties away from zero: the 13 low bits cleared after adding half
/// of them) and the rest rounded likewise.
std::pair<Value, Value> splitTf32(ImplicitLocOpBuilder &b, Value fragment);

/// Adds the 3xTF32 product of the m16n8k8 fragments `a` (vector<4x1xf32>)
/// and `bFragment` (vector<2x1xf32>): big·big to `acc`, the two products
/// with a small part to `smallAcc` (which may be `acc` itself).
void multiplyAdd3xTf32(ImplicitLocOpBuilder &b, Value a, Value bFragment,
                       Value &acc, Value &smallAcc);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_TF32MMA_H
