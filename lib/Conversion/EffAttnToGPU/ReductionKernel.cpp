//===- ReductionKernel.cpp - long reductions --------------------*- C++ -*-===//
//-*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A linalg op with few outputs and long reductions (MRA's top-k counts over
// a batch element's whole grid of blocks, Nyström's softmax over the keys,
// a model's full sums) leaves most of a GPU idle with a thread per output,
// each walking its reduction alone. Here each output gets a block of threads
// instead: thread t combines reduction steps t, t + T, t + 2T, ... (so that
// neighbouring threads read neighbouring elements along the innermost
// reduction loop) from the combiner's neutral element, then the block
// combines the T partial values in shared memory as a tree (log2 T levels,
// a barrier after each), and thread 0 combines the result into the output
// element. The combiner must be commutative and associative (integer sums,
// maxima, minima, bitwise ops exactly; float sums and products up to the
// rounding of another order of additions).
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"
#include "LinalgKernels.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::effattn;

/// Fewest threads per block: a warp.
static constexpr int64_t kMinThreads = 32;
/// Cost of one level of the block's tree, in steps of a thread's reduction
/// loop (a barrier, two shared loads and a store).
static constexpr int64_t kTreeLevelCost = 4;

/// The kind of `combiner` (commutative and associative) and so its neutral
/// element, if it is one the kernel takes.
static std::optional<arith::AtomicRMWKind>
getCombinerKind(Operation *combiner) {
  using Kind = arith::AtomicRMWKind;
  return TypeSwitch<Operation *, std::optional<Kind>>(combiner)
      .Case([](arith::AddFOp) { return Kind::addf; })
      .Case([](arith::AddIOp) { return Kind::addi; })
      .Case([](arith::MulFOp) { return Kind::mulf; })
      .Case([](arith::MulIOp) { return Kind::muli; })
      .Case([](arith::MaximumFOp) { return Kind::maximumf; })
      .Case([](arith::MinimumFOp) { return Kind::minimumf; })
      .Case([](arith::MaxNumFOp) { return Kind::maxnumf; })
      .Case([](arith::MinNumFOp) { return Kind::minnumf; })
      .Case([](arith::MaxSIOp) { return Kind::maxs; })
      .Case([](arith::MinSIOp) { return Kind::mins; })
      .Case([](arith::MaxUIOp) { return Kind::maxu; })
      .Case([](arith::MinUIOp) { return Kind::minu; })
      .Case([](arith::AndIOp) { return Kind::andi; })
      .Case([](arith::OrIOp) { return Kind::ori; })
      .Case([](arith::XOrIOp) { return Kind::xori; })
      .Default(std::nullopt);
}

/// Whether `outputs` reductions of `steps` steps each finish sooner with a
/// block of `threads` threads per output than with a thread per output on
/// `target`, counting waves of resident threads (registers per SM / 32 per
/// SM) times the serial steps of each wave.
static bool prefersBlockPerOutput(int64_t outputs, int64_t steps,
                                  int64_t threads, GpuTargetAttr target) {
  int64_t residentThreads =
      target.getSmCount() * (target.getRegistersPerSm() / 32);
  int64_t threadTime = llvm::divideCeil(outputs, residentThreads) * steps;
  int64_t residentBlocks = std::max<int64_t>(1, residentThreads / threads);
  int64_t blockTime = llvm::divideCeil(outputs, residentBlocks) *
                      (llvm::divideCeil(steps, threads) +
                       kTreeLevelCost * llvm::Log2_64(threads));
  return blockTime < threadTime;
}

/// Returns the indices of `linear` in a row-major space of `sizes`.
static SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                      ArrayRef<int64_t> sizes) {
  SmallVector<Value> indices(sizes.size());
  for (int64_t i = sizes.size() - 1; i >= 0; --i) {
    Value size = arith::ConstantIndexOp::create(b, loc, sizes[i]);
    indices[i] = i == 0 ? linear : arith::RemUIOp::create(b, loc, linear, size);
    if (i > 0)
      linear = arith::DivUIOp::create(b, loc, linear, size);
  }
  return indices;
}

/// Returns `combiner` applied to `lhs` and `rhs`.
static Value combine(OpBuilder &b, Operation *combiner, Value lhs, Value rhs) {
  IRMapping mapping;
  mapping.map(combiner->getOperands(), ValueRange{lhs, rhs});
  return b.clone(*combiner, mapping)->getResult(0);
}

LogicalResult mlir::effattn::buildReductionKernel(
    RewriterBase &rewriter, linalg::GenericOp op, GpuTargetAttr target,
    int64_t blockSize, ConstantInit *init, Epilogue *epilogue) {
  unsigned numParallel = op.getNumParallelLoops();
  if (!target || op.getNumDpsInits() != 1 || op.getNumReductionLoops() == 0 ||
      !op.hasPureBufferSemantics())
    return failure();
  SmallVector<Operation *, 4> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) ||
      combiners.size() != 1)
    return failure();
  Operation *combiner = combiners.front();
  std::optional<arith::AtomicRMWKind> kind = getCombinerKind(combiner);
  Type elementType = combiner->getResult(0).getType();
  if (!kind || !elementType.isIntOrFloat() ||
      elementType.getIntOrFloatBitWidth() < 8)
    return failure();
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  if (ShapedType::isDynamicShape(sizes))
    return failure();
  ArrayRef<int64_t> parallelSizes = ArrayRef(sizes).take_front(numParallel);
  ArrayRef<int64_t> reductionSizes = ArrayRef(sizes).drop_front(numParallel);
  int64_t outputs = ShapedType::getNumElements(parallelSizes);
  int64_t steps = ShapedType::getNumElements(reductionSizes);
  if (outputs == 0 || steps == 0)
    return failure();
  int64_t threads =
      std::clamp<int64_t>(llvm::PowerOf2Ceil(steps), kMinThreads,
                          llvm::bit_floor(static_cast<uint64_t>(blockSize)));
  if (!prefersBlockPerOutput(outputs, steps, threads, target))
    return failure();

  Location loc = op.getLoc();
  ImplicitLocOpBuilder b(loc, rewriter);
  b.setInsertionPoint(op);
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, index(outputs), one, one,
                                      index(threads), one, one);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&launch.getBody().front());
    Value thread = launch.getThreadIds().x;
    SmallVector<Value> outputIvs =
        delinearize(b, loc, launch.getBlockIds().x, parallelSizes);

    // The thread's share of the reduction, from the neutral element.
    Value neutral = arith::getIdentityValue(*kind, elementType, b, loc);
    auto partial = scf::ForOp::create(
        b, thread, index(steps), index(threads), ValueRange{neutral},
        [&](OpBuilder &nb, Location nloc, Value step, ValueRange carried) {
          SmallVector<Value> ivs(outputIvs);
          llvm::append_range(ivs, delinearize(nb, nloc, step, reductionSizes));
          scf::YieldOp::create(nb, nloc,
                               emitGenericBody(nb, nloc, op, ivs, carried));
        });

    // The block's tree over the partial values.
    auto module = op->getParentOfType<ModuleOp>();
    Value shared = getSharedBuffer(
        b, module, "__effattn_reduction",
        MemRefType::get({threads}, elementType, MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)));
    memref::StoreOp::create(b, partial.getResult(0), shared, thread);
    gpu::BarrierOp::create(b);
    for (int64_t half = threads / 2; half >= 1; half /= 2) {
      Value active = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, thread,
                                           index(half));
      auto level = scf::IfOp::create(b, active, /*withElse=*/false);
      {
        OpBuilder::InsertionGuard levelGuard(b);
        b.setInsertionPointToStart(level.thenBlock());
        Value mine = memref::LoadOp::create(b, shared, thread);
        Value other = memref::LoadOp::create(
            b, shared,
            ValueRange{arith::AddIOp::create(b, thread, index(half))});
        memref::StoreOp::create(b, combine(b, combiner, mine, other), shared,
                                thread);
      }
      gpu::BarrierOp::create(b);
    }

    // Thread 0 combines the block's result into the output element.
    Value first =
        arith::CmpIOp::create(b, arith::CmpIPredicate::eq, thread, index(0));
    auto write = scf::IfOp::create(b, first, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard writeGuard(b);
      b.setInsertionPointToStart(write.thenBlock());
      OpOperand &output = *op.getDpsInitOperand(0);
      // The output does not depend on the reduction loops: index 0 for them.
      SmallVector<Value> ivs(outputIvs);
      ivs.append(reductionSizes.size(), index(0));
      SmallVector<Value> indices =
          applyIndexingMap(b, loc, op.getMatchingIndexingMap(&output), ivs);
      Value start =
          init ? init->value
               : memref::LoadOp::create(b, output.get(), indices).getResult();
      Value total =
          combine(b, combiner, start,
                  memref::LoadOp::create(b, shared, ValueRange{index(0)}));
      emitEpilogueStore(b, loc, epilogue, total, output.get(), indices);
    }
    gpu::TerminatorOp::create(b);
  }
  if (init)
    init->used = true;
  rewriter.eraseOp(op);
  return success();
}
