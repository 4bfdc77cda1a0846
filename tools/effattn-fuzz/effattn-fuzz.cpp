//===- effattn-fuzz.cpp - libFuzzer target for effattn ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses arbitrary bytes as MLIR with effattn's dialects registered; a module
// that parses and verifies is lowered with effattn-cpu-pipeline. Diagnostics
// are expected; a crash, a hang or a sanitizer report is a bug. Run with
// scripts/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"

#include "effattn/InitAllPasses.h"
#include "effattn/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = effattn_fuzz::getContext();
  // Swallow diagnostics: rejecting bad input is the expected outcome.
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  // The MLIR lexer relies on the NUL that memory buffers end with; libFuzzer's
  // data has none, so parse a NUL-terminated copy.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module)
    return 0;
  PassManager pm(&context, ModuleOp::getOperationName());
  effattn::CPUPipelineOptions options;
  effattn::buildCPUPipeline(pm, options);
  // A failing pipeline reports diagnostics, which is fine; only a crash or
  // a sanitizer report is a finding.
  (void)pm.run(*module);
  return 0;
}
