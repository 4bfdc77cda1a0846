//===- ConfigureLowering.cpp - Lowering configs from the target -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"
#include "effattn/Target/AttentionTiles.h"
#include "effattn/Target/GemmTiles.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNCONFIGURELOWERINGPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
struct EffAttnConfigureLoweringPass
    : effattn::impl::EffAttnConfigureLoweringPassBase<
          EffAttnConfigureLoweringPass> {
  using Base::Base;

  void runOnOperation() override {
    Attribute target = getTargetAttr(getOperation());
    if (isa_and_present<GpuTargetAttr>(target))
      return;
    auto cpu = dyn_cast_if_present<CpuTargetAttr>(target);
    getOperation().walk([&](AttentionOp op) {
      if (op.getLoweringConfigAttr())
        return;
      int64_t valueDim = op.getValueType().getShape().back();
      op.setLoweringConfigAttr(chooseFlashConfig(&getContext(), cpu, valueDim));
    });
    getOperation().walk([&](UnpackedMatmulOp op) {
      if (!op.getLoweringConfigAttr())
        op.setLoweringConfigAttr(choosePairGemmConfig(&getContext(), cpu));
    });
    getOperation().walk([&](linalg::MatmulOp op) {
      std::optional<std::array<int64_t, 3>> shape =
          getSchedulableMatmulShape(op);
      if (!shape || op->hasAttr(kLoweringConfigAttrName))
        return;
      auto [m, n, k] = *shape;
      if (std::optional<GemmTiles> tiles = chooseGemmTiles(cpu, m, n, k))
        op->setAttr(kLoweringConfigAttrName,
                    getGemmConfig(&getContext(), *tiles));
    });
  }
};
} // namespace
