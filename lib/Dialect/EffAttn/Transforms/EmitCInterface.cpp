//===- EmitCInterface.cpp - Mark functions for the C interface --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNEMITCINTERFACEPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;

namespace {
struct EffAttnEmitCInterfacePass
    : effattn::impl::EffAttnEmitCInterfacePassBase<EffAttnEmitCInterfacePass> {
  using Base::Base;

  void runOnOperation() override {
    UnitAttr unit = UnitAttr::get(&getContext());
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), unit);
  }
};
} // namespace
