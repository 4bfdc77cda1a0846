//===- BatchedLinalgBuilder.h - linalg building blocks ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The pieces the effattn decompositions are made of: linalg.generic ops over
// any number of leading batch dimensions, computing in f32 (batched matmuls,
// row reductions, softmax, elementwise maps).
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_BATCHEDLINALGBUILDER_H
#define EFFATTN_DIALECT_EFFATTN_IR_BATCHEDLINALGBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// Fast-math flags of f32 contractions: FMA formation and reassociation of
/// sums (summation order is not part of any effattn op's semantics).
inline constexpr arith::FastMathFlags kContractionFastMath =
    arith::FastMathFlags::contract | arith::FastMathFlags::reassoc;

/// Collapses the `numBatch` leading dimensions of `x` into one, adding a unit
/// one when there are none: [batch..., tail...] -> [BH, tail...].
Value collapseBatchDims(OpBuilder &b, Location loc, Value x, unsigned numBatch);
/// Undoes collapseBatchDims: returns `x` [BH, tail...] as [batch..., tail...]
/// with the shape of `like` (whose sizes give the dynamic ones), keeping x's
/// element type.
Value expandBatchDims(OpBuilder &b, Location loc, Value x, Value like,
                      unsigned numBatch);

/// Builds linalg.generic ops whose leading `batchSizes.size()` loops are the
/// shared batch dimensions; "tail" dimensions follow them. All temporaries
/// are f32.
class BatchedLinalgBuilder {
public:
  BatchedLinalgBuilder(OpBuilder &b, Location loc,
                       ArrayRef<OpFoldResult> batchSizes)
      : b(b), loc(loc), f32(b.getF32Type()),
        batchSizes(batchSizes.begin(), batchSizes.end()) {}

  /// Returns the map (batch..., d0, ..., d[numTail-1]) -> (batch...,
  /// d[dims]...).
  AffineMap map(unsigned numTail, ArrayRef<unsigned> dims) const;
  /// Returns the map from all loops to nothing (a 0-d operand).
  AffineMap scalarMap(unsigned numTail) const;
  /// Returns parallel batch iterators followed by `tail`.
  SmallVector<utils::IteratorType>
  iterators(ArrayRef<utils::IteratorType> tail) const;
  /// Returns sizes [batch..., tail...].
  SmallVector<OpFoldResult> sizes(ArrayRef<OpFoldResult> tail) const;

  /// Returns an f32 constant.
  Value constant(float value);
  /// Returns an f32 tensor [batch..., tail...] filled with `value`.
  Value filled(ArrayRef<OpFoldResult> tail, Value value);
  /// Converts a scalar to f32 (a no-op on f32).
  Value toF32(OpBuilder &nb, Value v) const;

  /// Creates a linalg.generic writing into `init` whose body yields what
  /// `body` returns, and returns its result.
  Value generic(ValueRange inputs, Value init, ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iteratorTypes,
                function_ref<Value(OpBuilder &, Location, ValueRange)> body);

  /// Returns C[b, i, j] = Σ_k lhs[b, i, k] · rhs[b, k, j] (rhs[b, j, k] when
  /// `transposeRhs`), in f32, with `rows` = size of i and `cols` = size of j.
  /// The loop order keeps the innermost loop on contiguous memory.
  Value matmul(Value lhs, Value rhs, bool transposeRhs, OpFoldResult rows,
               OpFoldResult cols);
  /// Returns acc[b, i, j] + Σ_k lhs[b, i, k] · rhs[b, k, j] (rhs[b, j, k] when
  /// `transposeRhs`), accumulated in place into the f32 `acc`.
  Value matmulInto(Value lhs, Value rhs, bool transposeRhs, Value acc);
  /// Returns r[b, i] = max_j x[b, i, j] for an f32 [batch..., rows, cols].
  Value rowMax(Value x, OpFoldResult rows);
  /// Returns r[b, i] = Σ_j x[b, i, j] (summed in any order).
  Value rowSum(Value x, OpFoldResult rows);
  /// Returns exp(x[b, i, j] - rowValue[b, i]), written into x.
  Value expShifted(Value x, Value rowValue);
  /// Returns x[b, i, j] / rowValue[b, i], written into x.
  Value divideRows(Value x, Value rowValue);
  /// Returns the rows of x [batch..., rows, cols] (any float type) divided by
  /// max(‖row‖₂, 1e-12), in f32 (torch.nn.functional.normalize).
  Value l2NormalizeRows(Value x, OpFoldResult rows, OpFoldResult cols);
  /// Writes the f32 [batch..., rows, cols] tensor x into `init`, converted to
  /// init's element type, and returns the result.
  Value convertInto(Value x, Value init);
  /// Returns softmax along the last dimension of an f32 [batch..., rows,
  /// cols] tensor.
  Value softmax(Value x, OpFoldResult rows);

  OpBuilder &getBuilder() { return b; }
  unsigned getNumBatch() const { return batchSizes.size(); }

private:
  OpBuilder &b;
  Location loc;
  Type f32;
  SmallVector<OpFoldResult> batchSizes;
};
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_BATCHEDLINALGBUILDER_H
