//===- EmulateLaunches.cpp - GPU kernels as host loops ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs the kernels of the GPU lowering on the host, so that machines without
// a GPU can check what the GPU pipeline computes: a gpu.launch whose threads
// do not communicate (the kernels of effattn-gpu-map-linalg) becomes an
// scf.parallel loop over its blocks around loops over its threads; one whose
// threads synchronize (the SIMT attention kernel) runs each block in
// lockstep (LockstepEmulation.h).
//
//===----------------------------------------------------------------------===//

#include "LockstepEmulation.h"

#include "effattn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNGPUEMULATELAUNCHESPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns the op of `launch` that neither emulation covers (attributions,
/// collective reductions), or null.
static Operation *findUnsupportedOp(gpu::LaunchOp launch) {
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return launch;
  Operation *found = nullptr;
  launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::SubgroupReduceOp, gpu::AllReduceOp>(op)) {
      found = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Returns true if the threads of `launch` may communicate: through
/// synchronization, shared memory or warp-level (NVVM, nvgpu) ops.
static bool threadsCommunicate(gpu::LaunchOp launch) {
  return launch.getBody()
      .walk([](Operation *op) {
        bool shared = llvm::any_of(op->getResultTypes(), [](Type type) {
          auto memref = dyn_cast<MemRefType>(type);
          return memref && memref.getMemorySpace();
        });
        return shared || isa<gpu::BarrierOp, gpu::ShuffleOp>(op) ||
                       isa<NVVM::NVVMDialect, nvgpu::NVGPUDialect>(
                           op->getDialect())
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Replaces `launch` by an scf.parallel loop over its blocks around loops
/// over its threads.
static void emulate(RewriterBase &rewriter, gpu::LaunchOp launch) {
  Location loc = launch.getLoc();
  rewriter.setInsertionPoint(launch);
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> zeros(3, zero), ones(3, one);
  gpu::KernelDim3 gridSize = launch.getGridSizeOperandValues();
  gpu::KernelDim3 blockSize = launch.getBlockSizeOperandValues();
  SmallVector<Value> grid{gridSize.x, gridSize.y, gridSize.z};
  SmallVector<Value> block{blockSize.x, blockSize.y, blockSize.z};
  auto blocks = scf::ParallelOp::create(rewriter, loc, zeros, grid, ones);
  rewriter.setInsertionPointToStart(blocks.getBody());
  SmallVector<Value> threads = buildLoopNest(rewriter, loc, block);

  IRMapping mapping;
  auto map = [&](gpu::KernelDim3 from, ValueRange to) {
    mapping.map(from.x, to[0]);
    mapping.map(from.y, to[1]);
    mapping.map(from.z, to[2]);
  };
  map(launch.getBlockIds(), blocks.getInductionVars());
  map(launch.getThreadIds(), threads);
  map(launch.getGridSize(), grid);
  map(launch.getBlockSize(), block);
  Block &body = launch.getBody().front();
  for (Operation &op : body.without_terminator())
    rewriter.clone(op, mapping);
  // A thread's private memory as a heap buffer, freed after the thread by
  // the deallocation pipeline: a stack buffer in a loop body would not be
  // freed before the function returns once the loops are lowered.
  SmallVector<memref::AllocaOp> allocas;
  threads.front().getParentBlock()->getParentOp()->walk(
      [&](memref::AllocaOp alloca) { allocas.push_back(alloca); });
  for (memref::AllocaOp alloca : allocas) {
    rewriter.setInsertionPoint(alloca);
    rewriter.replaceOpWithNewOp<memref::AllocOp>(
        alloca, alloca.getType(), alloca.getDynamicSizes(),
        alloca.getSymbolOperands(), alloca.getAlignmentAttr());
  }
  rewriter.eraseOp(launch);
}

namespace {
struct EffAttnGPUEmulateLaunchesPass
    : effattn::impl::EffAttnGPUEmulateLaunchesPassBase<
          EffAttnGPUEmulateLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk(
        [&](gpu::LaunchOp launch) { launches.push_back(launch); });
    IRRewriter rewriter(&getContext());
    for (gpu::LaunchOp launch : launches) {
      if (!launch.getBody().hasOneBlock()) {
        launch.emitOpError("has a body of several blocks; only structured "
                           "kernels run on the host");
        return signalPassFailure();
      }
      if (Operation *op = findUnsupportedOp(launch)) {
        op->emitOpError("has no host emulation (attributions and collective "
                        "reductions are not emulated)");
        return signalPassFailure();
      }
      if (!threadsCommunicate(launch)) {
        emulate(rewriter, launch);
        continue;
      }
      if (failed(emulateInLockstep(rewriter, launch)))
        return signalPassFailure();
    }
    // The kernels' shared memory is now a buffer per block.
    ModuleOp module = getOperation();
    for (auto global :
         llvm::make_early_inc_range(module.getOps<memref::GlobalOp>()))
      if (global.getType().getMemorySpace() &&
          SymbolTable::symbolKnownUseEmpty(global, module))
        rewriter.eraseOp(global);
  }
};
} // namespace
