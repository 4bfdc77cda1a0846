//===- SelectionKernel.cpp - kth_largest as a radix select ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// effattn.kth_largest on the GPU: a radix selection over the 32 bits of the
// keys, 8 bits (a digit) per pass, the most significant first. A key xor
// 2^31 orders as an unsigned integer as the key does as a signed one. Before
// pass p the first p digits of the answer are known (its prefix), and so is
// `remaining`, its rank among the row's elements that share the prefix
// (k before pass 0). Pass p runs two kernels:
//
// 1. Histogram: blocks of 256 threads, several per row (a chunk of the row
//    each, so that every multiprocessor has blocks), count the elements with
//    the prefix by their digit p in a histogram in shared memory (atomic
//    adds), then add its non-zero bins to the row's histogram of pass p in
//    global memory (atomic adds).
// 2. Digit: a block per row, a thread per bin. The one thread whose bin
//    holds the remaining-th largest element (fewer than `remaining` elements
//    in the bins above its own, at least `remaining` in its own and above)
//    appends its digit to the prefix and subtracts the elements above from
//    `remaining`. After the last pass the prefix is the answer.
//
// So the selection reads the keys 4 times in 9 launches (a fill of the four
// histograms, then two per pass), where the bisection of the decomposition
// reads them 32 times in 128 (a counting reduction, its fill and two updates
// per round).
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

/// Bits of a key that a pass selects (a digit); a histogram has a bin per
/// digit value, and the kernels a thread per bin.
static constexpr int64_t kDigitBits = 8;
static constexpr int64_t kBins = int64_t(1) << kDigitBits;
static constexpr int64_t kPasses = 32 / kDigitBits;
/// The fewest elements a thread of a histogram kernel counts, and the blocks
/// per multiprocessor the histogram kernels aim for.
static constexpr int64_t kMinElementsPerThread = 16;
static constexpr int64_t kBlocksPerSm = 8;

namespace {
/// What the selection's kernels read and write, all defined before them.
struct SelectionBuffers {
  /// i32 [R, L]: the input.
  Value keys;
  /// i32 [passes, R, bins]: each pass's histograms, zero-filled.
  Value histograms;
  /// i32 [R, 2]: each row's prefix and remaining rank after a pass.
  Value state;
  /// i32 [R]: the result.
  Value result;
  /// R (index).
  Value rows;
  int64_t length;
  int64_t k;
  /// A histogram block counts `chunk` elements of its row (the last block
  /// of a row the rest); `blocksPerRow` blocks cover a row.
  int64_t chunk;
  int64_t blocksPerRow;
};
} // namespace

static Value indexConstant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIndexOp::create(b, value);
}

static Value i32Constant(ImplicitLocOpBuilder &b, int64_t value) {
  return arith::ConstantIntOp::create(b, b.getI32Type(), value);
}

/// Returns a [bins] i32 buffer in the block's shared memory.
static Value getBinsBuffer(ImplicitLocOpBuilder &b, ModuleOp module,
                           StringRef prefix) {
  return getSharedBuffer(
      b, module, prefix,
      MemRefType::get({kBins}, b.getI32Type(), MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(
                          b.getContext(), gpu::AddressSpace::Workgroup)));
}

/// Creates a launch of `blocks` blocks of a thread per bin and moves the
/// builder into its body.
static gpu::LaunchOp createLaunch(ImplicitLocOpBuilder &b, Value blocks) {
  Value one = indexConstant(b, 1);
  auto launch = gpu::LaunchOp::create(b, blocks, one, one,
                                      indexConstant(b, kBins), one, one);
  b.setInsertionPointToStart(&launch.getBody().front());
  return launch;
}

/// Launches the histogram kernel of `pass`.
static void buildHistogramKernel(ImplicitLocOpBuilder &b, ModuleOp module,
                                 const SelectionBuffers &buffers,
                                 int64_t pass) {
  OpBuilder::InsertionGuard guard(b);
  Value blocksPerRow = indexConstant(b, buffers.blocksPerRow);
  gpu::LaunchOp launch =
      createLaunch(b, arith::MulIOp::create(b, buffers.rows, blocksPerRow));
  Value block = launch.getBlockIds().x, thread = launch.getThreadIds().x;
  Value row = arith::DivUIOp::create(b, block, blocksPerRow);
  Value part = arith::RemUIOp::create(b, block, blocksPerRow);

  Value bins = getBinsBuffer(b, module, "__effattn_selection_bins");
  memref::StoreOp::create(b, i32Constant(b, 0), bins, thread);
  gpu::BarrierOp::create(b);

  Value prefix =
      pass == 0 ? Value()
                : memref::LoadOp::create(b, buffers.state,
                                         ValueRange{row, indexConstant(b, 0)});
  Value begin = arith::MulIOp::create(b, part, indexConstant(b, buffers.chunk));
  Value end = arith::MinUIOp::create(
      b, arith::AddIOp::create(b, begin, indexConstant(b, buffers.chunk)),
      indexConstant(b, buffers.length));
  auto elements = scf::ForOp::create(b, arith::AddIOp::create(b, begin, thread),
                                     end, indexConstant(b, kBins));
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(elements.getBody());
    Value key = memref::LoadOp::create(
        b, buffers.keys, ValueRange{row, elements.getInductionVar()});
    Value bits = arith::XOrIOp::create(
        b, key, i32Constant(b, std::numeric_limits<int32_t>::min()));
    if (pass > 0) {
      Value high = arith::ShRUIOp::create(
          b, bits, i32Constant(b, 32 - kDigitBits * pass));
      Value matches =
          arith::CmpIOp::create(b, arith::CmpIPredicate::eq, high, prefix);
      auto count = scf::IfOp::create(b, matches, /*withElseRegion=*/false);
      b.setInsertionPointToStart(count.thenBlock());
    }
    Value digit = arith::AndIOp::create(
        b,
        arith::ShRUIOp::create(b, bits,
                               i32Constant(b, 32 - kDigitBits * (pass + 1))),
        i32Constant(b, kBins - 1));
    memref::AtomicRMWOp::create(
        b, arith::AtomicRMWKind::addi, i32Constant(b, 1), bins,
        ValueRange{arith::IndexCastUIOp::create(b, b.getIndexType(), digit)});
  }
  gpu::BarrierOp::create(b);

  // The block's non-zero bins go to the row's histogram.
  Value count = memref::LoadOp::create(b, bins, thread);
  Value nonZero = arith::CmpIOp::create(b, arith::CmpIPredicate::ne, count,
                                        i32Constant(b, 0));
  auto add = scf::IfOp::create(b, nonZero, /*withElseRegion=*/false);
  b.setInsertionPointToStart(add.thenBlock());
  memref::AtomicRMWOp::create(b, arith::AtomicRMWKind::addi, count,
                              buffers.histograms,
                              ValueRange{indexConstant(b, pass), row, thread});
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b);
}

/// Launches the digit kernel of `pass`.
static void buildDigitKernel(ImplicitLocOpBuilder &b, ModuleOp module,
                             const SelectionBuffers &buffers, int64_t pass) {
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch = createLaunch(b, buffers.rows);
  Value row = launch.getBlockIds().x, bin = launch.getThreadIds().x;

  Value counts = getBinsBuffer(b, module, "__effattn_selection_counts");
  Value count = memref::LoadOp::create(
      b, buffers.histograms, ValueRange{indexConstant(b, pass), row, bin});
  memref::StoreOp::create(b, count, counts, bin);
  auto readState = [&](int64_t column) -> Value {
    return memref::LoadOp::create(b, buffers.state,
                                  ValueRange{row, indexConstant(b, column)});
  };
  Value prefix = pass == 0 ? i32Constant(b, 0) : readState(0);
  Value remaining = pass == 0 ? i32Constant(b, buffers.k) : readState(1);
  // Every thread has read the state before one of them rewrites it.
  gpu::BarrierOp::create(b);

  // The elements in the bins above this one.
  auto above = scf::ForOp::create(
      b, arith::AddIOp::create(b, bin, indexConstant(b, 1)),
      indexConstant(b, kBins), indexConstant(b, 1),
      ValueRange{i32Constant(b, 0)},
      [&](OpBuilder &nb, Location loc, Value other, ValueRange sum) {
        Value otherCount = memref::LoadOp::create(nb, loc, counts, other);
        scf::YieldOp::create(
            nb, loc,
            arith::AddIOp::create(nb, loc, sum[0], otherCount).getResult());
      });
  Value elementsAbove = above.getResult(0);
  Value chosen = arith::AndIOp::create(
      b,
      arith::CmpIOp::create(b, arith::CmpIPredicate::slt, elementsAbove,
                            remaining),
      arith::CmpIOp::create(b, arith::CmpIPredicate::sge,
                            arith::AddIOp::create(b, elementsAbove, count),
                            remaining));
  auto write = scf::IfOp::create(b, chosen, /*withElseRegion=*/false);
  b.setInsertionPointToStart(write.thenBlock());
  Value digit = arith::IndexCastUIOp::create(b, b.getI32Type(), bin);
  Value extended = arith::OrIOp::create(
      b, arith::ShLIOp::create(b, prefix, i32Constant(b, kDigitBits)), digit);
  if (pass + 1 == kPasses) {
    Value key = arith::XOrIOp::create(
        b, extended, i32Constant(b, std::numeric_limits<int32_t>::min()));
    memref::StoreOp::create(b, key, buffers.result, row);
  } else {
    memref::StoreOp::create(b, extended, buffers.state,
                            ValueRange{row, indexConstant(b, 0)});
    memref::StoreOp::create(
        b, arith::SubIOp::create(b, remaining, elementsAbove), buffers.state,
        ValueRange{row, indexConstant(b, 1)});
  }
  b.setInsertionPointToEnd(&launch.getBody().front());
  gpu::TerminatorOp::create(b);
}

namespace {
/// Replaces effattn.kth_largest on tensors by the kernels of a radix
/// selection on its buffers.
struct KthLargestToGPU : OpRewritePattern<KthLargestOp> {
  KthLargestToGPU(MLIRContext *context, GpuTargetAttr target)
      : OpRewritePattern(context), target(target) {}

  LogicalResult matchAndRewrite(KthLargestOp op,
                                PatternRewriter &rewriter) const override {
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto module = op->getParentOfType<ModuleOp>();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    RankedTensorType inputType = op.getInput().getType();
    Type i32 = b.getI32Type();

    SelectionBuffers buffers;
    buffers.length = inputType.getDimSize(1);
    buffers.k = op.getK();
    // Enough blocks for every multiprocessor (assuming one row when the
    // number of rows is dynamic), each thread counting at least a few
    // elements.
    int64_t rows = inputType.isDynamicDim(0)
                       ? 1
                       : std::max<int64_t>(inputType.getDimSize(0), 1);
    int64_t blocksPerRow = std::min(
        llvm::divideCeil(kBlocksPerSm * target.getSmCount(), rows),
        llvm::divideCeil(buffers.length, kBins * kMinElementsPerThread));
    buffers.chunk = llvm::alignTo(
        llvm::divideCeil(buffers.length, std::max<int64_t>(blocksPerRow, 1)),
        kBins);
    buffers.blocksPerRow = llvm::divideCeil(buffers.length, buffers.chunk);

    buffers.keys = getReadBuffer(b, op.getInput());
    buffers.rows = memref::DimOp::create(b, buffers.keys, 0);
    SmallVector<Value> dynamicRows;
    if (inputType.isDynamicDim(0))
      dynamicRows.push_back(buffers.rows);
    buffers.histograms = memref::AllocOp::create(
        b, MemRefType::get({kPasses, inputType.getDimSize(0), kBins}, i32),
        dynamicRows);
    linalg::FillOp::create(b, ValueRange{i32Constant(b, 0)},
                           ValueRange{buffers.histograms});
    buffers.state = memref::AllocOp::create(
        b, MemRefType::get({inputType.getDimSize(0), 2}, i32), dynamicRows);
    buffers.result = allocateLike(b, op.getType(), op.getInput());

    for (int64_t pass = 0; pass < kPasses; ++pass) {
      buildHistogramKernel(b, module, buffers, pass);
      buildDigitKernel(b, module, buffers, pass);
    }
    rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
        op, op.getType(), buffers.result, /*restrict=*/true,
        /*writable=*/true);
    return success();
  }

  GpuTargetAttr target;
};
} // namespace

void mlir::effattn::populateKthLargestToGPUPatterns(RewritePatternSet &patterns,
                                                    GpuTargetAttr target) {
  patterns.add<KthLargestToGPU>(patterns.getContext(), target);
}
