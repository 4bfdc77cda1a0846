//===- OrderLoops.cpp - Contiguous innermost loops --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNORDERLOOPSPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
//===----------------------------------------------------------------------===//
// ContiguousInnerLoop
//===----------------------------------------------------------------------===//

/// Moves the loop that indexes the output's last dimension innermost when
/// the innermost loop is a reduction and every input either ignores that
/// loop or indexes its own last dimension with it.
struct ContiguousInnerLoop : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    unsigned numLoops = op.getNumLoops();
    if (op.getNumDpsInits() != 1 || numLoops < 2)
      return rewriter.notifyMatchFailure(op, "expects one output, >= 2 loops");
    if (!linalg::isReductionIterator(op.getIteratorTypesArray().back()))
      return rewriter.notifyMatchFailure(op, "innermost loop is parallel");
    AffineMap outputMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (outputMap.getNumResults() == 0 || !outputMap.isProjectedPermutation())
      return rewriter.notifyMatchFailure(op, "output map is not a projection");
    unsigned inner =
        cast<AffineDimExpr>(outputMap.getResults().back()).getPosition();
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      if (!map.isFunctionOfDim(inner))
        continue;
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      if (!last || last.getPosition() != inner)
        return rewriter.notifyMatchFailure(
            op, "an input walks the loop along a strided dimension");
    }
    SmallVector<unsigned> interchange;
    for (unsigned loop = 0; loop < numLoops; ++loop)
      if (loop != inner)
        interchange.push_back(loop);
    interchange.push_back(inner);
    rewriter.startOpModification(op);
    if (failed(linalg::interchangeGenericOp(rewriter, op, interchange))) {
      rewriter.cancelOpModification(op);
      return rewriter.notifyMatchFailure(op, "interchange failed");
    }
    rewriter.finalizeOpModification(op);
    return success();
  }
};

struct EffAttnOrderLoopsPass
    : effattn::impl::EffAttnOrderLoopsPassBase<EffAttnOrderLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateEffAttnLoopOrderPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::effattn::populateEffAttnLoopOrderPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ContiguousInnerLoop>(patterns.getContext());
}
