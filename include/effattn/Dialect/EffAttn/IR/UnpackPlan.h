//===- UnpackPlan.h - how IM-Unpack splits the operands ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// IM-Unpack multiplies lhs [M, K] · rhs [N, K]ᵀ from b-bit digits only. Every
// strategy ("row", "column" and the greedy "both") ends in the same kind of
// split, which this header describes and builds as IR (the split is data
// dependent, so the plan is computed at run time):
//
// - row r of lhs is split U_r times: its derived rows (r, u), u = 0..U_r,
//   carry the weight s^u (s = 2^(b-1)); rows of rhs likewise with W_n;
// - inner column j of lhs is split V_j times, each split duplicating column
//   j of rhs: the copies c = (j, v), v = 0..V_j, of weight s^v; rhs splits
//   each copy X_c times into unpacked columns (c, x) of weight s^(v+x).
//
// The entry x = lhs[r, j] has U_r + V_j + 1 base-s digits (floor division:
// low digits in [0, s), the top one signed, |top| < s by construction of the
// plan); digit d sits at derived position (u, v) = (min(d, U_r), d - u), and
// the other positions hold 0. The entries of rhs are placed the same way.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_UNPACKPLAN_H
#define EFFATTN_DIALECT_EFFATTN_IR_UNPACKPLAN_H

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// The splits of one IM-Unpack product (see the file comment).
struct UnpackPlan {
  /// i64 [M] and [N]: U_r and W_n, the splits of each row of lhs and rhs.
  Value lhsRowSplits, rhsRowSplits;
  /// i64 [K]: V_j, the splits of each inner column of lhs.
  Value lhsColumnSplits;
  /// index [K']: the inner column j of each copy c (K' = Σ_j (V_j + 1)).
  Value copySource;
  /// i64 [K']: the level v of each copy in its column of lhs.
  Value copyLevel;
  /// i64 [K']: X_c, the splits of each copy in rhs.
  Value rhsCopySplits;
};

/// Returns ceil(63 / shift): the most extra base-2^shift digits an i64 has.
inline int64_t maxExtraDigits(int64_t shift) {
  return (63 + shift - 1) / shift;
}

/// Returns the number of extra base-2^shift digits the i64 `value` needs:
/// #{j >= 0 : |value >> j·shift| >= 2^shift}, j < ceil(63 / shift).
Value buildExtraDigits(OpBuilder &b, Location loc, Value value, int64_t shift);

/// Builds the plan of `strategy` ("row", "column" or "both") for lhs [M, K]
/// and rhs [N, K] (integer tensors) with digits of `bits` bits. "both" runs
/// the authors' greedy twice (lhs against rhs, then rhs against the unpacked
/// lhs) with their tie rules, so the unpacked sizes equal theirs.
UnpackPlan buildUnpackPlan(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           int64_t bits, StringRef strategy);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_UNPACKPLAN_H
