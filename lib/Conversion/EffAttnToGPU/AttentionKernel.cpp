//===- AttentionKernel.cpp - attention as a flash kernel --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact attention on the GPU in flash form: the tile model (which kernel,
// which tiles, within which budgets) and the host side that replaces
// effattn.attention by a gpu.launch on its buffers. The kernels themselves
// are built by SimtAttentionKernel.cpp and MmaAttentionKernel.cpp.
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Target/GpuTarget.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

/// Threads per block the model aims for: 8 warps.
static constexpr int64_t kThreadsPerBlock = 256;

/// Query and accumulator values a thread keeps in registers (D/G + E/G).
static constexpr int64_t kValuesPerThread = 64;

/// Registers besides the query, accumulator and scores: addresses, loop
/// counters, the running max and sum.
static constexpr int64_t kOverheadRegisters = 32;

/// The tensor-core kernel: 4 warps of 16 query rows each by default (8 warps
/// sharing a tile measured 8 % slower on an H100; 32 rows per warp, two m16
/// tiles sharing each K and V fragment as FlashAttention-2 does, can be
/// asked for and is not yet measured). Key tiles of 32 keys keep registers
/// and shared memory low enough for three blocks per SM (64-key tiles: two,
/// and 13 % slower at n = 16384, d = 128); 64 when the 16-byte tile copies
/// would not divide evenly among the threads; halved (down to 16) where the
/// shared memory does not fit.
static constexpr int64_t kMmaWarps = 4;
static constexpr int64_t kMmaRowsPerWarp = 16;
static constexpr int64_t kMmaKeysPerTile = 32;
static constexpr int64_t kMmaKeysPerTileUneven = 64;
/// The smallest key tile (one k-step of the f16 P·V product).
static constexpr int64_t kMmaMinKeysPerTile = 16;
/// Shared-memory rows are padded by 16 bytes so that the lanes of an mma
/// operand load hit distinct banks; f32 value tiles (read one element per
/// lane) by 8 f32.
static constexpr int64_t kMmaRowPaddingBytes = 16;
static constexpr int64_t kMmaTf32ValuePadding = 8;

/// Whether the tensor-core kernel applies: f16/bf16 (f32 as 3xTF32 with
/// `f32OnTensorCores`) with D, E multiples of 16 on a target with the mma
/// shape for the type.
static bool hasMmaKernel(GpuTargetAttr target, int64_t d, int64_t e,
                         Type elementType, bool f32OnTensorCores) {
  if (!elementType || d % 16 != 0 || e % 16 != 0)
    return false;
  if (elementType.isF32())
    return f32OnTensorCores && hasMmaShape(target, "tf32:m16n8k8");
  return (elementType.isF16() || elementType.isBF16()) &&
         hasMmaShape(target,
                     elementType.isF16() ? "f16:m16n8k16" : "bf16:m16n8k16");
}

/// The tensor-core configuration with `warpRows` (16 or 32) query rows per
/// warp and `keysPerTile` keys per tile: its block, registers and shared
/// memory. A non-zero `blockSize` (a multiple of 16; block-sparse attention)
/// makes a block of threads one block row of queries, a warp per 16 rows.
static AttentionKernelConfig
getMmaTileConfig(GpuTargetAttr target, int64_t d, int64_t e, Type elementType,
                 int64_t warpRows, int64_t keysPerTile, int64_t blockSize) {
  int64_t bytes = elementType.getIntOrFloatBitWidth() / 8;
  bool tf32 = elementType.isF32();
  AttentionKernelConfig config;
  config.kind = AttentionKernelKind::TensorCore;
  // Elements per 16-byte cp.async copy.
  config.vectorWidth = 16 / bytes;
  config.groupSize = 1;
  config.rowTilesPerWarp = warpRows / 16;
  int64_t warps = blockSize ? blockSize / warpRows : kMmaWarps;
  config.rowsPerBlock = warps * warpRows;
  config.threads = warps * target.getWarpSize();
  config.keysPerTile = keysPerTile;
  config.keysPerChunk = config.keysPerTile;
  // Per lane and row tile: Q fragments (D/16 · 4 registers), scores
  // (Bc/8 · 4), the accumulator (E/8 · 4); plus addresses and softmax state.
  // With two row tiles the Q fragments move to shared memory when they
  // would not fit (one tile keeps them in registers, as measured).
  int64_t rowTiles = config.rowTilesPerWarp;
  int64_t registersBesidesQuery =
      rowTiles * (config.keysPerTile / 2 + e / 2) + kOverheadRegisters;
  // f32 Q fragments (d / 2 registers per row tile, before the 3xTF32 split)
  // always come from shared memory.
  config.queryInSharedMemory =
      tf32 || (rowTiles > 1 && registersBesidesQuery + rowTiles * d / 4 >
                                   target.getMaxRegistersPerThread());
  config.registersPerThread =
      registersBesidesQuery +
      (config.queryInSharedMemory ? 0 : rowTiles * d / 4);
  // Two stages of padded K and V tiles, the mask flags and maybe the
  // block's query rows, in dynamic shared memory.
  int64_t padding = kMmaRowPaddingBytes / bytes;
  int64_t valuePadding = tf32 ? kMmaTf32ValuePadding : padding;
  config.sharedMemoryBytes =
      2 * config.keysPerTile * (d + padding + e + valuePadding) * bytes +
      config.keysPerTile * 4 +
      (config.queryInSharedMemory ? config.rowsPerBlock * (d + padding) * bytes
                                  : 0);
  return config;
}

/// The shared memory a tensor-core attention block may take: within the
/// block limit, and half an SM's so that two blocks fit.
static int64_t getMmaSharedMemoryBudget(GpuTargetAttr target) {
  return std::min<int64_t>(target.getSharedMemoryPerBlock(),
                           target.getSharedMemoryPerSm() / 2);
}

/// The tensor-core configuration with `warpRows` (16 or 32) query rows per
/// warp, or why it does not fit the target. Key tiles of one key block for
/// block-sparse attention (non-zero `blockSize`); else the default tile,
/// halved down to 16 keys while its shared memory does not fit and the
/// tiles' 16-byte copies still divide evenly among the block's threads (f32
/// at D = E = 128 on sm_80: 16 keys, 68 KB instead of 102.5 KB). Registers
/// that do not fit are not worth a smaller tile (16 keys save 8 per row
/// tile, within the estimate's error).
static FailureOr<AttentionKernelConfig>
chooseMmaConfig(GpuTargetAttr target, int64_t d, int64_t e, Type elementType,
                int64_t warpRows, std::string &reason, int64_t blockSize = 0) {
  int64_t budget = getMmaSharedMemoryBudget(target);
  int64_t keysPerTile = blockSize                      ? blockSize
                        : (d % 32 == 0 && e % 32 == 0) ? kMmaKeysPerTile
                                                       : kMmaKeysPerTileUneven;
  AttentionKernelConfig config = getMmaTileConfig(
      target, d, e, elementType, warpRows, keysPerTile, blockSize);
  int64_t elementsPerCopy = config.vectorWidth;
  auto copiesDivide = [&](int64_t keys) {
    return keys * (d / elementsPerCopy) % config.threads == 0 &&
           keys * (e / elementsPerCopy) % config.threads == 0;
  };
  while (!blockSize && config.sharedMemoryBytes > budget &&
         keysPerTile / 2 >= kMmaMinKeysPerTile &&
         copiesDivide(keysPerTile / 2)) {
    keysPerTile /= 2;
    config = getMmaTileConfig(target, d, e, elementType, warpRows, keysPerTile,
                              blockSize);
  }

  std::string rows = std::to_string(warpRows) +
                     " query rows per warp and tiles of " +
                     std::to_string(keysPerTile) + " keys";
  if (config.threads > target.getMaxThreadsPerBlock()) {
    reason = "blocks of " + std::to_string(blockSize) +
             " query rows need more threads than a block may have";
    return failure();
  }
  int64_t maxRegisters = target.getMaxRegistersPerThread();
  if (config.registersPerThread > maxRegisters) {
    reason = rows + " need about " + std::to_string(config.registersPerThread) +
             " registers per thread on tensor cores, more than the target's " +
             std::to_string(maxRegisters);
    return failure();
  }
  if (config.sharedMemoryBytes > budget) {
    reason = rows + " need " + std::to_string(config.sharedMemoryBytes) +
             " bytes of shared memory on tensor cores, more than the " +
             std::to_string(budget) + " a block may use";
    return failure();
  }
  return config;
}

/// The shared memory a SIMT kernel's tiles may take: within the static
/// limit, and half an SM's so that two blocks fit.
static int64_t getSimtSharedMemoryBudget(GpuTargetAttr target) {
  return std::min<int64_t>(kStaticSharedMemoryLimit,
                           target.getSharedMemoryPerSm() / 2);
}

FailureOr<AttentionKernelConfig> mlir::effattn::chooseAttentionKernelConfig(
    GpuTargetAttr target, int64_t d, int64_t e, Type elementType,
    std::string &reason, int64_t warpRows, bool f32OnTensorCores) {
  if (warpRows != 0 && warpRows != 16 && warpRows != 32) {
    reason = "the tensor-core kernel takes 16 or 32 query rows per warp, not " +
             std::to_string(warpRows);
    return failure();
  }
  if (hasMmaKernel(target, d, e, elementType, f32OnTensorCores)) {
    FailureOr<AttentionKernelConfig> mma =
        chooseMmaConfig(target, d, e, elementType,
                        warpRows ? warpRows : kMmaRowsPerWarp, reason);
    if (succeeded(mma))
      return mma;
    // Rows per warp that were asked for and do not fit are an error; the
    // model's choice falls back to the SIMT kernel.
    if (warpRows == 32) {
      reason += "; ask for 16";
      return failure();
    }
    reason.clear();
  }
  AttentionKernelConfig config;
  config.kind = AttentionKernelKind::Simt;
  // Vector loads from shared memory: 4 f32 (16 bytes) when both head
  // dimensions allow it.
  config.vectorWidth = (d % 4 == 0 && e % 4 == 0)   ? 4
                       : (d % 2 == 0 && e % 2 == 0) ? 2
                                                    : 1;
  // The smallest group of threads per row that keeps the row's query and
  // accumulator within kValuesPerThread registers and divides both heads.
  int64_t warp = target.getWarpSize();
  config.groupSize = 0;
  for (int64_t g = 1; g <= warp; g *= 2) {
    if (d % (config.vectorWidth * g) != 0 || e % (config.vectorWidth * g) != 0)
      break;
    config.groupSize = g;
    if ((d + e) / g <= kValuesPerThread)
      break;
  }
  config.keysPerChunk = 16;
  config.registersPerThread =
      (d + e) / config.groupSize + config.keysPerChunk + kOverheadRegisters;
  if (config.registersPerThread > target.getMaxRegistersPerThread()) {
    reason = "the head dimensions D = " + std::to_string(d) +
             " and E = " + std::to_string(e) + " need about " +
             std::to_string(config.registersPerThread) +
             " registers per thread, more than the target's " +
             std::to_string(target.getMaxRegistersPerThread()) +
             "; split the heads";
    return failure();
  }
  int64_t threads =
      std::min<int64_t>(kThreadsPerBlock, target.getMaxThreadsPerBlock());
  config.rowsPerBlock = std::max<int64_t>(1, threads / config.groupSize);
  config.threads = config.rowsPerBlock * config.groupSize;

  // Key and value tiles in f32 plus one mask flag per key; keep two blocks
  // per SM and within the static shared-memory limit.
  int64_t bytesPerKey = (d + e + 1) * 4;
  int64_t budget = getSimtSharedMemoryBudget(target);
  config.keysPerTile = 0;
  for (int64_t keys = config.keysPerChunk; keys <= 64; keys *= 2)
    if (keys * bytesPerKey <= budget)
      config.keysPerTile = keys;
  if (config.keysPerTile == 0) {
    reason = "a tile of " + std::to_string(config.keysPerChunk) +
             " keys with D + E = " + std::to_string(d + e) + " needs " +
             std::to_string(config.keysPerChunk * bytesPerKey) +
             " bytes of shared memory, more than the " +
             std::to_string(budget) +
             " a block may use; shrink the key tile by splitting the heads";
    return failure();
  }
  config.sharedMemoryBytes = config.keysPerTile * bytesPerKey;
  return config;
}

//===----------------------------------------------------------------------===//
// Host side: buffers, shapes and the launch
//===----------------------------------------------------------------------===//

/// Returns `buffer` ([B..., X, Y]) as [prod(B...), X, Y].
static Value collapseBatch(ImplicitLocOpBuilder &b, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t rank = type.getRank();
  if (rank == 3)
    return buffer;
  if (rank == 2) {
    SmallVector<int64_t> shape{1};
    llvm::append_range(shape, type.getShape());
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1)};
    for (int64_t i = 0; i < 2; ++i)
      sizes.push_back(type.isDynamicDim(i)
                          ? OpFoldResult(memref::DimOp::create(b, buffer, i))
                          : b.getIndexAttr(type.getDimSize(i)));
    return memref::ExpandShapeOp::create(
        b, MemRefType::get(shape, type.getElementType()), buffer,
        SmallVector<ReassociationIndices>{{0, 1}, {2}}, sizes);
  }
  ReassociationIndices batchDims;
  for (int64_t i = 0; i < rank - 2; ++i)
    batchDims.push_back(i);
  return memref::CollapseShapeOp::create(
      b, buffer,
      SmallVector<ReassociationIndices>{batchDims, {rank - 2}, {rank - 1}});
}

/// Returns `mask` ([B..., M]) as [prod(B...), M].
static Value collapseMaskBatch(ImplicitLocOpBuilder &b, Value mask) {
  auto type = cast<MemRefType>(mask.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return mask;
  if (rank == 1) {
    SmallVector<OpFoldResult> sizes{
        b.getIndexAttr(1), type.isDynamicDim(0)
                               ? OpFoldResult(memref::DimOp::create(b, mask, 0))
                               : b.getIndexAttr(type.getDimSize(0))};
    return memref::ExpandShapeOp::create(
        b, MemRefType::get({1, type.getDimSize(0)}, type.getElementType()),
        mask, SmallVector<ReassociationIndices>{{0, 1}}, sizes);
  }
  ReassociationIndices batchDims;
  for (int64_t i = 0; i < rank - 1; ++i)
    batchDims.push_back(i);
  return memref::CollapseShapeOp::create(
      b, mask, SmallVector<ReassociationIndices>{batchDims, {rank - 1}});
}

void mlir::effattn::stageMaskFlags(ImplicitLocOpBuilder &b,
                                   const AttentionKernelOperands &ops,
                                   Value batch, Value firstKey, Value maskTile,
                                   Value thread, int64_t keysPerTile,
                                   int64_t threads) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, v); };
  auto loop = scf::ForOp::create(b, thread, index(keysPerTile), index(threads));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value key = loop.getInductionVar();
  Value j = arith::AddIOp::create(b, firstKey, key);
  Value inRange = arith::CmpIOp::create(b, arith::CmpIPredicate::ult, j, ops.m);
  Value clamped = arith::SelectOp::create(b, inRange, j, index(0));
  Value keep = memref::LoadOp::create(b, ops.mask, ValueRange{batch, clamped});
  Type f32 = b.getF32Type();
  Value flag = arith::SelectOp::create(
      b, arith::AndIOp::create(b, keep, inRange),
      arith::ConstantFloatOp::create(b, cast<FloatType>(f32), APFloat(1.0f)),
      arith::ConstantFloatOp::create(b, cast<FloatType>(f32), APFloat(0.0f)));
  memref::StoreOp::create(b, flag, maskTile, key);
}

std::pair<Value, Value>
mlir::effattn::getBlockRows(ImplicitLocOpBuilder &b,
                            const AttentionKernelOperands &ops, Value block) {
  Value batch = arith::DivUIOp::create(b, block, ops.rowTiles);
  Value rowTile = arith::RemUIOp::create(b, block, ops.rowTiles);
  if (ops.causal && !ops.blocks) {
    Value last = arith::SubIOp::create(b, ops.rowTiles,
                                       arith::ConstantIndexOp::create(b, 1));
    rowTile = arith::SubIOp::create(b, last, rowTile);
  }
  return {batch, rowTile};
}

Value mlir::effattn::buildShownKeyRange(ImplicitLocOpBuilder &b, Value mask,
                                        Value batch, Value m,
                                        int64_t warpSize) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, v);
  };
  Value range = memref::AllocOp::create(
      b, MemRefType::get({ShapedType::kDynamic, 2}, b.getIndexType()),
      ValueRange{batch});
  Value one = index(1);
  auto launch =
      gpu::LaunchOp::create(b, batch, one, one, index(warpSize), one, one);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  Value element = launch.getBlockIds().x, lane = launch.getThreadIds().x;
  // Each lane strides over the keys: (first, end) of those it sees shown.
  auto keys =
      scf::ForOp::create(b, lane, m, index(warpSize), ValueRange{m, index(0)});
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(keys.getBody());
    Value key = keys.getInductionVar();
    Value shown = memref::LoadOp::create(b, mask, ValueRange{element, key});
    Value first = keys.getRegionIterArgs()[0],
          end = keys.getRegionIterArgs()[1];
    scf::YieldOp::create(
        b,
        ValueRange{arith::SelectOp::create(
                       b, shown, arith::MinUIOp::create(b, first, key), first),
                   arith::SelectOp::create(
                       b, shown,
                       arith::MaxUIOp::create(
                           b, end, arith::AddIOp::create(b, key, one)),
                       end)});
  }
  // Butterfly shuffles combine the lanes' ranges in 32 bits: keys past
  // 2^31 - 1 (never seen in practice) would need wider shuffles.
  Type i32 = b.getI32Type();
  Value first = arith::IndexCastUIOp::create(b, i32, keys.getResult(0));
  Value end = arith::IndexCastUIOp::create(b, i32, keys.getResult(1));
  Value width = arith::ConstantIntOp::create(b, warpSize, 32);
  for (int64_t offset = warpSize / 2; offset > 0; offset /= 2) {
    Value distance = arith::ConstantIntOp::create(b, offset, 32);
    first = arith::MinUIOp::create(
        b, first,
        gpu::ShuffleOp::create(b, first, distance, width, gpu::ShuffleMode::XOR)
            .getShuffleResult());
    end = arith::MaxUIOp::create(
        b, end,
        gpu::ShuffleOp::create(b, end, distance, width, gpu::ShuffleMode::XOR)
            .getShuffleResult());
  }
  Value isFirstLane =
      arith::CmpIOp::create(b, arith::CmpIPredicate::eq, lane, index(0));
  auto store = scf::IfOp::create(b, isFirstLane, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(&store.getThenRegion().front());
    Value shownRange[] = {first, end};
    for (auto [column, value] : llvm::enumerate(shownRange))
      memref::StoreOp::create(
          b, arith::IndexCastUIOp::create(b, b.getIndexType(), value), range,
          ValueRange{element, index(column)});
  }
  gpu::TerminatorOp::create(b);
  return range;
}

std::pair<Value, Value>
mlir::effattn::getKeysToVisit(ImplicitLocOpBuilder &b,
                              const AttentionKernelOperands &ops, Value batch,
                              Value firstRow, int64_t rows) {
  Value zero = arith::ConstantIndexOp::create(b, 0);
  if (ops.blocks || (!ops.causal && !ops.mask))
    return {zero, ops.m};
  Value firstPosition = arith::AddIOp::create(b, firstRow, ops.queryOffset);
  Value end = ops.m;
  if (ops.causal)
    end = arith::MinUIOp::create(
        b, end,
        arith::AddIOp::create(b, firstPosition,
                              arith::ConstantIndexOp::create(b, rows)));
  if (!ops.mask)
    return {zero, end};
  auto shownKey = [&](int64_t column) -> Value {
    return memref::LoadOp::create(
        b, ops.shownKeys,
        ValueRange{batch, arith::ConstantIndexOp::create(b, column)});
  };
  Value firstShown = shownKey(0), endShown = shownKey(1);
  // endShown is 0 when the mask shows no key.
  Value everyRowSees =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ne, endShown, zero);
  if (ops.causal)
    everyRowSees = arith::AndIOp::create(
        b, everyRowSees,
        arith::CmpIOp::create(b, arith::CmpIPredicate::ule, firstShown,
                              firstPosition));
  return {arith::SelectOp::create(b, everyRowSees, firstShown, zero),
          arith::SelectOp::create(b, everyRowSees,
                                  arith::MinUIOp::create(b, end, endShown),
                                  ops.m)};
}

Value mlir::effattn::maskScore(ImplicitLocOpBuilder &b,
                               const AttentionKernelOperands &ops, Value score,
                               Value hiddenScore, Value firstKey, Value key,
                               Value causalLimit, Value maskTile,
                               int64_t keysPerTile) {
  FloatType f32 = b.getF32Type();
  Value absolute = arith::AddIOp::create(b, firstKey, key);
  Value visible;
  if (maskTile)
    visible = arith::CmpFOp::create(
        b, arith::CmpFPredicate::ONE, memref::LoadOp::create(b, maskTile, key),
        arith::ConstantFloatOp::create(b, f32, APFloat(0.0f)));
  if (causalLimit) {
    Value inWindow = arith::CmpIOp::create(b, arith::CmpIPredicate::ule,
                                           absolute, causalLimit);
    visible = visible ? arith::AndIOp::create(b, visible, inWindow) : inWindow;
  }
  if (visible)
    score = arith::SelectOp::create(b, visible, score, hiddenScore);
  if (!ShapedType::isDynamic(ops.staticM) && ops.staticM % keysPerTile == 0)
    return score;
  // Keys past M (a tile's zero padding) weigh nothing.
  Value inRange =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, absolute, ops.m);
  return arith::SelectOp::create(
      b, inRange, score,
      arith::ConstantFloatOp::create(
          b, f32, APFloat(-std::numeric_limits<float>::infinity())));
}

Value mlir::effattn::getSharedBuffer(ImplicitLocOpBuilder &b, ModuleOp module,
                                     StringRef prefix, MemRefType type) {
  std::string name = prefix.str();
  for (int i = 1; module.lookupSymbol(name); ++i)
    name = (prefix + "_" + Twine(i)).str();
  OpBuilder::InsertPoint insertionPoint = b.saveInsertionPoint();
  b.setInsertionPointToStart(module.getBody());
  memref::GlobalOp::create(b, name, b.getStringAttr("private"), type,
                           /*initial_value=*/b.getUnitAttr(),
                           /*constant=*/false, b.getI64IntegerAttr(16));
  b.restoreInsertionPoint(insertionPoint);
  return memref::GetGlobalOp::create(b, type, name);
}

Value mlir::effattn::getReadBuffer(ImplicitLocOpBuilder &b, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

Value mlir::effattn::allocateLike(ImplicitLocOpBuilder &b,
                                  RankedTensorType type, Value like) {
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(tensor::DimOp::create(b, like, i));
  return memref::AllocOp::create(
      b, MemRefType::get(type.getShape(), type.getElementType()), dynamicSizes);
}

/// Creates the launch of `blocks` × config's threads of a kernel of the
/// module of `op`, with the tensor-core kernel's dynamic shared memory.
static gpu::LaunchOp
createAttentionLaunch(ImplicitLocOpBuilder &b, Operation *op, Value blocks,
                      const AttentionKernelConfig &config) {
  op->getParentOfType<ModuleOp>()->setAttr(
      gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value threads = arith::ConstantIndexOp::create(b, config.threadsPerBlock());
  Value dynamicSharedMemory =
      config.kind == AttentionKernelKind::TensorCore
          ? arith::ConstantIntOp::create(b, config.sharedMemoryBytes, 32)
                .getResult()
          : Value();
  return gpu::LaunchOp::create(b, blocks, one, one, threads, one, one,
                               dynamicSharedMemory);
}

namespace {
/// Replaces effattn.attention on tensors by a flash-attention gpu.launch on
/// its buffers.
struct AttentionToGPU : OpRewritePattern<AttentionOp> {
  AttentionToGPU(MLIRContext *context, GpuTargetAttr target, int64_t warpRows,
                 bool f32OnTensorCores)
      : OpRewritePattern(context), target(target), warpRows(warpRows),
        f32OnTensorCores(f32OnTensorCores) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType queryType = op.getQueryType();
    auto valueType = cast<RankedTensorType>(op.getValue().getType());
    int64_t d = queryType.getShape().back(), e = valueType.getShape().back();
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(e))
      return op.emitOpError("needs static head dimensions D and E on the GPU");
    std::string reason;
    Type elementType = queryType.getElementType();
    FailureOr<AttentionKernelConfig> config = chooseAttentionKernelConfig(
        target, d, e, elementType, reason, warpRows, f32OnTensorCores);
    if (failed(config))
      return op.emitOpError("does not fit ")
             << target.getChip() << ": " << reason;

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto toBuffer = [&](Value tensor) { return getReadBuffer(b, tensor); };
    AttentionKernelOperands ops;
    ops.d = d;
    ops.e = e;
    ops.elementType = elementType;
    ops.query = collapseBatch(b, toBuffer(op.getQuery()));
    ops.key = collapseBatch(b, toBuffer(op.getKey()));
    ops.value = collapseBatch(b, toBuffer(op.getValue()));
    ops.mask =
        op.getMask() ? collapseMaskBatch(b, toBuffer(op.getMask())) : Value();
    // The result gets a new buffer: attention never reads `init`.
    RankedTensorType resultType = op.getInitType();
    Value resultBuffer = allocateLike(b, resultType, op.getInit());
    ops.result = collapseBatch(b, resultBuffer);

    ops.n = memref::DimOp::create(b, ops.query, 1);
    ops.m = memref::DimOp::create(b, ops.key, 1);
    ops.staticM = cast<MemRefType>(ops.key.getType()).getDimSize(1);
    Value batch = memref::DimOp::create(b, ops.query, 0);
    Value rows = arith::ConstantIndexOp::create(b, config->rowsPerBlock);
    ops.rowTiles = arith::CeilDivUIOp::create(b, ops.n, rows);
    ops.queryOffset = op.getQueryOffset()
                          ? op.getQueryOffset()
                          : Value(arith::ConstantIndexOp::create(b, 0));
    ops.scale = static_cast<float>(*op.getStaticScale());
    ops.causal = op.getCausal();
    if (ops.mask)
      ops.shownKeys =
          buildShownKeyRange(b, ops.mask, batch, ops.m, target.getWarpSize());

    auto launch = createAttentionLaunch(
        b, op, arith::MulIOp::create(b, batch, ops.rowTiles), *config);
    auto module = op->getParentOfType<ModuleOp>();
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      if (config->kind == AttentionKernelKind::TensorCore)
        buildMmaAttentionKernel(b, launch, *config, ops);
      else
        buildSimtAttentionKernel(b, module, launch, *config, ops,
                                 target.getWarpSize());
    }
    rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
        op, resultType, resultBuffer, /*restrict=*/true, /*writable=*/true);
    return success();
  }

  GpuTargetAttr target;
  int64_t warpRows;
  bool f32OnTensorCores;
};

/// Replaces effattn.block_sparse_attention on tensors by a flash kernel over
/// listed key blocks (tensor cores or SIMT): one block of threads per (batch
/// element, block row), key tiles of one key block. Where the kernel does not
/// apply (dynamic head dimensions, a block size that is not a multiple of the
/// kernel's chunk of keys, a block row of threads or a key block too large
/// for the target), the op is decomposed instead (one thread per query row).
struct BlockSparseAttentionToGPU : OpRewritePattern<BlockSparseAttentionOp> {
  BlockSparseAttentionToGPU(MLIRContext *context, GpuTargetAttr target,
                            bool f32OnTensorCores)
      : OpRewritePattern(context), target(target),
        f32OnTensorCores(f32OnTensorCores) {}

  /// The configuration with a block row of queries per block and one key
  /// block per tile, or failure: tensor cores for f16 and bf16 where the
  /// target, the head sizes and the block size allow (and each row lists at
  /// least one slot: the kernel prefetches the next listed block), else
  /// SIMT.
  FailureOr<AttentionKernelConfig> chooseConfig(BlockSparseAttentionOp op,
                                                int64_t d, int64_t e) const {
    int64_t blockSize = op.getBlockSize();
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(e))
      return failure();
    std::string reason;
    int64_t slots = op.getColumns().getType().getDimSize(2);
    Type elementType = op.getQuery().getType().getElementType();
    if (hasMmaKernel(target, d, e, elementType, f32OnTensorCores) &&
        blockSize % 16 == 0 && !ShapedType::isDynamic(slots) && slots > 0) {
      FailureOr<AttentionKernelConfig> mma = chooseMmaConfig(
          target, d, e, elementType, kMmaRowsPerWarp, reason, blockSize);
      if (succeeded(mma))
        return mma;
    }
    FailureOr<AttentionKernelConfig> config = chooseAttentionKernelConfig(
        target, d, e, Float32Type::get(getContext()), reason, /*warpRows=*/0,
        /*f32OnTensorCores=*/false);
    if (failed(config) || config->kind != AttentionKernelKind::Simt ||
        blockSize % config->keysPerChunk != 0)
      return failure();
    config->rowsPerBlock = blockSize;
    config->threads = blockSize * config->groupSize;
    config->keysPerTile = blockSize;
    config->sharedMemoryBytes = blockSize * (d + e + 1) * 4;
    if (config->threads > target.getMaxThreadsPerBlock() ||
        config->sharedMemoryBytes > getSimtSharedMemoryBudget(target))
      return failure();
    return config;
  }

  LogicalResult matchAndRewrite(BlockSparseAttentionOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType queryType = op.getQuery().getType();
    int64_t d = queryType.getDimSize(2);
    int64_t e = op.getValue().getType().getDimSize(2);
    FailureOr<AttentionKernelConfig> config = chooseConfig(op, d, e);
    if (failed(config)) {
      FailureOr<SmallVector<Value>> decomposed =
          op.decomposeOperation(rewriter);
      if (failed(decomposed))
        return failure();
      rewriter.replaceOp(op, *decomposed);
      return success();
    }

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto toBuffer = [&](Value tensor) {
      return tensor ? getReadBuffer(b, tensor) : Value();
    };
    AttentionKernelOperands ops;
    ops.d = d;
    ops.e = e;
    ops.elementType = queryType.getElementType();
    ops.query = toBuffer(op.getQuery());
    ops.key = toBuffer(op.getKey());
    ops.value = toBuffer(op.getValue());
    ops.mask = toBuffer(op.getMask());
    RankedTensorType resultType = op.getType();
    Value resultBuffer = allocateLike(b, resultType, op.getValue());
    ops.result = resultBuffer;
    ops.n = memref::DimOp::create(b, ops.query, 1);
    ops.m = ops.n;
    // Every tile is a whole key block: no key range checks.
    ops.staticM = queryType.getDimSize(1);
    ops.rowTiles = arith::ConstantIndexOp::create(b, op.getNumBlockRows());
    ops.queryOffset = arith::ConstantIndexOp::create(b, 0);
    ops.scale = 0;
    ops.causal = false;
    ops.blocks = AttentionKernelOperands::BlockList{
        toBuffer(op.getColumns()), toBuffer(op.getCounts()),
        toBuffer(op.getLoNum()),   toBuffer(op.getLoDen()),
        toBuffer(op.getLoMax()),   op.getScale()};

    Value batch = memref::DimOp::create(b, ops.query, 0);
    auto launch = createAttentionLaunch(
        b, op, arith::MulIOp::create(b, batch, ops.rowTiles), *config);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      if (config->kind == AttentionKernelKind::TensorCore)
        buildMmaAttentionKernel(b, launch, *config, ops);
      else
        buildSimtAttentionKernel(b, op->getParentOfType<ModuleOp>(), launch,
                                 *config, ops, target.getWarpSize());
    }
    rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
        op, resultType, resultBuffer, /*restrict=*/true, /*writable=*/true);
    return success();
  }

  GpuTargetAttr target;
  bool f32OnTensorCores;
};
} // namespace

FailureOr<bool> mlir::effattn::parseF32Contractions(ModuleOp module,
                                                    StringRef pass,
                                                    StringRef value) {
  if (value == "3xtf32")
    return true;
  if (value == "fma")
    return false;
  return module.emitError()
         << pass << ": f32-contractions must be 3xtf32 or fma, not '" << value
         << "'";
}

void mlir::effattn::populateEffAttnToGPUPatterns(RewritePatternSet &patterns,
                                                 GpuTargetAttr target,
                                                 int64_t warpRows,
                                                 bool f32OnTensorCores) {
  patterns.add<AttentionToGPU>(patterns.getContext(), target, warpRows,
                               f32OnTensorCores);
  patterns.add<BlockSparseAttentionToGPU>(patterns.getContext(), target,
                                          f32OnTensorCores);
  populateKthLargestToGPUPatterns(patterns, target);
}
