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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNTILEPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns the row tile size to use for `op`: the query tile of its
/// lowering config, else `requested`. YOSO's LSH mode builds its bucket
/// tables from every key, so tiling its rows would rebuild them per tile:
/// only its batch dimensions are tiled.
static int64_t getRowTileSize(Operation *op, int64_t requested) {
  if (auto attention = dyn_cast<AttentionOp>(op))
    if (FlashConfigAttr config = attention.getLoweringConfigAttr())
      return config.getQueryTile();
  if (auto yoso = dyn_cast<YosoAttentionOp>(op);
      yoso && yoso.getMode() == "lsh")
    return 0;
  return requested;
}

/// Makes the row loop of `forall` (its last induction variable, steps of
/// `tileSize` from 0) visit the row tiles in the order 0, T-1, 1, T-2, ...:
/// under a causal window tile t's queries see about t key blocks, so pairs
/// of light and heavy tiles give the contiguous chunks of OpenMP's static
/// schedule about the same work (in row order, the second of two cores got
/// three quarters of it).
static void interleaveCausalRowTiles(RewriterBase &rewriter,
                                     scf::ForallOp forall, int64_t tileSize) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(forall.getBody());
  Location loc = forall.getLoc();
  Value offset = forall.getInductionVars().back();
  Value rows = getValueOrCreateConstantIndexOp(
      rewriter, loc, forall.getMixedUpperBound().back());
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  auto tile = arith::DivUIOp::create(rewriter, loc, offset, index(tileSize));
  Value lastTile = arith::SubIOp::create(
      rewriter, loc,
      arith::CeilDivUIOp::create(rewriter, loc, rows, index(tileSize)),
      index(1));
  Value pair = arith::DivUIOp::create(rewriter, loc, tile, index(2));
  Value odd = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::ne,
      arith::RemUIOp::create(rewriter, loc, tile, index(2)), index(0));
  Value visited = arith::SelectOp::create(
      rewriter, loc, odd, arith::SubIOp::create(rewriter, loc, lastTile, pair),
      pair);
  Value visitedOffset =
      arith::MulIOp::create(rewriter, loc, visited, index(tileSize));
  rewriter.replaceAllUsesExcept(offset, visitedOffset, tile);
}

LogicalResult mlir::effattn::tileEffAttnOps(RewriterBase &rewriter,
                                            FunctionOpInterface funcOp,
                                            int64_t rowTileSize) {
  SmallVector<TilingInterface> targets;
  funcOp.walk([&](TilingInterface op) {
    if (isa<EffAttnDialect>(op->getDialect()))
      targets.push_back(op);
  });
  for (TilingInterface op : targets) {
    // Parallel loops: batch loops by 1, the row loop (second to last) by
    // rowTileSize, the last loop untiled. Reduction loops stay whole.
    SmallVector<utils::IteratorType> iterators = op.getLoopIteratorTypes();
    int64_t numLoops = iterators.size();
    SmallVector<OpFoldResult> tileSizes;
    int64_t rowTile = 0;
    for (int64_t i = 0; i < numLoops; ++i) {
      int64_t size = 0; // Untiled.
      if (iterators[i] == utils::IteratorType::parallel && i < numLoops - 2)
        size = 1;
      else if (iterators[i] == utils::IteratorType::parallel &&
               i == numLoops - 2)
        size = rowTile = getRowTileSize(op, rowTileSize);
      tileSizes.push_back(rewriter.getIndexAttr(size));
    }

    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTileSizes(tileSizes);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, op, options);
    if (failed(tiled))
      return op->emitOpError("failed to tile");
    auto attention = dyn_cast<AttentionOp>(op.getOperation());
    if (attention && attention.getCausal() && rowTile > 0)
      interleaveCausalRowTiles(
          rewriter, cast<scf::ForallOp>(tiled->loops.front()), rowTile);
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
