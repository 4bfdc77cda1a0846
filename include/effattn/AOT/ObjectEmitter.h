//===- ObjectEmitter.h - LLVM IR to machine code ----------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Turns the LLVM IR of a lowered module into object code or assembly for a
// CPU through LLVM's TargetMachine: target resolution (`host` or an LLVM CPU
// name), the O3 pipeline with glibc's libmvec as vector math library, and
// machine-code emission.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_AOT_OBJECTEMITTER_H
#define EFFATTN_AOT_OBJECTEMITTER_H

#include "mlir/Support/LLVM.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
namespace effattn {
/// Creates a TargetMachine for `target`: "host" (the running CPU and its
/// features) or an LLVM CPU name such as "x86-64-v3", "x86-64-v4", "znver4".
/// Returns null and sets `error` for an unknown CPU.
std::unique_ptr<llvm::TargetMachine> createTargetMachine(StringRef target,
                                                         std::string &error);

/// Sets the module's triple and data layout from `machine`, gives every
/// defined function hidden visibility (the exported entry points are the C
/// wrappers, in another object) and runs LLVM's O3 pipeline with libmvec as
/// the vector math library.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine);

/// Emits `module` as object code or assembly into `os`. Returns false and
/// sets `error` on failure.
bool emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                     llvm::CodeGenFileType fileType,
                     llvm::raw_pwrite_stream &os, std::string &error);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_AOT_OBJECTEMITTER_H
