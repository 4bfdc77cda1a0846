//===- LockstepEmulation.h - synchronizing kernels on the host --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The part of effattn-gpu-emulate-launches (private to EffAttnToGPU) for
// kernels whose threads synchronize: barriers, shuffles, shared memory.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_LOCKSTEPEMULATION_H
#define LIB_CONVERSION_EFFATTNTOGPU_LOCKSTEPEMULATION_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effattn {
/// Returns true if `op` is, or contains, a point where the threads of a
/// block wait for each other (gpu.barrier) or exchange values (gpu.shuffle).
bool containsThreadSync(Operation *op);

/// Replaces `launch` by a loop over its blocks whose body runs the kernel's
/// threads in lockstep: the code between two synchronization points is one
/// loop over all threads of the block, values that live across them are
/// kept per thread, shuffles read the other lanes' values, and shared memory
/// is one buffer per block (heap buffers, freed by the deallocation
/// pipeline). Control flow around synchronization points must
/// be uniform across the block (as CUDA requires); it runs with thread 0's
/// values. Fails, with a diagnostic, on ops it cannot emulate (tensor-core
/// and other NVVM/nvgpu ops, dynamic shared memory, a synchronizing
/// scf.while).
LogicalResult emulateInLockstep(RewriterBase &rewriter, gpu::LaunchOp launch);

/// Builds scf.for loops over [0, sizes[i]), sets the insertion point inside
/// the innermost and returns the induction variables.
SmallVector<Value> buildLoopNest(RewriterBase &rewriter, Location loc,
                                 ValueRange sizes);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_LOCKSTEPEMULATION_H
