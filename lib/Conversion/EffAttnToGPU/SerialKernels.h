//===- SerialKernels.h - sequential host code on the GPU --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Steps of effattn-gpu-map-linalg (private to EffAttnToGPU) for what is left
// in host code once the linalg ops are kernels: sequential code on buffers
// (a scan, a search, a store of one element) moves into kernels of one
// thread, and the values host code needs from device memory (run-time sizes,
// loop bounds) are copied back to host memory.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_SERIALKERNELS_H
#define LIB_CONVERSION_EFFATTNTOGPU_SERIALKERNELS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effattn {
/// Returns true for `op` (or an ancestor) already running on the GPU.
bool isOnDevice(Operation *op);

/// Moves `ops` (consecutive in their block, in order) into a kernel of one
/// thread, created before the first.
gpu::LaunchOp wrapInSingleThreadKernel(RewriterBase &rewriter,
                                       ArrayRef<Operation *> ops);

/// Moves each run of consecutive ops of host code that read or write
/// buffers and launch no kernel (with the loads and pure scalar ops between
/// them) into a kernel of one thread; the scalars used after a run go
/// through 0-d device buffers that host code loads from. A load from a
/// buffer that stageHostReads cannot copy whole moves too. Fails, with a
/// diagnostic, on such an op with a buffer result.
LogicalResult moveSerialCodeToKernels(RewriterBase &rewriter, ModuleOp module);

/// Copies each buffer that host code loads from (static and small, see
/// moveSerialCodeToKernels) into host memory (memref.alloca) and loads
/// from the copy. The copy is made once before the outermost enclosing
/// region op that writes no alias of the buffer (a loop over weights reads
/// its bounds once, not once per iteration).
void stageHostReads(RewriterBase &rewriter, ModuleOp module);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_SERIALKERNELS_H
