//===- ConfigureTarget.cpp - Attach the CPU target description --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Target/CpuTarget.h"
#include "effattn/Target/GpuTarget.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNCONFIGURETARGETPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
struct EffAttnConfigureTargetPass
    : effattn::impl::EffAttnConfigureTargetPassBase<
          EffAttnConfigureTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    if (!gpu.empty()) {
      GpuTargetAttr target = lookupGpuTarget(&getContext(), gpu);
      if (!target) {
        getOperation().emitError("effattn-configure-target: unknown gpu '")
            << gpu << "' (expected one of "
            << llvm::join(getGpuPresetNames(), ", ") << ")";
        return signalPassFailure();
      }
      getOperation()->setAttr(kTargetAttrName, target);
      return;
    }
    CpuTargetAttr target = lookupCpuTarget(&getContext(), cpu);
    if (!target) {
      getOperation().emitError("effattn-configure-target: unknown cpu '")
          << cpu << "' (expected host or one of "
          << llvm::join(getCpuPresetNames(), ", ") << ")";
      return signalPassFailure();
    }
    getOperation()->setAttr(kTargetAttrName, target);
  }
};
} // namespace
