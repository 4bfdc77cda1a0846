//===- DeviceBuffers.cpp - Host buffers in GPU memory -----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNGPUDEVICEBUFFERSPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns the last op of `block` that uses `buffer` or a view of it: a use
/// nested in a region counts as its ancestor's, and the result of an scf.for
/// that carries the buffer in place (yields its iteration argument) is a
/// view of it. Null without uses. Failure where the buffer escapes `block`:
/// used outside it, by a terminator (returned, yielded) or as the initial
/// value of a loop that yields other buffers in its place, unless that loop
/// is `owner` (then an ordinary use).
static FailureOr<Operation *> findLastUse(Value buffer, Block *block,
                                          Operation *owner = nullptr) {
  Operation *last = nullptr;
  SmallVector<Value> values{buffer};
  while (!values.empty()) {
    Value value = values.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user->hasTrait<OpTrait::IsTerminator>() &&
          !user->getParentOfType<gpu::LaunchOp>())
        return failure();
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == value)
          llvm::append_range(values, user->getResults());
      auto loop = dyn_cast<scf::ForOp>(user);
      if (loop && loop != owner) {
        if (OpResult result = loop.getTiedLoopResult(&use)) {
          BlockArgument iterArg = loop.getTiedLoopRegionIterArg(&use);
          if (loop.getTiedLoopYieldedValue(iterArg)->get() != iterArg)
            return failure();
          values.push_back(result);
        }
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor)
        return failure();
      if (!last || last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
  }
  return last;
}

/// Frees `buffer` after its last use in `block`, or after `start` where
/// nothing uses it (at the block's start when `start` is null).
static void freeAfterLastUse(RewriterBase &rewriter, Value buffer, Block *block,
                             Operation *start, Location loc) {
  FailureOr<Operation *> last = findLastUse(buffer, block);
  if (failed(last))
    return;
  if (Operation *after = *last ? *last : start)
    rewriter.setInsertionPointAfter(after);
  else
    rewriter.setInsertionPointToStart(block);
  memref::DeallocOp::create(rewriter, loc, buffer);
}

/// Returns true if the iteration argument `iterArg` of `loop` carries a new
/// buffer on each iteration: its initial value is a buffer allocated in the
/// loop's block and not used after the loop, each iteration yields a buffer
/// it allocates in its place, and the iteration argument does not escape
/// the body. Then each iteration frees the buffer it received after its last
/// use, and the loop's result is the last iteration's buffer (the initial
/// one when the loop runs no iteration).
static bool carriesNewBuffers(scf::ForOp loop, BlockArgument iterArg) {
  if (!isa<MemRefType>(iterArg.getType()))
    return false;
  // The loop takes over the initial buffer: nothing uses it afterwards.
  OpOperand *init = loop.getTiedLoopInit(iterArg);
  auto initAlloc = init->get().getDefiningOp<memref::AllocOp>();
  if (!initAlloc || initAlloc->getBlock() != loop->getBlock() ||
      llvm::count(loop.getInitArgs(), init->get()) != 1)
    return false;
  FailureOr<Operation *> lastUse =
      findLastUse(init->get(), loop->getBlock(), loop);
  if (failed(lastUse) || *lastUse != loop)
    return false;
  Value yielded = loop.getTiedLoopYieldedValue(iterArg)->get();
  auto yieldedAlloc = yielded.getDefiningOp<memref::AllocOp>();
  if (!yieldedAlloc || yieldedAlloc->getBlock() != loop.getBody() ||
      llvm::count(loop.getYieldedValues(), yielded) != 1)
    return false;
  return succeeded(findLastUse(iterArg, loop.getBody()));
}

namespace {
struct EffAttnGPUDeviceBuffersPass
    : effattn::impl::EffAttnGPUDeviceBuffersPassBase<
          EffAttnGPUDeviceBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Free each buffer that does not escape after its last use (upstream's
    // deallocation pipeline rejects the kernels' barriers and shuffles).
    getOperation().walk([&](memref::AllocOp alloc) {
      if (!alloc->getParentOfType<gpu::LaunchOp>())
        freeAfterLastUse(rewriter, alloc.getMemref(), alloc->getBlock(), alloc,
                         alloc.getLoc());
    });
    // Loops that allocate a new buffer per iteration in place of the one
    // they received (MRA's bisection, Nystrom's pseudo-inverse iterations).
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->getParentOfType<gpu::LaunchOp>())
        return;
      for (auto [iterArg, result] :
           llvm::zip(loop.getRegionIterArgs(), loop.getResults())) {
        if (!carriesNewBuffers(loop, iterArg))
          continue;
        freeAfterLastUse(rewriter, iterArg, loop.getBody(), nullptr,
                         loop.getLoc());
        freeAfterLastUse(rewriter, result, loop->getBlock(), loop,
                         loop.getLoc());
      }
    });

    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp>(op) &&
          !op->getParentOfType<gpu::LaunchOp>() &&
          !op->getParentOfType<gpu::GPUModuleOp>())
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        auto deviceAlloc = gpu::AllocOp::create(
            rewriter, loc, alloc.getType(), /*asyncToken=*/Type(),
            /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), /*hostShared=*/false);
        rewriter.replaceOp(alloc, deviceAlloc.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        gpu::DeallocOp::create(rewriter, loc, /*asyncToken=*/Type(),
                               ValueRange(), dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else {
        auto copy = cast<memref::CopyOp>(op);
        gpu::MemcpyOp::create(rewriter, loc, /*asyncToken=*/Type(),
                              ValueRange(), copy.getTarget(), copy.getSource());
        rewriter.eraseOp(copy);
      }
    }
  }
};
} // namespace
