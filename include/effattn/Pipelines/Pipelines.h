//===- Pipelines.h - effattn end-to-end pass pipelines ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_PIPELINES_PIPELINES_H
#define EFFATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir {
namespace effattn {
/// Options of `effattn-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<int64_t> rowTileSize{
      *this, "row-tile-size",
      llvm::cl::desc("Tile size of the query/row dimension of effattn ops"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_<name> wrappers for public functions "
                     "(the entry points C callers and the Python loader use)"),
      llvm::cl::init(true)};
};

/// Builds the pipeline that takes a module of effattn ops on tensors down to
/// the LLVM dialect for a CPU:
///   tile (scf.forall) -> decompose (linalg) -> bufferize (one-shot, identity
///   layouts at function boundaries) -> loops -> LLVM dialect.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `effattn-cpu-pipeline` with the pass registry.
void registerPipelines();
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_PIPELINES_PIPELINES_H
