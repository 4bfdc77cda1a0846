//===- ContractionKernel.h - GEMMs through shared memory --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The blocked GEMM kernel of effattn-gpu-map-linalg (private to
// EffAttnToGPU).
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H
#define LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H

#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effattn {
/// Replaces `op` (on buffers) by a gpu.launch computing it as a blocked GEMM
/// through shared memory, when it is a contraction (linalg's contraction
/// interface: a multiply-add body) with one K loop, any batch loops, and M
/// and N loops (each set linearized) of at least 16 or unknown, and `target`
/// (if any) allows blocks of 256 threads with the two operand slices in shared
/// memory. Fails, leaving `op` as it is, otherwise.
LogicalResult buildContractionKernel(RewriterBase &rewriter,
                                     linalg::GenericOp op,
                                     GpuTargetAttr target);
} // namespace effattn
} // namespace mlir

#endif // LIB_CONVERSION_EFFATTNTOGPU_CONTRACTIONKERNEL_H
