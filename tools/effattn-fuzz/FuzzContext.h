//===- FuzzContext.h - the MLIR context of the fuzz targets -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_TOOLS_EFFATTN_FUZZ_FUZZCONTEXT_H
#define EFFATTN_TOOLS_EFFATTN_FUZZ_FUZZCONTEXT_H

#include "effattn/InitAllDialects.h"

#include "mlir/IR/MLIRContext.h"

namespace effattn_fuzz {
/// One context for the whole run, shared by the fuzzed function and the
/// mutator: registering dialects per input would dominate the time.
inline mlir::MLIRContext &getContext() {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    mlir::effattn::registerAllDialects(registry);
    auto *ctx =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    ctx->loadAllAvailableDialects();
    return ctx;
  }();
  return *context;
}
} // namespace effattn_fuzz

#endif // EFFATTN_TOOLS_EFFATTN_FUZZ_FUZZCONTEXT_H
