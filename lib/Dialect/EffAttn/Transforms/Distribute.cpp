//===- Distribute.cpp - Split linalg ops over the cores ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNDISTRIBUTEPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns true if `op` is worth splitting: its outermost loop is parallel,
/// it does not already run inside a parallel loop, and it has at least
/// `minIterations` iterations (a dynamic loop counts as large).
static bool shouldDistribute(linalg::LinalgOp op, int64_t minIterations) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      op.getIteratorTypesArray().front() != utils::IteratorType::parallel ||
      op->getParentOfType<scf::ForallOp>() ||
      op->getParentOfType<scf::ParallelOp>())
    return false;
  int64_t iterations = 1;
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size) || iterations >= minIterations)
      return true;
    iterations *= size;
  }
  return iterations >= minIterations;
}

namespace {
struct EffAttnDistributePass
    : effattn::impl::EffAttnDistributePassBase<EffAttnDistributePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t numChunks = chunks;
    if (numChunks < 0) {
      func.emitError("effattn-distribute: 'chunks' must be >= 0");
      return signalPassFailure();
    }
    if (numChunks == 0) {
      CpuTargetAttr target = getCpuTarget(func);
      numChunks = target && target.getCores() > 0 ? target.getCores() : 2;
    }
    if (numChunks == 1)
      return;

    SmallVector<linalg::LinalgOp> targets;
    func.walk([&](linalg::LinalgOp op) {
      if (shouldDistribute(op, minIterations))
        targets.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : targets) {
      SmallVector<OpFoldResult> threads(op.getNumLoops(),
                                        rewriter.getIndexAttr(0));
      threads.front() = rewriter.getIndexAttr(numChunks);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setNumThreads(threads);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      // An op the upstream driver cannot tile stays sequential.
      if (failed(tiled))
        continue;
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};
} // namespace
