//===- WalshHadamard.h - fast Walsh-Hadamard transform ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The unnormalised Walsh-Hadamard transform, y = x · H with
// H[i, j] = (-1)^popcount(i & j) (Sylvester order): one product with the
// dense 16 × 16 Hadamard matrix (linalg), then the butterfly stages of
// half-width 16, 32, ..., P/2 as vector code on 16 lanes (CPU) or as one
// gathering linalg.generic each (GPU: a kernel per stage): the one
// implementation behind YOSO's fast hash, LookupFFN's BH4 projection and
// FrameQuant's randomized Hadamard.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_WALSHHADAMARD_H
#define EFFATTN_DIALECT_EFFATTN_IR_WALSHHADAMARD_H

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// How the butterfly stages are written: vector code over rows (CPU), or
/// one linalg.generic per stage in which each element reads its partner
/// (GPU: every linalg op becomes a kernel there).
enum class ButterflyKind { Vector, Gather };

/// Returns the butterfly kind for the target of `op`'s module.
ButterflyKind chooseButterflyKind(Operation *op);

/// Returns the unnormalised Walsh-Hadamard transform of the f32 tensor `x`
/// along its last dimension, whose size must be a static power of two. Stage
/// h = 16, 32, ... views x as [..., P/(2h), 2, h] and writes (a + b, a - b)
/// for the pair (a, b) = (x[..., g, 0, i], x[..., g, 1, i]).
/// Both kinds compute the same sums in the same order.
Value buildWalshHadamard(OpBuilder &b, Location loc, Value x,
                         ButterflyKind kind);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_WALSHHADAMARD_H
