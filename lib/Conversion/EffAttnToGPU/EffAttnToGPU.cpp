//===- EffAttnToGPU.cpp - The effattn-convert-to-gpu pass -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"
#include "effattn/Conversion/Passes.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_CONVERTEFFATTNTOGPUPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns true for ops that only move or describe tensors (they bufferize
/// away); anything else with a tensor operand or result computes.
static bool isTensorPlumbing(Operation *op) {
  return isa<func::ReturnOp, func::CallOp, tensor::EmptyOp, tensor::DimOp,
             tensor::CastOp, FailIfOp>(op) ||
         isa<bufferization::BufferizationDialect>(op->getDialect());
}

namespace {
struct ConvertEffAttnToGPUPass
    : effattn::impl::ConvertEffAttnToGPUPassBase<ConvertEffAttnToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto target = dyn_cast_if_present<GpuTargetAttr>(getTargetAttr(module));
    if (!target)
      target = lookupGpuTarget(&getContext(), gpu);
    if (!target) {
      module.emitError("effattn-convert-to-gpu: unknown gpu '")
          << gpu << "' (expected one of "
          << llvm::join(getGpuPresetNames(), ", ") << ")";
      return signalPassFailure();
    }

    RewritePatternSet patterns(&getContext());
    populateEffAttnToGPUPatterns(patterns, target);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    (void)applyPatternsGreedily(module, std::move(patterns), config);

    // What is left on tensors would run on the host, on device pointers.
    bool failed = false;
    module.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>() || isTensorPlumbing(op))
        return;
      if (isa<AttentionOp>(op)) {
        failed = true; // Its pattern reported why it does not fit.
        return;
      }
      auto isTensor = [](Type type) { return isa<TensorType>(type); };
      if (!llvm::any_of(op->getOperandTypes(), isTensor) &&
          !llvm::any_of(op->getResultTypes(), isTensor))
        return;
      op->emitOpError("has no GPU lowering yet (effattn-gpu-pipeline runs "
                      "effattn.attention; everything else of a GPU library "
                      "must be one of those ops)");
      failed = true;
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
