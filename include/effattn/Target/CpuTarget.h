//===- CpuTarget.h - CPU target descriptions --------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Builds #effattn.cpu target descriptions: from the running machine (LLVM's
// host CPU queries, cache sizes and cores from the OS) or from named presets.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_TARGET_CPUTARGET_H
#define EFFATTN_TARGET_CPUTARGET_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
namespace effattn {
/// Returns the names of the CPU presets ("x86-64-v3", "znver4", ...).
llvm::ArrayRef<llvm::StringRef> getCpuPresetNames();

/// Returns the description of the running machine.
CpuTargetAttr detectHostCpu(MLIRContext *context);

/// Returns the description named `name`: "host" or a preset; null if the
/// name is unknown.
CpuTargetAttr lookupCpuTarget(MLIRContext *context, llvm::StringRef name);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_TARGET_CPUTARGET_H
