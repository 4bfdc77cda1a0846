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
// column from global memory. The parts every such kernel shares:
//
// - one block per (batch element, M tile, N tile) of C, in gridDim.x;
// - per step along K, the block stages the slice of A and the slice of B
//   that its tile needs in shared memory (zeros past M, N or K), each thread
//   copying elements next to its neighbours' along the operand's contiguous
//   dimension (coalesced), between two barriers;
// - each thread keeps its sums for its outputs of C in registers: read from
//   C before the loop over K and written after it, or (the tensor-core
//   kernel) started from zero and added to C after it.
//
// How a thread multiplies the staged slices is the kernel's own: here the
// SIMT kernel (every element type), in MmaContractionKernel.cpp the
// tensor-core one.
//
//===----------------------------------------------------------------------===//

#include "ContractionKernel.h"

#include "AttentionKernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

using namespace mlir;
using namespace mlir::effattn;

/// The SIMT kernel: threads per block side; elements per thread side; the
/// tile along K.
static constexpr int64_t kThreadsPerSide = 16;
static constexpr int64_t kElementsPerThread = 4;
static constexpr int64_t kTile = kThreadsPerSide * kElementsPerThread;
static constexpr int64_t kDepth = 16;
/// The least K a block of a split contraction sums.
static constexpr int64_t kMinSplitDepth = 512;

Value ContractionKernelBuilder::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, v);
}

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

Value ContractionKernelBuilder::addSums(Value total, Value partial) {
  if (isa<FloatType>(getElementTypeOrSelf(total.getType())))
    return arith::AddFOp::create(b, total, partial);
  return arith::AddIOp::create(b, total, partial);
}

SmallVector<Value> ContractionKernelBuilder::operandIndices(
    OpOperand &input, ArrayRef<unsigned> outer, Value outerIv, Value kIv) {
  SmallVector<Value> ivs(sizes.size(), index(0));
  for (auto [dim, iv] : llvm::zip(loops.batch, batchIvs))
    ivs[dim] = iv;
  setLinear(ivs, outer, outerIv);
  ivs[loops.k] = kIv;
  return indicesOf(input, ivs);
}

/// Bytes per vector copy of the fast staging path (one 128-bit load).
static constexpr int64_t kVectorBytes = 16;

int64_t ContractionKernelBuilder::vectorWidth(OpOperand &input) {
  // Slices contiguous along K, an operand whose last index is K with unit
  // stride, and whole 16-byte vectors per thread.
  auto type = cast<MemRefType>(input.get().getType());
  int64_t bytes = type.getElementTypeBitWidth() / 8;
  int64_t width = bytes ? kVectorBytes / bytes : 0;
  SmallVector<int64_t> strides;
  int64_t offset;
  AffineMap map = op.getMatchingIndexingMap(&input);
  bool eligible =
      !tiling.kMajorSlices && bytes && bytes <= 4 &&
      tiling.depth % width == 0 &&
      (tiling.tile * tiling.depth / width) % tiling.threads() == 0 &&
      map.getResults().back() == b.getAffineDimExpr(loops.k) &&
      succeeded(type.getStridesAndOffset(strides, offset)) &&
      strides.back() == 1;
  return eligible ? width : 0;
}

Value ContractionKernelBuilder::loadElement(OpOperand &input,
                                            ArrayRef<unsigned> outer,
                                            Value outerIv, Value kIv) {
  Type elementType = getElementTypeOrSelf(input.get().getType());
  Value inRange = arith::AndIOp::create(
      b,
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, outerIv,
                            sizeOf(outer)),
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, kIv, sizes[loops.k]));
  auto read = scf::IfOp::create(b, elementType, inRange,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(read.thenBlock());
  scf::YieldOp::create(
      b, memref::LoadOp::create(b, input.get(),
                                operandIndices(input, outer, outerIv, kIv))
             .getResult());
  b.setInsertionPointToStart(read.elseBlock());
  scf::YieldOp::create(
      b, arith::ConstantOp::create(b, b.getZeroAttr(elementType)).getResult());
  return read.getResult(0);
}

std::pair<Value, Value>
ContractionKernelBuilder::vectorPosition(int64_t copy, int64_t width) {
  int64_t perRow = tiling.depth / width;
  Value vector =
      arith::AddIOp::create(b, thread, index(copy * tiling.threads()));
  return {
      arith::DivUIOp::create(b, vector, index(perRow)),
      arith::MulIOp::create(b, arith::RemUIOp::create(b, vector, index(perRow)),
                            index(width))};
}

int64_t ContractionKernelBuilder::elementRun(OpOperand &input) {
  return std::max<int64_t>(
      1,
      32 / getElementTypeOrSelf(input.get().getType()).getIntOrFloatBitWidth());
}

std::pair<Value, Value> ContractionKernelBuilder::runPosition(OpOperand &input,
                                                              int64_t copy,
                                                              int64_t i) {
  // Neighbouring threads copy neighbouring elements of the operand's
  // innermost dimension: K (a row-major A, a transposed B) or the outer one.
  bool kInnermost =
      op.getMatchingIndexingMap(&input).getResults().back().isFunctionOfDim(
          loops.k);
  int64_t run = elementRun(input);
  Value fast = kInnermost ? index(tiling.depth) : index(tiling.tile);
  Value first = arith::MulIOp::create(
      b, arith::AddIOp::create(b, thread, index(copy * tiling.threads())),
      index(run));
  Value slow = arith::DivUIOp::create(b, first, fast);
  Value inner = arith::AddIOp::create(b, arith::RemUIOp::create(b, first, fast),
                                      index(i));
  return kInnermost ? std::make_pair(inner, slow) : std::make_pair(slow, inner);
}

bool ContractionKernelBuilder::isContiguousRun(OpOperand &input) {
  bool kInnermost =
      op.getMatchingIndexingMap(&input).getResults().back().isFunctionOfDim(
          loops.k);
  return elementRun(input) > 1 && kInnermost != tiling.kMajorSlices;
}

SmallVector<Value> ContractionKernelBuilder::loadSlice(OpOperand &input,
                                                       ArrayRef<unsigned> outer,
                                                       Value firstOuter,
                                                       Value firstK) {
  Type elementType = getElementTypeOrSelf(input.get().getType());
  auto atOffset = [&](Value first, Value offset) -> Value {
    return arith::AddIOp::create(b, first, offset);
  };
  if (int64_t width = vectorWidth(input)) {
    // 16-byte vectors where the slice is inside the operand and its rows
    // start 16-byte aligned (the base and every stride but K's; checked at
    // run time), else the same vectors element by element.
    int64_t copies = tiling.tile * tiling.depth / width / tiling.threads();
    int64_t bytes = kVectorBytes / width;
    Value interior = arith::AndIOp::create(
        b,
        arith::CmpIOp::create(b, arith::CmpIPredicate::ule,
                              atOffset(firstOuter, index(tiling.tile)),
                              sizeOf(outer)),
        arith::CmpIOp::create(b, arith::CmpIPredicate::ule,
                              atOffset(firstK, index(tiling.depth)),
                              sizes[loops.k]));
    auto metadata = memref::ExtractStridedMetadataOp::create(b, input.get());
    Value address = arith::AddIOp::create(
        b, memref::ExtractAlignedPointerAsIndexOp::create(b, input.get()),
        arith::MulIOp::create(b, metadata.getOffset(), index(bytes)));
    auto isAligned = [&](Value v) {
      return arith::CmpIOp::create(
          b, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(b, v, index(kVectorBytes)), index(0));
    };
    Value fast = arith::AndIOp::create(b, interior, isAligned(address));
    for (Value stride : metadata.getStrides().drop_back())
      fast = arith::AndIOp::create(
          b, fast, isAligned(arith::MulIOp::create(b, stride, index(bytes))));
    auto vectorType = VectorType::get({width}, elementType);
    auto paths = scf::IfOp::create(b, SmallVector<Type>(copies, vectorType),
                                   fast, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(paths.thenBlock());
    SmallVector<Value> vectors;
    for (int64_t copy = 0; copy < copies; ++copy) {
      auto [row, column] = vectorPosition(copy, width);
      vectors.push_back(vector::LoadOp::create(
          b, vectorType, input.get(),
          operandIndices(input, outer, atOffset(firstOuter, row),
                         atOffset(firstK, column)),
          /*nontemporal=*/false, llvm::Align(kVectorBytes)));
    }
    scf::YieldOp::create(b, vectors);
    b.setInsertionPointToStart(paths.elseBlock());
    vectors.clear();
    for (int64_t copy = 0; copy < copies; ++copy) {
      auto [row, column] = vectorPosition(copy, width);
      SmallVector<Value> elements;
      for (int64_t i = 0; i < width; ++i)
        elements.push_back(
            loadElement(input, outer, atOffset(firstOuter, row),
                        atOffset(firstK, atOffset(column, index(i)))));
      vectors.push_back(
          vector::FromElementsOp::create(b, vectorType, elements));
    }
    scf::YieldOp::create(b, vectors);
    return SmallVector<Value>(paths.getResults());
  }

  // Element by element: each copy a run of the elements in one 32-bit word
  // (1 to 4), consecutive along the fast dimension.
  int64_t run = elementRun(input);
  SmallVector<Value> values;
  for (int64_t copy = 0;
       copy < tiling.tile * tiling.depth / (tiling.threads() * run); ++copy) {
    for (int64_t i = 0; i < run; ++i) {
      auto [kOffset, outerIndex] = runPosition(input, copy, i);
      values.push_back(loadElement(input, outer,
                                   atOffset(firstOuter, outerIndex),
                                   atOffset(firstK, kOffset)));
    }
  }
  return values;
}

void ContractionKernelBuilder::storeSlice(OpOperand &input,
                                          ArrayRef<Value> values, Value slice,
                                          Value stage) {
  // The slice's indices of K offset `kOffset` and outer offset `outer`.
  auto sliceIndices = [&](Value kOffset, Value outer) {
    return tiling.kMajorSlices ? SmallVector<Value>{stage, kOffset, outer}
                               : SmallVector<Value>{stage, outer, kOffset};
  };
  if (int64_t width = vectorWidth(input)) {
    for (auto [copy, vector] : llvm::enumerate(values)) {
      auto [row, column] = vectorPosition(copy, width);
      vector::StoreOp::create(b, vector, slice, ValueRange{stage, row, column},
                              /*nontemporal=*/false, llvm::Align(kVectorBytes));
    }
    return;
  }
  int64_t run = elementRun(input);
  if (isContiguousRun(input)) {
    // A run along the slice's rows is one aligned 32-bit store.
    auto runType =
        VectorType::get({run}, getElementTypeOrSelf(input.get().getType()));
    for (int64_t copy = 0, e = values.size() / run; copy < e; ++copy) {
      auto [kOffset, outer] = runPosition(input, copy, 0);
      vector::StoreOp::create(b,
                              vector::FromElementsOp::create(
                                  b, runType, values.slice(copy * run, run)),
                              slice, sliceIndices(kOffset, outer),
                              /*nontemporal=*/false, llvm::Align(4));
    }
    return;
  }
  for (auto [i, value] : llvm::enumerate(values)) {
    auto [kOffset, outer] = runPosition(input, i / run, i % run);
    memref::StoreOp::create(b, value, slice, sliceIndices(kOffset, outer));
  }
}

SmallVector<Value> ContractionKernelBuilder::multiplyRange(Value begin,
                                                           Value end,
                                                           ValueRange packed) {
  // Two stages of slices: while the block multiplies stage s, each thread
  // holds its part of the next slices in registers (loaded before the
  // multiplication, stored into stage 1 - s after it), so the loads' latency
  // hides behind the multiplication and one barrier per step suffices: it
  // publishes stage 1 - s and ends every read of stage s before it is
  // refilled.
  OpOperand &lhs = *op.getDpsInputOperand(0), &rhs = *op.getDpsInputOperand(1);
  int64_t numLhsValues = 0;
  auto loadSlices = [&](Value firstK) {
    SmallVector<Value> values = loadSlice(lhs, loops.m, firstM, firstK);
    numLhsValues = values.size();
    llvm::append_range(values, loadSlice(rhs, loops.n, firstN, firstK));
    return values;
  };
  auto storeSlices = [&](ArrayRef<Value> values, Value stage) {
    storeSlice(lhs, values.take_front(numLhsValues), lhsSlice, stage);
    storeSlice(rhs, values.drop_front(numLhsValues), rhsSlice, stage);
  };
  SmallVector<Value> first = loadSlices(begin);
  storeSlices(first, index(0));
  gpu::BarrierOp::create(b);

  SmallVector<Value> init(packed);
  init.push_back(index(0));
  auto steps = scf::ForOp::create(b, begin, end, index(tiling.depth), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(steps.getBody());
  Value next =
      arith::AddIOp::create(b, steps.getInductionVar(), index(tiling.depth));
  Value stage = steps.getRegionIterArgs().back();
  Value hasNext =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, next, end);
  // The next slices (none after the last step).
  SmallVector<Value> prefetched;
  {
    auto load = scf::IfOp::create(b, TypeRange(ValueRange(first)), hasNext,
                                  /*withElse=*/true);
    OpBuilder::InsertionGuard loadGuard(b);
    b.setInsertionPointToStart(load.thenBlock());
    scf::YieldOp::create(b, loadSlices(next));
    b.setInsertionPointToStart(load.elseBlock());
    SmallVector<Value> zeros;
    for (Value value : first)
      zeros.push_back(
          arith::ConstantOp::create(b, b.getZeroAttr(value.getType())));
    scf::YieldOp::create(b, zeros);
    prefetched.assign(load.getResults().begin(), load.getResults().end());
  }
  SmallVector<Value> sums = multiplySlices(
      lhsSlice, rhsSlice, stage, x, y, steps.getRegionIterArgs().drop_back());
  Value nextStage = arith::SubIOp::create(b, index(1), stage);
  {
    auto store = scf::IfOp::create(b, hasNext, /*withElse=*/false);
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(store.thenBlock());
    storeSlices(prefetched, nextStage);
  }
  gpu::BarrierOp::create(b);
  sums.push_back(nextStage);
  scf::YieldOp::create(b, sums);
  return SmallVector<Value>(steps.getResults().drop_back());
}

SmallVector<std::pair<Value, Value>>
ContractionKernelBuilder::getOutputPositions() {
  SmallVector<std::pair<Value, Value>> positions = getOutputOffsets(x, y);
  for (auto &[m, n] : positions) {
    m = arith::AddIOp::create(b, firstM, m);
    n = arith::AddIOp::create(b, firstN, n);
  }
  return positions;
}

ContractionKernelBuilder::Output ContractionKernelBuilder::getOutput(Value m,
                                                                     Value n) {
  SmallVector<Value> ivs(sizes.size(), index(0));
  for (auto [dim, iv] : llvm::zip(loops.batch, batchIvs))
    ivs[dim] = iv;
  setLinear(ivs, loops.m, m);
  setLinear(ivs, loops.n, n);
  Value valid = arith::AndIOp::create(
      b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, m, mSize),
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, n, nSize));
  return {indicesOf(*op.getDpsInitOperand(0), ivs), valid};
}

void ContractionKernelBuilder::build(ModuleOp module) {
  for (Range range : cast<linalg::LinalgOp>(op.getOperation())
                         .createLoopRanges(b, b.getLoc()))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, b.getLoc(), range.size));

  // One block per (batch element, M tile, N tile), N tiles fastest, all in
  // gridDim.x (up to 2^31 - 1 blocks; y and z stop at 65535).
  auto tiles = [&](Value size) {
    return arith::CeilDivUIOp::create(b, size, index(tiling.tile)).getResult();
  };
  mSize = sizeOf(loops.m);
  nSize = sizeOf(loops.n);
  Value mTiles = tiles(mSize), nTiles = tiles(nSize);
  Value tileBlocks = arith::MulIOp::create(
      b, sizeOf(loops.batch), arith::MulIOp::create(b, mTiles, nTiles));
  Value blocks =
      tiling.kSplits == 1
          ? tileBlocks
          : arith::MulIOp::create(b, tileBlocks, index(tiling.kSplits))
                .getResult();
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(b, blocks, one, one, index(tiling.blockX),
                                      index(tiling.blockY), one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());

  OpOperand &lhs = *op.getDpsInputOperand(0), &rhs = *op.getDpsInputOperand(1);
  OpOperand &out = *op.getDpsInitOperand(0);
  // Two stages of each slice.
  auto sliceType = [&](OpOperand &input) {
    SmallVector<int64_t, 3> shape{2, tiling.depth, tiling.tile};
    if (!tiling.kMajorSlices)
      shape = {2, tiling.tile, tiling.depth + tiling.padding};
    return MemRefType::get(shape, getElementTypeOrSelf(input.get().getType()),
                           MemRefLayoutAttrInterface(),
                           gpu::AddressSpaceAttr::get(
                               b.getContext(), gpu::AddressSpace::Workgroup));
  };
  lhsSlice = getSharedBuffer(b, module, "__effattn_lhs_tile", sliceType(lhs));
  rhsSlice = getSharedBuffer(b, module, "__effattn_rhs_tile", sliceType(rhs));

  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 threadIds = launch.getThreadIds();
  x = threadIds.x;
  y = threadIds.y;
  thread = arith::AddIOp::create(
      b, arith::MulIOp::create(b, y, index(tiling.blockX)), x);
  // The K split (outermost), then the tile of C.
  Value tileBlock = blockIds.x, split;
  if (tiling.kSplits > 1) {
    tileBlock = arith::RemUIOp::create(b, blockIds.x, tileBlocks);
    split = arith::DivUIOp::create(b, blockIds.x, tileBlocks);
  }
  firstN = arith::MulIOp::create(
      b, arith::RemUIOp::create(b, tileBlock, nTiles), index(tiling.tile));
  Value rest = arith::DivUIOp::create(b, tileBlock, nTiles);
  firstM = arith::MulIOp::create(b, arith::RemUIOp::create(b, rest, mTiles),
                                 index(tiling.tile));
  rest = arith::DivUIOp::create(b, rest, mTiles);
  // The batch indices, last batch loop fastest.
  batchIvs.assign(loops.batch.size(), Value());
  for (int64_t i = loops.batch.size() - 1; i >= 0; --i) {
    Value size = sizes[loops.batch[i]];
    batchIvs[i] = arith::RemUIOp::create(b, rest, size);
    rest = arith::DivUIOp::create(b, rest, size);
  }

  // The thread's sums: from zero, added to C after the loop over K (or
  // after each chunk of it); or from C (read where it exists), replacing it.
  // C is `initialValue` until the first sums are added where that is known.
  Type accType = getElementTypeOrSelf(out.get().getType());
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(accType));
  Value kSize = sizes[loops.k];
  if (tiling.sumsFromZero) {
    // The block's range of K: all of it, or its split's.
    Value kBegin = index(0), kEnd = kSize;
    if (tiling.kSplits > 1) {
      kBegin = arith::MulIOp::create(b, split, index(tiling.splitDepth));
      kEnd = arith::MinUIOp::create(
          b, arith::AddIOp::create(b, kBegin, index(tiling.splitDepth)), kSize);
    }
    // C before the sums are added (startFrom: one chunk, no split).
    auto readOutput = [&](const Output &output) -> Value {
      if (initialValue)
        return initialValue;
      return memref::LoadOp::create(b, out.get(), output.indices);
    };
    auto addToOutputs = [&](Value begin, Value end) {
      SmallVector<Value> sums = unpackAccumulators(
          multiplyRange(begin, end,
                        packAccumulators(SmallVector<Value>(
                            tiling.outputsPerThread(), zero))));
      for (auto [sum, position] : llvm::zip(sums, getOutputPositions())) {
        Output output = getOutput(position.first, position.second);
        auto write =
            scf::IfOp::create(b, output.valid, /*withElseRegion=*/false);
        OpBuilder::InsertionGuard writeGuard(b);
        b.setInsertionPointToStart(write.thenBlock());
        if (tiling.kSplits > 1) {
          // The blocks of a tile's splits add to the same outputs.
          memref::AtomicRMWOp::create(b,
                                      isa<FloatType>(accType)
                                          ? arith::AtomicRMWKind::addf
                                          : arith::AtomicRMWKind::addi,
                                      sum, out.get(), output.indices);
          continue;
        }
        emitEpilogueStore(b, b.getLoc(), epilogue,
                          addSums(readOutput(output), sum), out.get(),
                          output.indices);
      }
    };
    if (tiling.chunkDepth == 0) {
      addToOutputs(kBegin, kEnd);
    } else {
      auto chunks =
          scf::ForOp::create(b, kBegin, kEnd, index(tiling.chunkDepth));
      OpBuilder::InsertionGuard chunkGuard(b);
      b.setInsertionPointToStart(chunks.getBody());
      Value begin = chunks.getInductionVar();
      addToOutputs(
          begin,
          arith::MinUIOp::create(
              b, arith::AddIOp::create(b, begin, index(tiling.chunkDepth)),
              kEnd));
    }
    gpu::TerminatorOp::create(b);
    return;
  }

  SmallVector<Output> outputs;
  SmallVector<Value> accs;
  for (auto [m, n] : getOutputPositions()) {
    const Output &output = outputs.emplace_back(getOutput(m, n));
    if (initialValue) {
      accs.push_back(initialValue);
      continue;
    }
    auto read =
        scf::IfOp::create(b, accType, output.valid, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard readGuard(b);
    b.setInsertionPointToStart(read.thenBlock());
    scf::YieldOp::create(
        b, memref::LoadOp::create(b, out.get(), output.indices).getResult());
    b.setInsertionPointToStart(read.elseBlock());
    scf::YieldOp::create(b, zero);
    b.setInsertionPointAfter(read);
    accs.push_back(read.getResult(0));
  }
  SmallVector<Value> sums = unpackAccumulators(
      multiplyRange(index(0), kSize, packAccumulators(accs)));
  for (auto [sum, output] : llvm::zip(sums, outputs)) {
    auto write = scf::IfOp::create(b, output.valid, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard writeGuard(b);
    b.setInsertionPointToStart(write.thenBlock());
    emitEpilogueStore(b, b.getLoc(), epilogue, sum, out.get(), output.indices);
  }
  gpu::TerminatorOp::create(b);
}

/// Lets LLVM fuse a float multiply and the add of its product into one FMA
/// (as nvcc and cuBLAS do): otherwise NVPTX keeps mul.rn and add.rn, two
/// instructions per multiply-add.
static void allowContraction(Operation *op) {
  auto fastMath = dyn_cast<arith::ArithFastMathInterface>(op);
  if (!fastMath)
    return;
  arith::FastMathFlagsAttr flags = fastMath.getFastMathFlagsAttr();
  op->setAttr(fastMath.getFastMathAttrName(),
              arith::FastMathFlagsAttr::get(
                  op->getContext(),
                  (flags ? flags.getValue() : arith::FastMathFlags::none) |
                      arith::FastMathFlags::contract));
}

namespace {
/// The SIMT kernel: a block of 16 × 16 threads computes a 64 × 64 tile of C,
/// each thread the 4 × 4 elements (4y + i, 4x + j) in registers, from
/// K-major slices of 16 along K: per k, one 4-element vector load of A and
/// one of B from shared memory (a warp reads two vectors of A, broadcast,
/// and 16 consecutive ones of B) and 16 applications of the op's body.
class SimtContractionKernelBuilder : public ContractionKernelBuilder {
public:
  SimtContractionKernelBuilder(ImplicitLocOpBuilder &b, linalg::GenericOp op,
                               const ContractionLoops &loops)
      : ContractionKernelBuilder(
            b, op, loops,
            ContractionTiling{kThreadsPerSide, kThreadsPerSide, kTile, kDepth,
                              /*kMajorSlices=*/true,
                              /*padding=*/0,
                              /*sumsFromZero=*/false,
                              /*chunkDepth=*/0}) {}

private:
  SmallVector<std::pair<Value, Value>> getOutputOffsets(Value x,
                                                        Value y) override {
    Value firstRow = arith::MulIOp::create(b, y, index(kElementsPerThread));
    Value firstColumn = arith::MulIOp::create(b, x, index(kElementsPerThread));
    SmallVector<Value> rows, columns;
    for (int64_t i = 0; i < kElementsPerThread; ++i) {
      rows.push_back(arith::AddIOp::create(b, firstRow, index(i)));
      columns.push_back(arith::AddIOp::create(b, firstColumn, index(i)));
    }
    SmallVector<std::pair<Value, Value>> offsets;
    for (Value row : rows)
      for (Value column : columns)
        offsets.emplace_back(row, column);
    return offsets;
  }

  SmallVector<Value> multiplySlices(Value lhsSlice, Value rhsSlice, Value stage,
                                    Value x, Value y,
                                    ValueRange packed) override {
    // The thread's 4 elements of row k of a slice, as one aligned vector.
    auto loadRow = [&](Value slice, int64_t k, Value threadIndex) {
      Type elementType = getElementTypeOrSelf(slice.getType());
      Value row = vector::LoadOp::create(
          b, VectorType::get({kElementsPerThread}, elementType), slice,
          ValueRange{
              stage, index(k),
              arith::MulIOp::create(b, threadIndex, index(kElementsPerThread))},
          /*nontemporal=*/false,
          llvm::Align(kElementsPerThread * elementType.getIntOrFloatBitWidth() /
                      8));
      SmallVector<Value> elements;
      for (int64_t i = 0; i < kElementsPerThread; ++i)
        elements.push_back(vector::ExtractOp::create(b, row, i));
      return elements;
    };
    // The steps along the slice, unrolled (straight-line loads and FMAs).
    Block &body = op.getRegion().front();
    SmallVector<Value> accs(packed);
    for (int64_t k = 0; k < kDepth; ++k) {
      SmallVector<Value> as = loadRow(lhsSlice, k, y),
                         bs = loadRow(rhsSlice, k, x);
      for (int64_t i = 0; i < kElementsPerThread; ++i) {
        for (int64_t j = 0; j < kElementsPerThread; ++j) {
          Value &acc = accs[i * kElementsPerThread + j];
          IRMapping mapping;
          mapping.map(body.getArgument(0), as[i]);
          mapping.map(body.getArgument(1), bs[j]);
          mapping.map(body.getArgument(2), acc);
          for (Operation &bodyOp : body.without_terminator())
            allowContraction(b.clone(bodyOp, mapping));
          acc = mapping.lookupOrDefault(body.getTerminator()->getOperand(0));
        }
      }
    }
    return accs;
  }
};
} // namespace

/// Blocks per tile of C along K and the K each sums: enough blocks for two
/// per SM of `target` when the tiles of C alone are fewer (a long K behind
/// a small C: Nyström's kernel·V products over the sequence), each at least
/// kMinSplitDepth (and a whole chunk) deep; {1, 0} with dynamic sizes or an
/// accumulator without atomic adds (f32, f64, i32, i64).
static std::pair<int64_t, int64_t>
chooseKSplits(linalg::GenericOp op, const ContractionLoops &loops,
              const ContractionTiling &tiling, GpuTargetAttr target) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Type acc = getElementTypeOrSelf(op.getDpsInitOperand(0)->get().getType());
  bool atomicAdd =
      acc.isF32() || acc.isF64() || acc.isInteger(32) || acc.isInteger(64);
  if (!target || !atomicAdd || ShapedType::isDynamicShape(ranges))
    return {1, 0};
  auto product = [&](ArrayRef<unsigned> dims) {
    int64_t size = 1;
    for (unsigned dim : dims)
      size *= ranges[dim];
    return size;
  };
  int64_t tiles = product(loops.batch) *
                  llvm::divideCeil(product(loops.m), tiling.tile) *
                  llvm::divideCeil(product(loops.n), tiling.tile);
  int64_t k = ranges[loops.k];
  int64_t minDepth = std::max(kMinSplitDepth, tiling.chunkDepth);
  int64_t splits = std::min<int64_t>(
      llvm::divideCeil(2 * target.getSmCount(), std::max<int64_t>(tiles, 1)),
      k / minDepth);
  if (splits <= 1)
    return {1, 0};
  int64_t depth = llvm::alignTo(llvm::divideCeil(k, splits), tiling.depth);
  return {static_cast<int64_t>(llvm::divideCeil(k, depth)), depth};
}

LogicalResult mlir::effattn::buildContractionKernel(
    RewriterBase &rewriter, linalg::GenericOp op, GpuTargetAttr target,
    bool f32OnTensorCores, ConstantInit *init, Epilogue *epilogue) {
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
  ContractionLoops loops{llvm::to_vector(dims->batch), llvm::to_vector(dims->m),
                         llvm::to_vector(dims->n), dims->k[0]};
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  // The target's budgets: the block and two stages of its shared slices.
  auto fits = [&](const ContractionTiling &tiling) {
    int64_t sharedBytes = 0;
    for (OpOperand *input : op.getDpsInputOperands())
      sharedBytes +=
          2 * tiling.tile * (tiling.depth + tiling.padding) *
          getElementTypeOrSelf(input->get().getType()).getIntOrFloatBitWidth() /
          8;
    return !target || (target.getMaxThreadsPerBlock() >= tiling.threads() &&
                       target.getSharedMemoryPerBlock() >= sharedBytes);
  };
  std::unique_ptr<ContractionKernelBuilder> builder =
      createMmaContractionKernelBuilder(b, op, loops, target, f32OnTensorCores);
  if (!builder || !fits(builder->getTiling()))
    builder = std::make_unique<SimtContractionKernelBuilder>(b, op, loops);
  if (!fits(builder->getTiling()))
    return failure();
  auto [splits, splitDepth] =
      chooseKSplits(op, loops, builder->getTiling(), target);
  // C written once: it may start from a constant and end in an epilogue.
  bool writtenOnce = splits == 1 && (!builder->getTiling().sumsFromZero ||
                                     builder->getTiling().chunkDepth == 0);
  if (splits > 1)
    builder->splitK(splits, splitDepth);
  if (writtenOnce && init) {
    builder->startFrom(init->value);
    init->used = true;
  }
  if (writtenOnce && epilogue)
    builder->storeThrough(epilogue);

  builder->build(op->getParentOfType<ModuleOp>());
  rewriter.eraseOp(op);
  return success();
}
