//===- LinalgKernels.h - kernels of linalg ops on buffers -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the kernels of effattn-gpu-map-linalg (private to EffAttnToGPU) share
// about a linalg.generic on buffers: where its operands are read and written
// at given loop indices and what its body computes there; and the kernel for
// long reductions with few outputs.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_LINALGKERNELS_H
#define LIB_CONVERSION_EFFATTNTOGPU_LINALGKERNELS_H

#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effattn {
/// Returns the indices of `map` (of a generic's operand) at loop indices
/// `ivs`.
SmallVector<Value> applyIndexingMap(OpBuilder &b, Location loc, AffineMap map,
                                    ValueRange ivs);

/// Emits the body of `op` at loop indices `ivs` (all of its loops), its
/// inputs loaded from their buffers and its output arguments bound to
/// `accumulators`; returns the values it yields.
SmallVector<Value> emitGenericBody(OpBuilder &b, Location loc,
                                   linalg::GenericOp op, ValueRange ivs,
                                   ValueRange accumulators);

/// Replaces `op` (parallel loops first, then reductions; one output, indexed
/// by the parallel loops) by a kernel with a block of threads per output
/// element, when its body is a reduction with one commutative combiner
/// (add, mul, max, min, and, or, xor) and the sizes are static and make that
/// faster on `target` than a thread per output element (few outputs, long
/// reductions). Fails, leaving `op` as it is, otherwise.
LogicalResult buildReductionKernel(RewriterBase &rewriter, linalg::GenericOp op,
                                   GpuTargetAttr target, int64_t blockSize);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_LINALGKERNELS_H
