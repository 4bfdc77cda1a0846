//===- OneStream.cpp - a host function's GPU work on one stream -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Threads one !gpu.async.token through the GPU ops of each block, as
// upstream's gpu-async-region does, but lets it into the regions of loops
// and branches that need no host synchronization instead of waiting before
// them. A nested op depends on the enclosing token, which gpu-to-llvm lowers
// to the same stream, so the GPU runs the loop's iterations in order without
// the host waiting after each one.
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNGPUONESTREAMPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns the buffer that `value` views (through view-like ops).
static Value getViewedBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

namespace {
/// When the host waits for the GPU around an op with regions.
enum class RegionWaits {
  /// Never: its regions hold only GPU ops and host code without side
  /// effects; they run on the enclosing stream.
  None,
  /// Once before it: its regions also read host buffers (host copies of
  /// device values) that none of their GPU ops writes; they run on one
  /// stream after the wait.
  Before,
  /// Before it and in its regions wherever the host may use what the GPU
  /// computed, each region on streams of its own (gpu-async-region's rule).
  Inside,
};
} // namespace

/// Classifies the host waits that `op`'s regions need.
static RegionWaits classifyRegionWaits(Operation *op) {
  SmallVector<Value> hostReads, copyTargets;
  bool needsWaitsInside =
      op->walk([&](Operation *nested) {
          if (auto copy = dyn_cast<gpu::MemcpyOp>(nested))
            copyTargets.push_back(getViewedBuffer(copy.getDst()));
          if (auto load = dyn_cast<memref::LoadOp>(nested)) {
            hostReads.push_back(getViewedBuffer(load.getMemref()));
            return WalkResult::advance();
          }
          if (nested == op || isa<gpu::AsyncOpInterface>(nested) ||
              nested->hasTrait<OpTrait::IsTerminator>() ||
              isMemoryEffectFree(nested) ||
              (nested->getNumRegions() > 0 &&
               nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()))
            return WalkResult::advance();
          return WalkResult::interrupt();
        }).wasInterrupted();
  if (needsWaitsInside || llvm::any_of(hostReads, [&](Value buffer) {
        return llvm::is_contained(copyTargets, buffer);
      }))
    return RegionWaits::Inside;
  return hostReads.empty() ? RegionWaits::None : RegionWaits::Before;
}

namespace {
/// Threads the tokens of one function.
class StreamThreader {
public:
  explicit StreamThreader(MLIRContext *context) : builder(context) {}

  /// Threads `block`'s GPU ops, starting from `token`: null where the block
  /// starts without a stream, the enclosing stream's token where the block
  /// runs on it (then nothing in the block waits, and the stream goes on
  /// after the block's op). Fails on GPU ops that are asynchronous already.
  LogicalResult thread(Block &block, Value token) {
    bool onEnclosingStream = token != nullptr;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      builder.setInsertionPoint(&op);
      if (isa<gpu::WaitOp>(op))
        return op.emitOpError("in the input: effattn-gpu-one-stream places "
                              "the waits of synchronous host code");
      if (auto asyncOp = dyn_cast<gpu::AsyncOpInterface>(op)) {
        if (asyncOp.getAsyncToken() || !asyncOp.getAsyncDependencies().empty())
          return op.emitOpError("is asynchronous already: "
                                "effattn-gpu-one-stream takes synchronous "
                                "host code");
        if (!token)
          token = createWait(op.getLoc(), /*async=*/true, {});
        token = makeAsync(asyncOp, token);
        continue;
      }
      RegionWaits waits = op.getNumRegions() > 0 ? classifyRegionWaits(&op)
                                                 : RegionWaits::Inside;
      // On an enclosing stream, the enclosing op waited already (its regions
      // hold these reads, and no copy into their buffers).
      if (waits == RegionWaits::Before && token && !onEnclosingStream) {
        createWait(op.getLoc(), /*async=*/false, token);
        token = nullptr;
      }
      if (waits != RegionWaits::Inside) {
        // The regions run on the enclosing stream: their GPU ops depend on
        // `token`, their tokens stay inside them.
        bool hasGpuOps = op.walk([](gpu::AsyncOpInterface) {
                             return WalkResult::interrupt();
                           }).wasInterrupted();
        if (hasGpuOps && !token)
          token = createWait(op.getLoc(), /*async=*/true, {});
        for (Region &region : op.getRegions())
          for (Block &nested : region)
            if (failed(thread(nested, token)))
              return failure();
        continue;
      }
      if (onEnclosingStream)
        continue;
      if (!isMemoryEffectFree(&op) || op.hasTrait<OpTrait::IsTerminator>()) {
        // The host may use what the GPU computed: wait for the stream.
        if (token) {
          createWait(op.getLoc(), /*async=*/false, token);
          token = nullptr;
        }
        for (Region &region : op.getRegions())
          for (Block &nested : region)
            if (failed(thread(nested, nullptr)))
              return failure();
      }
    }
    return success();
  }

private:
  Value createWait(Location loc, bool async, ValueRange dependencies) {
    Type tokenType = async ? builder.getType<gpu::AsyncTokenType>() : Type();
    return gpu::WaitOp::create(builder, loc, tokenType, dependencies)
        .getAsyncToken();
  }

  /// Replaces `asyncOp` by a clone that depends on `token` and returns the
  /// next token.
  Value makeAsync(gpu::AsyncOpInterface asyncOp, Value token) {
    Operation *op = asyncOp.getOperation();
    asyncOp.addAsyncDependency(token);
    SmallVector<Type> resultTypes(op->getResultTypes());
    resultTypes.push_back(builder.getType<gpu::AsyncTokenType>());
    Operation *clone = Operation::create(
        op->getLoc(), op->getName(), resultTypes, op->getOperands(),
        op->getAttrDictionary(), op->getPropertiesStorage(),
        op->getSuccessors(), op->getNumRegions());
    IRMapping mapping;
    for (auto [from, to] : llvm::zip(op->getRegions(), clone->getRegions()))
      from.cloneInto(&to, mapping);
    builder.insert(clone);
    op->replaceAllUsesWith(clone->getResults().drop_back());
    op->erase();
    return clone->getResults().back();
  }

  OpBuilder builder;
};

struct EffAttnGPUOneStreamPass
    : effattn::impl::EffAttnGPUOneStreamPassBase<EffAttnGPUOneStreamPass> {
  using Base::Base;

  void runOnOperation() override {
    StreamThreader threader(&getContext());
    for (Block &block : getOperation().getBody())
      if (failed(threader.thread(block, nullptr)))
        return signalPassFailure();
  }
};
} // namespace
