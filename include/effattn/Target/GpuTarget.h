//===- GpuTarget.h - GPU target descriptions --------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// #effattn.gpu target descriptions of NVIDIA architectures (presets from the
// CUDA programming guide's per-compute-capability limits).
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_TARGET_GPUTARGET_H
#define EFFATTN_TARGET_GPUTARGET_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
namespace effattn {
/// Returns the names of the GPU presets ("sm_80", "sm_90").
llvm::ArrayRef<llvm::StringRef> getGpuPresetNames();

/// Returns the description of `name`, a preset with or without the "cuda:"
/// prefix ("sm_90", "cuda:sm_90"); null if the name is unknown.
GpuTargetAttr lookupGpuTarget(MLIRContext *context, llvm::StringRef name);

/// Returns true if `target` has a tensor-core instruction for `shape`
/// ("f16:m16n8k16").
bool hasMmaShape(GpuTargetAttr target, llvm::StringRef shape);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_TARGET_GPUTARGET_H
