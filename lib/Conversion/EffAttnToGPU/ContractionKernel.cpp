//===- ContractionKernel.cpp - GEMMs through shared memory ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The contractions of decomposed ops (Nyström's GEMM chain, LookupFFN's
// projection, IM-Unpack's low-bit GEMMs, a model's matmuls) as blocked GEMM
// kernels instead of one thread per output that reads its whole row and
// column from global memory:
//
// - a block of 16 × 16 threads computes a 64 × 64 tile of C (per batch
//   element), each thread the 4 × 4 elements (ty + 16i, tx + 16j), in
//   registers;
// - per step of 16 along K, the block stages the 64 × 16 slice of A and the
//   16 × 64 slice of B in shared memory (zeros past M, N or K), each thread
//   copying 4 elements of each, neighbouring threads neighbouring elements
//   along the operand's contiguous dimension; a barrier; then each thread
//   reads 4 + 4 values per k and applies the op's body 16 times.
//
// Reads of a shared row by one warp are a broadcast (A) or 32 consecutive
// words (B): no bank conflicts. Per k step a thread does 16 multiply-adds
// for 8 shared loads, against 1 for 2 global loads before.
//
//===----------------------------------------------------------------------===//

#include "ContractionKernel.h"

#include "AttentionKernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::effattn;

/// Threads per block side; elements per thread side; the tile along K.
static constexpr int64_t kThreadsPerSide = 16;
static constexpr int64_t kElementsPerThread = 4;
static constexpr int64_t kTile = kThreadsPerSide * kElementsPerThread;
static constexpr int64_t kDepth = 16;
static constexpr int64_t kThreads = kThreadsPerSide * kThreadsPerSide;

namespace {
/// The loops of a contraction with one K loop. Several M (or N) loops, such
/// as the batch and sequence loops of activations against a shared weight,
/// are one linear M (last loop fastest).
struct ContractionLoops {
  SmallVector<unsigned> batch, m, n;
  unsigned k;
};

/// Builds the kernel of one contraction (see the file comment).
class ContractionKernelBuilder {
public:
  ContractionKernelBuilder(ImplicitLocOpBuilder &b, linalg::GenericOp op,
                           const ContractionLoops &loops)
      : b(b), op(op), loops(loops) {}

  void build(ModuleOp module);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  /// The indices of operand `operand` at loop indices `ivs` (a full
  /// iteration vector; the loops it does not depend on may hold anything).
  SmallVector<Value> indicesOf(OpOperand &operand, ArrayRef<Value> ivs);
  /// Sets the loop indices `dims` of `ivs` to the linear index `linear`
  /// over them.
  void setLinear(SmallVector<Value> &ivs, ArrayRef<unsigned> dims,
                 Value linear);
  /// The product of the sizes of loops `dims`.
  Value sizeOf(ArrayRef<unsigned> dims);
  /// Copies the kTile × kDepth slice of input `input` (A: `outer` = the M
  /// loops, B: the N loops) at (firstOuter, firstK) into `tile` [kDepth,
  /// kTile], zeros outside the operand.
  void stage(OpOperand &input, ArrayRef<unsigned> outer, Value firstOuter,
             Value firstK, ArrayRef<Value> batchIvs, Value tile, Value thread);

  ImplicitLocOpBuilder &b;
  linalg::GenericOp op;
  const ContractionLoops &loops;
  /// Every loop's size.
  SmallVector<Value> sizes;
};
} // namespace

SmallVector<Value> ContractionKernelBuilder::indicesOf(OpOperand &operand,
                                                       ArrayRef<Value> ivs) {
  AffineMap map = op.getMatchingIndexingMap(&operand);
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults())
    indices.push_back(affine::AffineApplyOp::create(
        b, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  return indices;
}

void ContractionKernelBuilder::setLinear(SmallVector<Value> &ivs,
                                         ArrayRef<unsigned> dims,
                                         Value linear) {
  for (unsigned dim : llvm::reverse(dims.drop_front())) {
    ivs[dim] = arith::RemUIOp::create(b, linear, sizes[dim]);
    linear = arith::DivUIOp::create(b, linear, sizes[dim]);
  }
  ivs[dims.front()] = linear;
}

Value ContractionKernelBuilder::sizeOf(ArrayRef<unsigned> dims) {
  Value size = index(1);
  for (unsigned dim : dims)
    size = arith::MulIOp::create(b, size, sizes[dim]);
  return size;
}

void ContractionKernelBuilder::stage(OpOperand &input, ArrayRef<unsigned> outer,
                                     Value firstOuter, Value firstK,
                                     ArrayRef<Value> batchIvs, Value tile,
                                     Value thread) {
  // Neighbouring threads copy neighbouring elements of the operand's
  // innermost dimension: K (a row-major A, a transposed B) or the outer one.
  AffineMap map = op.getMatchingIndexingMap(&input);
  bool kInnermost = map.getResults().back().isFunctionOfDim(loops.k);
  Type elementType = getElementTypeOrSelf(input.get().getType());
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(elementType));
  Value outerSize = sizeOf(outer);
  for (int64_t copy = 0; copy < kTile * kDepth / kThreads; ++copy) {
    Value element = arith::AddIOp::create(b, thread, index(copy * kThreads));
    Value fast = kInnermost ? index(kDepth) : index(kTile);
    Value inner = arith::RemUIOp::create(b, element, fast);
    Value outerOffset = arith::DivUIOp::create(b, element, fast);
    Value kOffset = kInnermost ? inner : outerOffset;
    Value outerIndex = kInnermost ? outerOffset : inner;
    Value outerIv = arith::AddIOp::create(b, firstOuter, outerIndex);
    Value kIv = arith::AddIOp::create(b, firstK, kOffset);
    Value inRange = arith::AndIOp::create(
        b,
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, outerIv, outerSize),
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, kIv,
                              sizes[loops.k]));
    auto read = scf::IfOp::create(b, elementType, inRange,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(read.thenBlock());
      SmallVector<Value> ivs(sizes.size(), index(0));
      for (auto [dim, iv] : llvm::zip(loops.batch, batchIvs))
        ivs[dim] = iv;
      setLinear(ivs, outer, outerIv);
      ivs[loops.k] = kIv;
      scf::YieldOp::create(
          b, memref::LoadOp::create(b, input.get(), indicesOf(input, ivs))
                 .getResult());
      b.setInsertionPointToStart(read.elseBlock());
      scf::YieldOp::create(b, zero);
    }
    memref::StoreOp::create(b, read.getResult(0), tile,
                            ValueRange{kOffset, outerIndex});
  }
}

void ContractionKernelBuilder::build(ModuleOp module) {
  for (Range range : cast<linalg::LinalgOp>(op.getOperation())
                         .createLoopRanges(b, b.getLoc()))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, b.getLoc(), range.size));

  // One block per (batch element, M tile, N tile), N tiles fastest, all in
  // gridDim.x (up to 2^31 - 1 blocks; y and z stop at 65535).
  auto tiles = [&](Value size) {
    return arith::CeilDivUIOp::create(b, size, index(kTile)).getResult();
  };
  Value mSize = sizeOf(loops.m), nSize = sizeOf(loops.n);
  Value mTiles = tiles(mSize), nTiles = tiles(nSize);
  Value blocks = arith::MulIOp::create(
      b, sizeOf(loops.batch), arith::MulIOp::create(b, mTiles, nTiles));
  Value side = index(kThreadsPerSide), one = index(1);
  auto launch = gpu::LaunchOp::create(b, blocks, one, one, side, side, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());

  OpOperand &lhs = *op.getDpsInputOperand(0), &rhs = *op.getDpsInputOperand(1);
  OpOperand &out = *op.getDpsInitOperand(0);
  auto tileType = [&](OpOperand &input) {
    return MemRefType::get({kDepth, kTile},
                           getElementTypeOrSelf(input.get().getType()),
                           MemRefLayoutAttrInterface(),
                           gpu::AddressSpaceAttr::get(
                               b.getContext(), gpu::AddressSpace::Workgroup));
  };
  Value lhsTile =
      getSharedBuffer(b, module, "__effattn_lhs_tile", tileType(lhs));
  Value rhsTile =
      getSharedBuffer(b, module, "__effattn_rhs_tile", tileType(rhs));

  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 threadIds = launch.getThreadIds();
  Value tx = threadIds.x, ty = threadIds.y;
  Value thread =
      arith::AddIOp::create(b, arith::MulIOp::create(b, ty, side), tx);
  Value firstN = arith::MulIOp::create(
      b, arith::RemUIOp::create(b, blockIds.x, nTiles), index(kTile));
  Value rest = arith::DivUIOp::create(b, blockIds.x, nTiles);
  Value firstM = arith::MulIOp::create(
      b, arith::RemUIOp::create(b, rest, mTiles), index(kTile));
  rest = arith::DivUIOp::create(b, rest, mTiles);
  // The batch indices, last batch loop fastest.
  SmallVector<Value> batchIvs(loops.batch.size());
  for (int64_t i = loops.batch.size() - 1; i >= 0; --i) {
    Value size = sizes[loops.batch[i]];
    batchIvs[i] = arith::RemUIOp::create(b, rest, size);
    rest = arith::DivUIOp::create(b, rest, size);
  }

  // The thread's outputs (ty + 16i, tx + 16j), read once where they exist.
  Type accType = getElementTypeOrSelf(out.get().getType());
  SmallVector<Value> ms, ns, accs;
  SmallVector<SmallVector<Value>> outIndices;
  SmallVector<Value> inRange;
  for (int64_t i = 0; i < kElementsPerThread; ++i) {
    ms.push_back(arith::AddIOp::create(
        b, firstM, arith::AddIOp::create(b, ty, index(kThreadsPerSide * i))));
    ns.push_back(arith::AddIOp::create(
        b, firstN, arith::AddIOp::create(b, tx, index(kThreadsPerSide * i))));
  }
  for (int64_t i = 0; i < kElementsPerThread; ++i) {
    for (int64_t j = 0; j < kElementsPerThread; ++j) {
      SmallVector<Value> ivs(sizes.size(), index(0));
      for (auto [dim, iv] : llvm::zip(loops.batch, batchIvs))
        ivs[dim] = iv;
      setLinear(ivs, loops.m, ms[i]);
      setLinear(ivs, loops.n, ns[j]);
      outIndices.push_back(indicesOf(out, ivs));
      Value valid = arith::AndIOp::create(
          b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, ms[i], mSize),
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, ns[j], nSize));
      inRange.push_back(valid);
      auto read = scf::IfOp::create(b, accType, valid, /*withElseRegion=*/true);
      OpBuilder::InsertionGuard readGuard(b);
      b.setInsertionPointToStart(read.thenBlock());
      scf::YieldOp::create(
          b,
          memref::LoadOp::create(b, out.get(), outIndices.back()).getResult());
      b.setInsertionPointToStart(read.elseBlock());
      scf::YieldOp::create(
          b, arith::ConstantOp::create(b, b.getZeroAttr(accType)).getResult());
      b.setInsertionPointAfter(read);
      accs.push_back(read.getResult(0));
    }
  }

  // Over K in steps of kDepth: stage, then 16 updates per k.
  auto steps =
      scf::ForOp::create(b, index(0), sizes[loops.k], index(kDepth), accs);
  {
    OpBuilder::InsertionGuard stepGuard(b);
    b.setInsertionPointToStart(steps.getBody());
    Value firstK = steps.getInductionVar();
    gpu::BarrierOp::create(b);
    stage(lhs, loops.m, firstM, firstK, batchIvs, lhsTile, thread);
    stage(rhs, loops.n, firstN, firstK, batchIvs, rhsTile, thread);
    gpu::BarrierOp::create(b);
    auto depth = scf::ForOp::create(b, index(0), index(kDepth), one,
                                    steps.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard depthGuard(b);
      b.setInsertionPointToStart(depth.getBody());
      Value k = depth.getInductionVar();
      SmallVector<Value> as, bs;
      for (int64_t i = 0; i < kElementsPerThread; ++i) {
        as.push_back(memref::LoadOp::create(
            b, lhsTile,
            ValueRange{
                k, arith::AddIOp::create(b, ty, index(kThreadsPerSide * i))}));
        bs.push_back(memref::LoadOp::create(
            b, rhsTile,
            ValueRange{
                k, arith::AddIOp::create(b, tx, index(kThreadsPerSide * i))}));
      }
      Block &body = op.getRegion().front();
      SmallVector<Value> next;
      for (int64_t i = 0; i < kElementsPerThread; ++i) {
        for (int64_t j = 0; j < kElementsPerThread; ++j) {
          IRMapping mapping;
          mapping.map(body.getArgument(0), as[i]);
          mapping.map(body.getArgument(1), bs[j]);
          mapping.map(body.getArgument(2),
                      depth.getRegionIterArgs()[i * kElementsPerThread + j]);
          for (Operation &bodyOp : body.without_terminator())
            b.clone(bodyOp, mapping);
          next.push_back(
              mapping.lookupOrDefault(body.getTerminator()->getOperand(0)));
        }
      }
      scf::YieldOp::create(b, next);
    }
    scf::YieldOp::create(b, depth.getResults());
  }

  for (auto [acc, indices, valid] :
       llvm::zip(steps.getResults(), outIndices, inRange)) {
    auto write = scf::IfOp::create(b, valid, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard writeGuard(b);
    b.setInsertionPointToStart(write.thenBlock());
    memref::StoreOp::create(b, acc, out.get(), indices);
  }
  gpu::TerminatorOp::create(b);
}

LogicalResult mlir::effattn::buildContractionKernel(RewriterBase &rewriter,
                                                    linalg::GenericOp op,
                                                    GpuTargetAttr target) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(
          cast<linalg::LinalgOp>(op.getOperation())))
    return failure();
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(cast<linalg::LinalgOp>(op.getOperation()));
  if (failed(dims) || dims->k.size() != 1)
    return failure();
  // Small outputs keep one thread per element: a 64 × 64 tile would idle.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto atLeastOneTile = [&](ArrayRef<unsigned> loops) {
    int64_t size = 1;
    for (unsigned dim : loops) {
      if (ShapedType::isDynamic(ranges[dim]))
        return true;
      size *= ranges[dim];
    }
    return size >= kTile / kElementsPerThread;
  };
  if (!atLeastOneTile(dims->m) || !atLeastOneTile(dims->n))
    return failure();
  // The target's budgets: the block and its two shared slices.
  int64_t sharedBytes = 0;
  for (OpOperand *input : op.getDpsInputOperands())
    sharedBytes +=
        kDepth * kTile *
        getElementTypeOrSelf(input->get().getType()).getIntOrFloatBitWidth() /
        8;
  if (target && (target.getMaxThreadsPerBlock() < kThreads ||
                 target.getSharedMemoryPerBlock() < sharedBytes))
    return failure();

  ContractionLoops loops{llvm::to_vector(dims->batch), llvm::to_vector(dims->m),
                         llvm::to_vector(dims->n), dims->k[0]};
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  ContractionKernelBuilder(b, op, loops).build(op->getParentOfType<ModuleOp>());
  rewriter.eraseOp(op);
  return success();
}
