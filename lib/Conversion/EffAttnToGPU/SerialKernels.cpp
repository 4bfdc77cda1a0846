//===- SerialKernels.cpp - sequential host code on the GPU ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The decompositions with data-dependent shapes (IM-Unpack's plan) compute
// sizes, offsets and loop bounds with sequential loops over buffers. On a GPU
// these loops run in kernels of one thread next to the data, and host code
// reads back only the scalars it needs to allocate and to launch: each read
// is a synchronous device-to-host copy, made once per buffer and loop nest.
//
//===----------------------------------------------------------------------===//

#include "SerialKernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace mlir::effattn;

bool mlir::effattn::isOnDevice(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

/// Returns the buffer that `value` is a view of (itself if it is none).
static Value getRootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// Returns true if `value` is a buffer in host memory (a memref.alloca of
/// host code, where values read back from the GPU are staged).
static bool isHostBuffer(Value value) {
  auto alloca = getRootBuffer(value).getDefiningOp<memref::AllocaOp>();
  return alloca && !isOnDevice(alloca);
}

/// Returns true if `op` itself reads or writes the contents of a buffer in
/// device memory. Copies are not counted: effattn-gpu-device-buffers makes
/// them gpu.memcpy.
static bool readsOrWritesBuffers(Operation *op) {
  if (isa<memref::CopyOp>(op) ||
      llvm::none_of(op->getOperands(), [](Value operand) {
        return isa<MemRefType>(operand.getType()) && !isHostBuffer(operand);
      }))
    return false;
  return hasEffect<MemoryEffects::Read>(op) ||
         hasEffect<MemoryEffects::Write>(op);
}

gpu::LaunchOp
mlir::effattn::wrapInSingleThreadKernel(RewriterBase &rewriter,
                                        ArrayRef<Operation *> ops) {
  rewriter.setInsertionPoint(ops.front());
  Location loc = ops.front()->getLoc();
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto launch =
      gpu::LaunchOp::create(rewriter, loc, one, one, one, one, one, one);
  rewriter.setInsertionPointToEnd(&launch.getBody().front());
  auto terminator = gpu::TerminatorOp::create(rewriter, loc);
  for (Operation *op : ops)
    rewriter.moveOpBefore(op, terminator);
  return launch;
}

/// The largest buffer (in elements) that stageHostReads copies to the host.
static constexpr int64_t kMaxStagedElements = 4096;

/// Returns true if stageHostReads copies buffers of `type` to the host.
static bool isStageable(MemRefType type) {
  return type.hasStaticShape() && type.getLayout().isIdentity() &&
         type.getNumElements() <= kMaxStagedElements;
}

/// Returns true if `op` or an op nested in it reads or writes a buffer.
static bool touchesBuffers(Operation *op) {
  return op
      ->walk([](Operation *nested) {
        return readsOrWritesBuffers(nested) ? WalkResult::interrupt()
                                            : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Returns true if `op` contains a kernel launch.
static bool launchesKernels(Operation *op) {
  return op->walk([](gpu::LaunchOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// Returns true if all results of `op` are scalars.
static bool hasScalarResults(Operation *op) {
  return llvm::all_of(op->getResultTypes(),
                      [](Type type) { return type.isIntOrIndexOrFloat(); });
}

/// Appends to `groups` the runs of consecutive ops of `block` (host code)
/// that move into one kernel of one thread each, looking into the regions of
/// ops that launch kernels. A run starts and ends with an op that reads or
/// writes buffers; loads and pure scalar ops between such ops join it, so
/// that values stay on the device.
static LogicalResult
collectSerialCode(Block &block,
                  SmallVectorImpl<SmallVector<Operation *>> &groups) {
  SmallVector<Operation *> run;
  size_t end = 0; // The run up to its last op that must move.
  auto closeRun = [&] {
    if (end)
      groups.emplace_back(run.begin(), run.begin() + end);
    run.clear();
    end = 0;
  };
  for (Operation &op : block) {
    if (launchesKernels(&op)) {
      closeRun();
      if (isa<gpu::LaunchOp>(op))
        continue;
      for (Region &region : op.getRegions())
        for (Block &nested : region)
          if (failed(collectSerialCode(nested, groups)))
            return failure();
      continue;
    }
    // Loads from small static buffers need no kernel of their own: host code
    // reads a copy (stageHostReads).
    auto load = dyn_cast<memref::LoadOp>(op);
    bool mustMove =
        touchesBuffers(&op) && !(load && isStageable(load.getMemRefType()));
    if (mustMove && !hasScalarResults(&op))
      return op.emitOpError("reads or writes device memory on the host and "
                            "yields a ")
             << *llvm::find_if(
                    op.getResultTypes(),
                    [](Type type) { return !type.isIntOrIndexOrFloat(); })
             << "; only scalars can come back from a GPU kernel";
    bool joins = mustMove || (end && hasScalarResults(&op) &&
                              (load || isMemoryEffectFree(&op)));
    if (!joins) {
      closeRun();
      continue;
    }
    run.push_back(&op);
    if (mustMove)
      end = run.size();
  }
  closeRun();
  return success();
}

LogicalResult mlir::effattn::moveSerialCodeToKernels(RewriterBase &rewriter,
                                                     ModuleOp module) {
  SmallVector<SmallVector<Operation *>> groups;
  for (auto func : module.getOps<func::FuncOp>())
    for (Block &block : func.getBody())
      if (failed(collectSerialCode(block, groups)))
        return failure();
  for (ArrayRef<Operation *> group : groups) {
    // The results used after the group, each through a 0-d device buffer
    // that the kernel writes.
    llvm::SmallPtrSet<Operation *, 8> members(group.begin(), group.end());
    SmallVector<Value> escaping;
    for (Operation *op : group)
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              return !members.contains(
                  op->getBlock()->findAncestorOpInBlock(*user));
            }))
          escaping.push_back(result);
    Location loc = group.front()->getLoc();
    rewriter.setInsertionPoint(group.front());
    SmallVector<Value> cells =
        llvm::map_to_vector(escaping, [&](Value value) -> Value {
          return memref::AllocOp::create(rewriter, loc,
                                         MemRefType::get({}, value.getType()));
        });
    gpu::LaunchOp launch = wrapInSingleThreadKernel(rewriter, group);
    rewriter.setInsertionPointAfter(group.back());
    for (auto [value, cell] : llvm::zip(escaping, cells))
      memref::StoreOp::create(rewriter, loc, value, cell, ValueRange());
    rewriter.setInsertionPointAfter(launch);
    for (auto [value, cell] : llvm::zip(escaping, cells)) {
      Value copy = memref::LoadOp::create(rewriter, loc, cell);
      rewriter.replaceUsesWithIf(value, copy, [&](OpOperand &use) {
        return !launch->isProperAncestor(use.getOwner());
      });
    }
  }
  return success();
}

/// Returns true if an op nested in `scope` may write `buffer` or a view of
/// it: any use other than a load or a view counts as a write.
static bool mayWriteWithin(Operation *scope, Value buffer) {
  SmallVector<Value> aliases{getRootBuffer(buffer)};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (Operation *user : alias.getUsers()) {
      if (auto view = dyn_cast<ViewLikeOpInterface>(user)) {
        if (view.getViewSource() == alias) {
          llvm::append_range(aliases, user->getResults());
          continue;
        }
      }
      if (!isa<memref::LoadOp>(user) && scope->isAncestor(user))
        return true;
    }
  }
  return false;
}

/// Returns the op before which host code copies `buffer` for `load`: the
/// outermost ancestor of `load` in its function that neither defines nor
/// may write `buffer`, else `load` itself.
static Operation *findStagingPoint(memref::LoadOp load, Value buffer) {
  Operation *definingScope = buffer.getParentBlock()->getParentOp();
  Operation *point = load;
  for (Operation *ancestor = load->getParentOp();
       ancestor && !isa<func::FuncOp>(ancestor);
       ancestor = ancestor->getParentOp()) {
    if (ancestor->isAncestor(definingScope) || mayWriteWithin(ancestor, buffer))
      break;
    point = ancestor;
  }
  return point;
}

void mlir::effattn::stageHostReads(RewriterBase &rewriter, ModuleOp module) {
  SmallVector<memref::LoadOp> loads;
  module.walk([&](memref::LoadOp load) {
    if (!isOnDevice(load) && readsOrWritesBuffers(load))
      loads.push_back(load);
  });
  DenseMap<std::pair<Value, Operation *>, Value> staged;
  for (memref::LoadOp load : loads) {
    Value buffer = load.getMemref();
    Operation *point = findStagingPoint(load, buffer);
    Value &copy = staged[{buffer, point}];
    if (!copy) {
      // On the stack of the function (static and small), not per iteration.
      Block &entry = load->getParentOfType<func::FuncOp>().getBody().front();
      rewriter.setInsertionPointToStart(&entry);
      copy = memref::AllocaOp::create(rewriter, load.getLoc(),
                                      load.getMemRefType());
      rewriter.setInsertionPoint(point);
      memref::CopyOp::create(rewriter, load.getLoc(), buffer, copy);
    }
    rewriter.modifyOpInPlace(load,
                             [&] { load.getMemrefMutable().assign(copy); });
  }
}
