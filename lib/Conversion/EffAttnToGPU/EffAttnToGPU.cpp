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

    if (attentionWarpRows != 0 && attentionWarpRows != 16 &&
        attentionWarpRows != 32) {
      module.emitError("effattn-convert-to-gpu: attention-warp-rows must be "
                       "0, 16 or 32, not ")
          << static_cast<int64_t>(attentionWarpRows);
      return signalPassFailure();
    }

    FailureOr<bool> f32OnTensorCores =
        parseF32Contractions(module, getArgument(), f32Contractions);
    if (failed(f32OnTensorCores))
      return signalPassFailure();

    // What the decompositions of the other ops ask for.
    module->setAttr(kTargetAttrName, target);

    RewritePatternSet patterns(&getContext());
    populateEffAttnToGPUPatterns(patterns, target, attentionWarpRows,
                                 *f32OnTensorCores);
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    (void)applyPatternsGreedily(module, std::move(patterns), config);

    // The other effattn ops run as kernels of their linalg decomposition.
    bool failed = false;
    module.walk([&](AttentionOp) {
      failed = true; // Its pattern reported why it does not fit.
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
