//===- EmulateLaunches.cpp - GPU kernels as host loops ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs the kernels of the GPU lowering on the host, so that machines without
// a GPU can check what the GPU pipeline computes: each gpu.launch becomes
// two nested scf.parallel loops, over its blocks and over its threads.
// Exact for kernels whose threads do not communicate (no barrier, shuffle or
// shared memory): the kernels of effattn-gpu-map-linalg.
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
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

/// Returns the op of `launch` through which its threads would communicate
/// (or leave the kernel's own semantics), or null.
static Operation *findThreadCommunication(gpu::LaunchOp launch) {
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return launch;
  Operation *found = nullptr;
  launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::BarrierOp, gpu::ShuffleOp, gpu::SubgroupReduceOp,
            gpu::AllReduceOp>(op) ||
        isa<NVVM::NVVMDialect, nvgpu::NVGPUDialect>(op->getDialect())) {
      found = op;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

/// Replaces `launch` by scf.parallel loops over its blocks and threads.
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
  auto threads = scf::ParallelOp::create(rewriter, loc, zeros, block, ones);
  rewriter.setInsertionPointToStart(threads.getBody());

  IRMapping mapping;
  auto map = [&](gpu::KernelDim3 from, ValueRange to) {
    mapping.map(from.x, to[0]);
    mapping.map(from.y, to[1]);
    mapping.map(from.z, to[2]);
  };
  map(launch.getBlockIds(), blocks.getInductionVars());
  map(launch.getThreadIds(), threads.getInductionVars());
  map(launch.getGridSize(), grid);
  map(launch.getBlockSize(), block);
  Block &body = launch.getBody().front();
  for (Operation &op : body.without_terminator())
    rewriter.clone(op, mapping);
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
      if (Operation *op = findThreadCommunication(launch)) {
        op->emitOpError("makes threads communicate; only kernels of "
                        "independent threads run on the host");
        return signalPassFailure();
      }
      emulate(rewriter, launch);
    }
  }
};
} // namespace
