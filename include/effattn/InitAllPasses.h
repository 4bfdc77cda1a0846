//===- InitAllPasses.h - register effattn's passes --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_INITALLPASSES_H
#define EFFATTN_INITALLPASSES_H

#include "effattn/Conversion/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Transform/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

namespace mlir {
namespace effattn {
/// Registers effattn's passes and pipelines, and the upstream passes that
/// make up its pipelines (so that every stage can be run on its own).
inline void registerAllPasses() {
  registerEffAttnPasses();
  registerEffAttnConversionPasses();
  registerGPUPasses();
  registerPipelines();
  registerTransformsPasses();
  registerConversionPasses();
  registerLinalgPasses();
  registerSCFPasses();
  memref::registerMemRefPasses();
  bufferization::registerBufferizationPasses();
  bufferization::registerBufferizationPipelines();
  transform::registerTransformPasses();
}
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_INITALLPASSES_H
