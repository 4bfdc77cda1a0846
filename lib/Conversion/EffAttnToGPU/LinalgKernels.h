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
/// inputs loaded from their buffers (those read from `knownBuffer` take
/// `knownValue` instead) and its output arguments bound to `accumulators`;
/// returns the values it yields.
SmallVector<Value> emitGenericBody(OpBuilder &b, Location loc,
                                   linalg::GenericOp op, ValueRange ivs,
                                   ValueRange accumulators,
                                   Value knownBuffer = Value(),
                                   Value knownValue = Value());

/// The value every element of a linalg op's only output holds just before
/// the op, when a fill (or a copy of a filled buffer) wrote it there and
/// nothing touched the output since. A kernel that starts its outputs from
/// `value` instead of reading them sets `used`; the fill is then dropped
/// (foldConstantInits).
struct ConstantInit {
  Value value;
  bool used = false;
};

/// An elementwise op that consumes a kernel's output right after the
/// kernel's op (the next op with memory effects; the ops between may move
/// before the kernel's op): all its loops parallel,
/// the elements of its only output those of the producer's, which it reads
/// as an input or updates in place. A kernel that stores its outputs
/// through emitEpilogueStore sets `used`; the consumer is then dropped.
struct Epilogue {
  linalg::GenericOp consumer;
  /// The producer's output.
  Value produced;
  /// Whether the producer's output is still read after the consumer, so
  /// that the kernel stores it too (never when the consumer updates it in
  /// place).
  bool storeProduced;
  bool used = false;
};

/// Drops each copy of host code whose target an elementwise op then updates
/// in place (overwriting all of it; the next op with memory effects): the
/// op reads the copied element from the copy's source instead.
void readCopySourcesInPlace(RewriterBase &rewriter, ModuleOp module);

/// Returns the epilogue of `op` (one output, on buffers), if any.
std::optional<Epilogue> findEpilogue(linalg::GenericOp op);

/// Stores `value`, the producer's output element at `indices`: with an
/// epilogue, the consumer's result at those indices to its output (and
/// `value` to the producer's output if it is still read), marking the
/// epilogue used; else `value` to `buffer`.
void emitEpilogueStore(OpBuilder &b, Location loc, Epilogue *epilogue,
                       Value value, Value buffer, ValueRange indices);

/// Returns the value that `op` writes to every element of its output if it
/// is a fill (linalg.fill, or its generic form), else null.
Value getFillValue(Operation *op);

/// Returns the constant that the output of `op` holds just before it, if
/// any (see ConstantInit), and the op that wrote it: a fill of the output
/// or a copy into it from a buffer that only a fill writes. The output must
/// be a buffer of the function's own (a memref.alloc used only by linalg
/// ops, copies and deallocations), not an input of `op`, and written whole
/// by `op`, so that nothing but `op` sees what the writer wrote.
struct ConstantInitWriter {
  Value value;
  Operation *writer;
};
std::optional<ConstantInitWriter> findConstantInit(linalg::GenericOp op);

/// Erases `writer` (of findConstantInit) once the op after it starts from
/// its constant, and, for a copy, the filled source buffer and its fill when
/// nothing else reads them.
void eraseConstantInitWriter(RewriterBase &rewriter, Operation *writer);

/// Replaces `op` (parallel loops first, then reductions; one output, indexed
/// by the parallel loops) by a kernel with a block of threads per output
/// element, when its body is a reduction with one commutative combiner
/// (add, mul, max, min, and, or, xor) and the sizes are static and make that
/// faster on `target` than a thread per output element (few outputs, long
/// reductions). Fails, leaving `op` as it is, otherwise.
/// With `init`, the kernel combines the block's result with init->value
/// instead of the output element and sets init->used.
/// With `epilogue`, it stores the result through emitEpilogueStore.
LogicalResult buildReductionKernel(RewriterBase &rewriter, linalg::GenericOp op,
                                   GpuTargetAttr target, int64_t blockSize,
                                   ConstantInit *init = nullptr,
                                   Epilogue *epilogue = nullptr);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_LINALGKERNELS_H
