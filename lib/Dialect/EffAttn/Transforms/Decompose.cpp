//===- Decompose.cpp - Decompose effattn ops into linalg --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNDECOMPOSEPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
//===----------------------------------------------------------------------===//
// DecomposeEffAttnOp
//===----------------------------------------------------------------------===//

/// Replaces an effattn op by its `AggregatedOpInterface` decomposition.
struct DecomposeEffAttnOp
    : OpInterfaceRewritePattern<linalg::AggregatedOpInterface> {
  DecomposeEffAttnOp(MLIRContext *context)
      : OpInterfaceRewritePattern(context) {
    // A decomposition may emit other effattn ops (Nyström with N landmarks
    // emits effattn.attention); they are decomposed in turn.
    setHasBoundedRewriteRecursion();
  }

  LogicalResult matchAndRewrite(linalg::AggregatedOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!isa<EffAttnDialect>(op->getDialect()))
      return rewriter.notifyMatchFailure(op, "not an effattn op");
    FailureOr<SmallVector<Value>> replacements =
        op.decomposeOperation(rewriter);
    if (failed(replacements))
      return rewriter.notifyMatchFailure(op, "decomposition failed");
    rewriter.replaceOp(op, *replacements);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// EffAttnDecomposePass
//===----------------------------------------------------------------------===//

struct EffAttnDecomposePass
    : effattn::impl::EffAttnDecomposePassBase<EffAttnDecomposePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEffAttnDecompositionPatterns(patterns);
    // Every effattn op but those to keep must go; what cannot be decomposed
    // is reported by the conversion driver ("failed to legalize operation").
    ConversionTarget target(getContext());
    target.addIllegalDialect<EffAttnDialect>();
    target.addLegalOp<FailIfOp, TableLookupOp, MultiplyAddPairsOp>();
    for (const std::string &name : keep) {
      if (!RegisteredOperationName::lookup(name, &getContext())) {
        getOperation().emitError("effattn-decompose: unknown op '")
            << name << "' to keep";
        return signalPassFailure();
      }
      target.addLegalOp(OperationName(name, &getContext()));
    }
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::effattn::populateEffAttnDecompositionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DecomposeEffAttnOp>(patterns.getContext());
}
