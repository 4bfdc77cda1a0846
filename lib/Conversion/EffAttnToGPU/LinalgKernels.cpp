//===- LinalgKernels.cpp - linalg ops on buffers as GPU kernels -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The generic GPU lowering of decomposed effattn ops: every linalg op on
// buffers becomes a kernel with one thread per element of its parallel
// iteration space (linearized, so that neighbouring threads write
// neighbouring elements) and its reductions as sequential loops in each
// thread, in registers. Built on upstream's loop interchange, parallel loop
// collapsing and tiling, and the parallel-loops-to-gpu conversion.
//
//===----------------------------------------------------------------------===//

#include "LinalgKernels.h"
#include "ContractionKernel.h"
#include "SerialKernels.h"

#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"
#include "effattn/Conversion/Passes.h"
#include "effattn/Target/GpuTarget.h"

#include "mlir/Conversion/SCFToGPU/SCFToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/DialectConversion.h"

#include <numeric>

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNGPUMAPLINALGPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Returns true if `type` is laid out row-major without gaps, so that a
/// copy of it is one gpu.memcpy.
static bool isContiguous(Type type) {
  return cast<MemRefType>(type).getLayout().isIdentity();
}

/// Rewrites `op` as a generic whose parallel loops come first (in their
/// order), then its reductions.
static FailureOr<linalg::GenericOp> hoistParallelLoops(RewriterBase &rewriter,
                                                       linalg::LinalgOp op) {
  FailureOr<linalg::GenericOp> generic =
      isa<linalg::GenericOp>(op)
          ? FailureOr<linalg::GenericOp>(cast<linalg::GenericOp>(op))
          : linalg::generalizeNamedOp(rewriter, op);
  if (failed(generic))
    return failure();
  SmallVector<unsigned> order;
  SmallVector<utils::IteratorType> iterators = generic->getIteratorTypesArray();
  for (auto [dim, iterator] : llvm::enumerate(iterators))
    if (linalg::isParallelIterator(iterator))
      order.push_back(dim);
  for (auto [dim, iterator] : llvm::enumerate(iterators))
    if (!linalg::isParallelIterator(iterator))
      order.push_back(dim);
  if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
    return generic;
  return linalg::interchangeGenericOp(rewriter, *generic, order);
}

SmallVector<Value> mlir::effattn::applyIndexingMap(OpBuilder &b, Location loc,
                                                   AffineMap map,
                                                   ValueRange ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

SmallVector<Value>
mlir::effattn::emitGenericBody(OpBuilder &b, Location loc, linalg::GenericOp op,
                               ValueRange ivs, ValueRange accumulators,
                               Value knownBuffer, Value knownValue) {
  IRMapping mapping;
  Block &body = op.getRegion().front();
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value arg = body.getArgument(input->getOperandNumber());
    if (!isa<MemRefType>(input->get().getType())) {
      mapping.map(arg, input->get()); // A scalar operand.
      continue;
    }
    if (knownBuffer && input->get() == knownBuffer) {
      mapping.map(arg, knownValue);
      continue;
    }
    mapping.map(arg, memref::LoadOp::create(
                         b, loc, input->get(),
                         applyIndexingMap(
                             b, loc, op.getMatchingIndexingMap(input), ivs)));
  }
  for (auto [arg, value] : llvm::zip(
           body.getArguments().take_back(accumulators.size()), accumulators))
    mapping.map(arg, value);
  for (Operation &bodyOp : body.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    // linalg.index in nested regions (an scf.if of the body).
    b.clone(bodyOp, mapping)->walk([&](linalg::IndexOp index) {
      index.replaceAllUsesWith(ivs[index.getDim()]);
      index.erase();
    });
  }
  return llvm::map_to_vector(
      body.getTerminator()->getOperands(),
      [&](Value value) { return mapping.lookupOrDefault(value); });
}

/// Returns true if the outputs of `op` are indexed by its parallel loops
/// only, so that a thread per parallel iteration owns its output elements.
static bool outputsFollowParallelLoops(linalg::GenericOp op) {
  unsigned numParallel = op.getNumParallelLoops();
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned dim = numParallel; dim < map.getNumDims(); ++dim)
      if (map.isFunctionOfDim(dim))
        return false;
    return true;
  });
}

/// Replaces `op` (parallel loops first, outputs indexed by them) by an
/// scf.parallel over its parallel loops whose body reads each output
/// element once, reduces into it in registers (scf.for iter_args over the
/// reduction loops) and writes it once. (Upstream's linalg-to-loops reads
/// and writes the output on every reduction step; on a GPU those are
/// global-memory stores.) With `init`, the only output starts from
/// init->value instead; with `epilogue`, it is stored through it.
static scf::ParallelOp buildThreadLoops(RewriterBase &rewriter,
                                        linalg::GenericOp op,
                                        ConstantInit *init,
                                        Epilogue *epilogue) {
  Location loc = op.getLoc();
  unsigned numParallel = op.getNumParallelLoops();
  SmallVector<Value> lbs, ubs, steps;
  for (Range range : cast<linalg::LinalgOp>(op.getOperation())
                         .createLoopRanges(rewriter, loc)) {
    lbs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.offset));
    ubs.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
    steps.push_back(
        getValueOrCreateConstantIndexOp(rewriter, loc, range.stride));
  }
  auto parallel = scf::ParallelOp::create(
      rewriter, loc, ArrayRef(lbs).take_front(numParallel),
      ArrayRef(ubs).take_front(numParallel),
      ArrayRef(steps).take_front(numParallel));
  rewriter.setInsertionPointToStart(parallel.getBody());
  SmallVector<Value> ivs(parallel.getInductionVars());

  // Output elements, read once.
  SmallVector<Value> outputs;
  if (init) {
    outputs.push_back(init->value);
    init->used = true;
  } else {
    for (OpOperand &output : op.getDpsInitsMutable())
      outputs.push_back(memref::LoadOp::create(
          rewriter, loc, output.get(),
          applyIndexingMap(rewriter, loc, op.getMatchingIndexingMap(&output),
                           ivs)));
  }

  // The reductions, innermost last.
  std::function<SmallVector<Value>(OpBuilder &, unsigned, SmallVector<Value>,
                                   ValueRange)>
      reduce = [&](OpBuilder &b, unsigned dim, SmallVector<Value> all,
                   ValueRange accumulators) -> SmallVector<Value> {
    if (dim == lbs.size())
      return emitGenericBody(b, loc, op, all, accumulators);
    auto loop = scf::ForOp::create(
        b, loc, lbs[dim], ubs[dim], steps[dim], accumulators,
        [&](OpBuilder &nb, Location, Value iv, ValueRange iterArgs) {
          SmallVector<Value> inner(all);
          inner.push_back(iv);
          scf::YieldOp::create(nb, loc, reduce(nb, dim + 1, inner, iterArgs));
        });
    return SmallVector<Value>(loop.getResults());
  };
  SmallVector<Value> results = reduce(rewriter, numParallel, ivs, outputs);

  // Written once.
  for (auto [output, result] : llvm::zip(op.getDpsInitsMutable(), results))
    emitEpilogueStore(rewriter, loc, epilogue, result, output.get(),
                      applyIndexingMap(rewriter, loc,
                                       op.getMatchingIndexingMap(&output),
                                       ivs));
  return parallel;
}

/// Collapses the parallel loop `loop` to one dimension, splits that into
/// blocks of `blockSize` threads and marks the two loops for the
/// parallel-loops-to-gpu conversion.
static void mapToThreads(RewriterBase &rewriter, scf::ParallelOp loop,
                         int64_t blockSize) {
  MLIRContext *context = loop.getContext();
  if (loop.getNumLoops() > 1) {
    Block *block = loop->getBlock();
    Operation *next = loop->getNextNode();
    std::vector<unsigned> all(loop.getNumLoops());
    std::iota(all.begin(), all.end(), 0);
    rewriter.setInsertionPoint(loop);
    collapseParallelLoops(rewriter, loop, {all});
    // The collapsed loop is the last loop before the old one's successor.
    auto reversed = llvm::reverse(llvm::make_range(
        block->begin(), next ? next->getIterator() : block->end()));
    loop = cast<scf::ParallelOp>(*llvm::find_if(
        reversed, [](Operation &op) { return isa<scf::ParallelOp>(op); }));
  }
  auto [blocks, threads] =
      scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
  auto mapping = [&](gpu::Processor processor) {
    AffineMap identity = AffineMap::getMultiDimIdentityMap(1, context);
    return gpu::ParallelLoopDimMappingAttr::get(context, processor, identity,
                                                identity);
  };
  (void)gpu::setMappingAttr(blocks, {mapping(gpu::Processor::BlockX)});
  (void)gpu::setMappingAttr(threads, {mapping(gpu::Processor::ThreadX)});
}

/// Turns copies between strided views in host code into linalg.copy (a
/// kernel below); contiguous ones stay copies (gpu.memcpy).
static void convertStridedCopies(RewriterBase &rewriter, ModuleOp module) {
  SmallVector<memref::CopyOp> copies;
  module.walk([&](memref::CopyOp copy) {
    if (!isOnDevice(copy) && !(isContiguous(copy.getSource().getType()) &&
                               isContiguous(copy.getTarget().getType())))
      copies.push_back(copy);
  });
  for (memref::CopyOp copy : copies) {
    rewriter.setInsertionPoint(copy);
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                copy.getTarget());
  }
}

/// Returns the linalg ops of host code (outside parallel loops, whose
/// bodies run in one thread): fills only, or all other ops.
static SmallVector<linalg::LinalgOp> getHostLinalgOps(ModuleOp module,
                                                      bool fills) {
  SmallVector<linalg::LinalgOp> ops;
  module.walk([&](linalg::LinalgOp op) {
    bool fill = static_cast<bool>(getFillValue(op));
    if (fill == fills && !isOnDevice(op) &&
        !op->getParentOfType<scf::ForallOp>())
      ops.push_back(op);
  });
  return ops;
}

/// Replaces the linalg op `op` of host code by a kernel (mapLinalgOps),
/// with the elementwise op after it as its epilogue where it can (adding
/// that op to `fused`).
static LogicalResult mapLinalgOp(RewriterBase &rewriter, linalg::LinalgOp op,
                                 int64_t blockSize, GpuTargetAttr target,
                                 bool f32OnTensorCores,
                                 DenseSet<Operation *> &fused) {
  if (!op.hasPureBufferSemantics())
    return op->emitOpError("is on tensors after bufferization; the GPU "
                           "lowering needs buffers");
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::GenericOp> generic = hoistParallelLoops(rewriter, op);
  if (failed(generic))
    return op->emitOpError("cannot be written as a linalg.generic for the GPU");
  std::optional<ConstantInitWriter> writer = findConstantInit(*generic);
  ConstantInit constantInit{writer ? writer->value : Value()};
  ConstantInit *init = writer ? &constantInit : nullptr;
  std::optional<Epilogue> found = findEpilogue(*generic);
  Epilogue *epilogue = found ? &*found : nullptr;
  // What the consumer uses must exist where the kernel runs: the ops
  // between the two (allocations, ops without memory effects) go first.
  if (epilogue)
    while ((*generic)->getNextNode() != epilogue->consumer)
      rewriter.moveOpBefore((*generic)->getNextNode(), *generic);
  auto build = [&]() {
    // GEMMs: blocked, through shared memory.
    if (succeeded(buildContractionKernel(rewriter, *generic, target,
                                         f32OnTensorCores, init, epilogue)))
      return;
    // Few outputs with long reductions: a block of threads per output.
    if (outputsFollowParallelLoops(*generic) &&
        succeeded(buildReductionKernel(rewriter, *generic, target, blockSize,
                                       init, epilogue)))
      return;
    // Without parallel loops, or with an output indexed by a reduction loop
    // (no thread owns an output element), the op runs in one thread.
    if (generic->getNumParallelLoops() == 0 ||
        !outputsFollowParallelLoops(*generic)) {
      wrapInSingleThreadKernel(rewriter, {generic->getOperation()});
      return;
    }
    rewriter.setInsertionPoint(*generic);
    scf::ParallelOp loop = buildThreadLoops(rewriter, *generic, init, epilogue);
    rewriter.eraseOp(*generic);
    mapToThreads(rewriter, loop, blockSize);
  };
  build();
  if (constantInit.used)
    eraseConstantInitWriter(rewriter, writer->writer);
  if (epilogue && epilogue->used) {
    fused.insert(epilogue->consumer);
    rewriter.eraseOp(epilogue->consumer);
  }
  return success();
}

/// Replaces each linalg op of host code by a blocked GEMM kernel (a
/// contraction that fits `target`, if any), parallel loops marked for
/// blocks of `blockSize` threads, or a kernel of one thread. Fills go last:
/// an op whose output a fill (or a copy of a filled buffer) just wrote
/// starts from the fill's constant where its kernel can, and that fill or
/// copy is dropped; an elementwise op that consumes an op's output right
/// after it runs in that op's stores where its kernel can (findEpilogue).
static LogicalResult mapLinalgOps(RewriterBase &rewriter, ModuleOp module,
                                  int64_t blockSize, GpuTargetAttr target,
                                  bool f32OnTensorCores) {
  readCopySourcesInPlace(rewriter, module);
  DenseSet<Operation *> fused;
  for (bool fills : {false, true}) {
    for (linalg::LinalgOp op : getHostLinalgOps(module, fills)) {
      if (!fused.contains(op) &&
          failed(mapLinalgOp(rewriter, op, blockSize, target, f32OnTensorCores,
                             fused)))
        return failure();
    }
  }
  return success();
}

/// Marks each outermost scf.forall over buffers in host code (a per-row
/// loop of a decomposition) for one thread per iteration.
static LogicalResult mapForalls(RewriterBase &rewriter, ModuleOp module,
                                int64_t blockSize) {
  SmallVector<scf::ForallOp> foralls;
  module.walk([&](scf::ForallOp forall) {
    if (!isOnDevice(forall) && !forall->getParentOfType<scf::ForallOp>())
      foralls.push_back(forall);
  });
  for (scf::ForallOp forall : foralls) {
    scf::ParallelOp loop;
    rewriter.setInsertionPoint(forall);
    if (failed(scf::forallToParallelLoop(rewriter, forall, &loop)))
      return forall->emitOpError("cannot be mapped to GPU threads");
    mapToThreads(rewriter, loop, blockSize);
  }
  return success();
}

/// Turns the static buffers that kernels allocate (a parallel loop body's
/// temporaries) into private memory (the kernel's stack), not the small
/// device heap that malloc would use.
static LogicalResult privatizeThreadBuffers(RewriterBase &rewriter,
                                            ModuleOp module) {
  SmallVector<memref::AllocOp> allocs;
  module.walk([&](memref::AllocOp alloc) {
    if (alloc->getParentOfType<gpu::LaunchOp>())
      allocs.push_back(alloc);
  });
  for (memref::AllocOp alloc : allocs) {
    if (!alloc.getType().hasStaticShape())
      return alloc.emitOpError("allocates a buffer of run-time size in a GPU "
                               "thread; only static sizes fit its private "
                               "memory");
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        rewriter.eraseOp(user);
    rewriter.setInsertionPoint(alloc);
    rewriter.replaceOpWithNewOp<memref::AllocaOp>(
        alloc, alloc.getType(), alloc.getDynamicSizes(),
        alloc.getSymbolOperands(), alloc.getAlignmentAttr());
  }
  return success();
}

namespace {
struct EffAttnGPUMapLinalgPass
    : effattn::impl::EffAttnGPUMapLinalgPassBase<EffAttnGPUMapLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    IRRewriter rewriter(context);

    int64_t blockSize = threadsPerBlock;
    auto gpuTarget = dyn_cast_if_present<GpuTargetAttr>(getTargetAttr(module));
    if (gpuTarget)
      blockSize = std::min(blockSize, gpuTarget.getMaxThreadsPerBlock());

    FailureOr<bool> f32OnTensorCores =
        parseF32Contractions(module, getArgument(), f32Contractions);
    if (failed(f32OnTensorCores))
      return signalPassFailure();
    convertStridedCopies(rewriter, module);
    if (failed(mapLinalgOps(rewriter, module, blockSize, gpuTarget,
                            *f32OnTensorCores)) ||
        failed(mapForalls(rewriter, module, blockSize)))
      return signalPassFailure();

    ConversionTarget target(*context);
    configureParallelLoopToGPULegality(target);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(context);
    populateParallelLoopToGPUPatterns(patterns);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    finalizeParallelLoopToGPUConversion(module);

    // Sequential code on buffers (scans computing run-time sizes) runs next
    // to the data; host code reads back the scalars it needs.
    if (failed(moveSerialCodeToKernels(rewriter, module)))
      return signalPassFailure();
    stageHostReads(rewriter, module);

    // Constants that kernels read (memref.global, host memory) are
    // referenced from inside them, so that kernel outlining copies them into
    // the GPU module as device globals.
    module.walk([](gpu::LaunchOp launch) {
      (void)sinkOperationsIntoLaunchOp(
          launch, [](Operation *op) { return isa<memref::GetGlobalOp>(op); });
    });
    if (failed(privatizeThreadBuffers(rewriter, module)))
      return signalPassFailure();
  }
};
} // namespace
