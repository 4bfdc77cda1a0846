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

/// Returns why `op` has no GPU lowering, or an empty string: the effattn
/// ops other than attention run as kernels of their linalg decomposition,
/// which for these still has loops and scalar code on the host.
static StringRef whyNoGpuLowering(Operation *op) {
  if (isa<UnpackedMatmulOp, UnpackedSizesOp>(op))
    return "the unpacking plan runs on the host";
  return "";
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

    // What the decompositions of the other ops ask for.
    module->setAttr(kTargetAttrName, target);

    RewritePatternSet patterns(&getContext());
    populateEffAttnToGPUPatterns(patterns, target);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    (void)applyPatternsGreedily(module, std::move(patterns), config);

    bool failed = false;
    module.walk([&](Operation *op) {
      if (isa<AttentionOp>(op)) {
        failed = true; // Its pattern reported why it does not fit.
        return;
      }
      StringRef reason = whyNoGpuLowering(op);
      if (reason.empty())
        return;
      op->emitOpError("has no GPU lowering yet: ") << reason;
      failed = true;
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
