//===- Tile.cpp - Tile effattn ops along parallel dimensions ----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNTILEPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

LogicalResult mlir::effattn::tileEffAttnOps(RewriterBase &rewriter,
                                            FunctionOpInterface funcOp,
                                            int64_t rowTileSize) {
  SmallVector<TilingInterface> targets;
  funcOp.walk([&](TilingInterface op) {
    if (isa<EffAttnDialect>(op->getDialect()))
      targets.push_back(op);
  });
  for (TilingInterface op : targets) {
    size_t numLoops = op.getLoopIteratorTypes().size();
    if (numLoops < 2)
      return op->emitOpError("expects at least two loops to tile");
    // Batch loops by 1, the row loop by rowTileSize, the last loop untiled.
    SmallVector<OpFoldResult> tileSizes(numLoops - 2, rewriter.getIndexAttr(1));
    tileSizes.push_back(rewriter.getIndexAttr(rowTileSize));
    tileSizes.push_back(rewriter.getIndexAttr(0));

    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTileSizes(tileSizes);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, op, options);
    if (failed(tiled))
      return op->emitOpError("failed to tile");
    rewriter.replaceOp(op, tiled->replacements);
  }
  return success();
}

namespace {
struct EffAttnTilePass : effattn::impl::EffAttnTilePassBase<EffAttnTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (rowTileSize < 0) {
      getOperation().emitError("effattn-tile: 'row-tile-size' must be >= 0");
      return signalPassFailure();
    }
    IRRewriter rewriter(&getContext());
    if (failed(tileEffAttnOps(rewriter, getOperation(), rowTileSize)))
      signalPassFailure();
  }
};
} // namespace
