//===- LowerRuntimeErrors.cpp - fail_if to runtime calls --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"

#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNLOWERRUNTIMEERRORSPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// The runtime function: void effattn_fail(int32_t, const char *).
static constexpr StringLiteral kFailFunction = "effattn_fail";

namespace {
/// [LowerFailIf] effattn.fail_if -> scf.if { llvm.call @effattn_fail }.
struct LowerFailIf : OpRewritePattern<FailIfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FailIfOp op,
                                PatternRewriter &rewriter) const override {
    Operation *module = LLVM::parentLLVMModule(op);
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    MLIRContext *context = rewriter.getContext();
    auto pointer = LLVM::LLVMPointerType::get(context);
    FailureOr<LLVM::LLVMFuncOp> fail = LLVM::lookupOrCreateFn(
        rewriter, module, kFailFunction, {rewriter.getI32Type(), pointer},
        LLVM::LLVMVoidType::get(context));
    if (failed(fail))
      return rewriter.notifyMatchFailure(op, "effattn_fail has another type");

    Location loc = op.getLoc();
    auto ifOp = scf::IfOp::create(rewriter, loc, op.getCondition(),
                                  /*withElseRegion=*/false);
    rewriter.setInsertionPointToStart(ifOp.thenBlock());
    // One global per distinct message, named by its hash.
    StringRef message = op.getMessage();
    std::string name =
        "effattn_error_" +
        llvm::utohexstr(static_cast<size_t>(llvm::hash_value(message)));
    Value text;
    if (auto global = dyn_cast_if_present<LLVM::GlobalOp>(
            SymbolTable::lookupSymbolIn(module, name)))
      text = LLVM::AddressOfOp::create(rewriter, loc, global);
    else
      text = LLVM::createGlobalString(loc, rewriter, name,
                                      (message + Twine('\0')).str(),
                                      LLVM::Linkage::Internal);
    Value status = LLVM::ConstantOp::create(rewriter, loc, op.getStatusAttr());
    LLVM::CallOp::create(rewriter, loc, *fail, ValueRange{status, text});
    rewriter.eraseOp(op);
    return success();
  }
};

struct EffAttnLowerRuntimeErrorsPass
    : effattn::impl::EffAttnLowerRuntimeErrorsPassBase<
          EffAttnLowerRuntimeErrorsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEffAttnRuntimeErrorLoweringPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void mlir::effattn::populateEffAttnRuntimeErrorLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerFailIf>(patterns.getContext());
}
