//===- AttentionKernel.cpp - attention as a flash kernel --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact attention on the GPU in flash form: one block per tile of query rows
// and batch element, keys and values streamed through shared memory, an
// online softmax in registers, no N×M buffer. Arithmetic is f32 whatever the
// element type, like the CPU decomposition.
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

/// The score of a key hidden by the mask or the causal window (the authors'
/// replacement constant, as in the CPU decomposition).
static constexpr float kMaskedScore = -1e9f;

/// Threads per block the model aims for: 8 warps.
static constexpr int64_t kThreadsPerBlock = 256;

/// Query and accumulator values a thread keeps in registers (D/G + E/G).
static constexpr int64_t kValuesPerThread = 64;

/// Registers besides the query, accumulator and scores: addresses, loop
/// counters, the running max and sum.
static constexpr int64_t kOverheadRegisters = 32;

FailureOr<AttentionKernelConfig>
mlir::effattn::chooseAttentionKernelConfig(GpuTargetAttr target, int64_t d,
                                           int64_t e, std::string &reason) {
  AttentionKernelConfig config;
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

  // Key and value tiles in f32 plus one mask flag per key; keep two blocks
  // per SM and within the static shared-memory limit.
  int64_t bytesPerKey = (d + e + 1) * 4;
  int64_t budget = std::min<int64_t>(kStaticSharedMemoryLimit,
                                     target.getSharedMemoryPerSm() / 2);
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

namespace {
/// Builds the kernel of one effattn.attention into a gpu.launch.
class AttentionKernelBuilder {
public:
  AttentionKernelBuilder(ImplicitLocOpBuilder &b,
                         const AttentionKernelConfig &config, int64_t d,
                         int64_t e, Type elementType, int32_t warpSize)
      : b(b), config(config), d(d), e(e), warpSize(warpSize),
        elementType(elementType), f32(b.getF32Type()),
        vectorType(VectorType::get({config.vectorWidth}, b.getF32Type())),
        elementVectorType(VectorType::get({config.vectorWidth}, elementType)) {}

  /// Operands of the kernel, all defined before the launch.
  struct Operands {
    /// [batch, N, D], [batch, M, D], [batch, M, E], [batch, N, E].
    Value query, key, value, result;
    /// [batch, M] (i1) or null.
    Value mask;
    /// Index: N, M, number of query-row tiles, causal offset.
    Value n, m, rowTiles, queryOffset;
    float scale;
    bool causal;
  };

  /// Fills the body of `launch` from the builder's insertion point on;
  /// `keyTile`, `valueTile` and `maskTile` are the shared-memory buffers.
  void build(gpu::LaunchOp launch, const Operands &ops, Value keyTile,
             Value valueTile, Value maskTile);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Constant(float v) {
    return arith::ConstantFloatOp::create(b, f32, APFloat(v));
  }
  Value splat(Value scalar) {
    return vector::BroadcastOp::create(b, vectorType, scalar);
  }
  /// Loads `vectorWidth` elements of `memref` at `indices` as f32.
  Value loadVector(Value memref, ValueRange indices, bool shared);
  /// Loads row `row` of a [batch, rows, cols] operand into a shared tile:
  /// the block's threads copy `keysPerTile` rows, zero past `rows`.
  void loadTile(Value source, Value batch, Value firstRow, Value rows,
                int64_t cols, Value tile, Value thread);

  ImplicitLocOpBuilder &b;
  const AttentionKernelConfig &config;
  int64_t d, e;
  int32_t warpSize;
  Type elementType;
  FloatType f32;
  VectorType vectorType, elementVectorType;
};
} // namespace

Value AttentionKernelBuilder::loadVector(Value memref, ValueRange indices,
                                         bool shared) {
  if (shared) {
    // Tiles are 16-byte aligned and rows are multiples of the vector width.
    return vector::LoadOp::create(b, vectorType, memref, indices,
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(config.vectorWidth * 4));
  }
  Value v = vector::LoadOp::create(b, elementVectorType, memref, indices);
  return elementType == f32 ? v : arith::ExtFOp::create(b, vectorType, v);
}

void AttentionKernelBuilder::loadTile(Value source, Value batch, Value firstRow,
                                      Value rows, int64_t cols, Value tile,
                                      Value thread) {
  int64_t vectorsPerRow = cols / config.vectorWidth;
  Value zero =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  auto loop =
      scf::ForOp::create(b, thread, index(config.keysPerTile * vectorsPerRow),
                         index(config.threadsPerBlock()));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value iv = loop.getInductionVar();
  Value key = arith::DivUIOp::create(b, iv, index(vectorsPerRow));
  Value col = arith::MulIOp::create(
      b, arith::RemUIOp::create(b, iv, index(vectorsPerRow)),
      index(config.vectorWidth));
  Value row = arith::AddIOp::create(b, firstRow, key);
  Value inRange =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, rows);
  auto load = scf::IfOp::create(b, vectorType, inRange, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard thenGuard(b);
    b.setInsertionPointToStart(load.thenBlock());
    scf::YieldOp::create(
        b, loadVector(source, ValueRange{batch, row, col}, /*shared=*/false));
    b.setInsertionPointToStart(load.elseBlock());
    scf::YieldOp::create(b, zero);
  }
  vector::StoreOp::create(b, load.getResult(0), tile, ValueRange{key, col},
                          /*nontemporal=*/false,
                          llvm::MaybeAlign(config.vectorWidth * 4));
}

void AttentionKernelBuilder::build(gpu::LaunchOp launch, const Operands &ops,
                                   Value keyTile, Value valueTile,
                                   Value maskTile) {
  int64_t width = config.vectorWidth, group = config.groupSize;
  int64_t queryVectors = d / (width * group),
          valueVectors = e / (width * group);

  Value thread = launch.getThreadIds().x;
  Value block = launch.getBlockIds().x;
  Value batch = arith::DivUIOp::create(b, block, ops.rowTiles);
  Value rowTile = arith::RemUIOp::create(b, block, ops.rowTiles);
  Value lane = arith::RemUIOp::create(b, thread, index(group));
  Value row = arith::AddIOp::create(
      b, arith::MulIOp::create(b, rowTile, index(config.rowsPerBlock)),
      arith::DivUIOp::create(b, thread, index(group)));
  Value rowValid =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, ops.n);
  // Rows past N compute on row 0 (every thread takes part in the barriers
  // and shuffles) and store nothing.
  Value loadRow = arith::SelectOp::create(b, rowValid, row, index(0));

  // The thread's columns: vector c covers columns (c·G + lane)·W + [0, W).
  auto column = [&](int64_t c) {
    return arith::MulIOp::create(
        b, arith::AddIOp::create(b, index(c * group), lane), index(width));
  };
  SmallVector<Value> query;
  Value scale = splat(f32Constant(ops.scale));
  for (int64_t c = 0; c < queryVectors; ++c)
    query.push_back(arith::MulFOp::create(
        b,
        loadVector(ops.query, ValueRange{batch, loadRow, column(c)},
                   /*shared=*/false),
        scale));

  Value zeroVector =
      arith::ConstantOp::create(b, vectorType, b.getZeroAttr(vectorType));
  SmallVector<Value> init{f32Constant(-std::numeric_limits<float>::infinity()),
                          f32Constant(0)};
  init.append(valueVectors, zeroVector);

  // for each tile of keys: stage K, V (and the mask) in shared memory.
  auto tiles =
      scf::ForOp::create(b, index(0), ops.m, index(config.keysPerTile), init);
  {
    OpBuilder::InsertionGuard tileGuard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value firstKey = tiles.getInductionVar();
    gpu::BarrierOp::create(b);
    loadTile(ops.key, batch, firstKey, ops.m, d, keyTile, thread);
    loadTile(ops.value, batch, firstKey, ops.m, e, valueTile, thread);
    if (ops.mask) {
      auto maskLoop = scf::ForOp::create(b, thread, index(config.keysPerTile),
                                         index(config.threadsPerBlock()));
      OpBuilder::InsertionGuard maskGuard(b);
      b.setInsertionPointToStart(maskLoop.getBody());
      Value key = maskLoop.getInductionVar();
      Value j = arith::AddIOp::create(b, firstKey, key);
      Value inRange =
          arith::CmpIOp::create(b, arith::CmpIPredicate::ult, j, ops.m);
      Value clamped = arith::SelectOp::create(b, inRange, j, index(0));
      Value keep =
          memref::LoadOp::create(b, ops.mask, ValueRange{batch, clamped});
      Value flag =
          arith::SelectOp::create(b, arith::AndIOp::create(b, keep, inRange),
                                  f32Constant(1), f32Constant(0));
      memref::StoreOp::create(b, flag, maskTile, key);
    }
    gpu::BarrierOp::create(b);

    Value keysHere =
        arith::MinUIOp::create(b, index(config.keysPerTile),
                               arith::SubIOp::create(b, ops.m, firstKey));
    auto chunks =
        scf::ForOp::create(b, index(0), keysHere, index(config.keysPerChunk),
                           tiles.getRegionIterArgs());
    {
      OpBuilder::InsertionGuard chunkGuard(b);
      b.setInsertionPointToStart(chunks.getBody());
      Value firstInChunk = chunks.getInductionVar();
      ValueRange carried = chunks.getRegionIterArgs();
      Value runningMax = carried[0], runningSum = carried[1];
      SmallVector<Value> acc(carried.drop_front(2));

      // Scores of the chunk's keys: the group's partial dot products summed
      // with xor shuffles, so that every lane of the group holds them.
      SmallVector<Value> scores, keys;
      Value causalLimit =
          ops.causal ? arith::AddIOp::create(b, row, ops.queryOffset) : Value();
      for (int64_t k = 0; k < config.keysPerChunk; ++k) {
        Value key = arith::AddIOp::create(b, firstInChunk, index(k));
        keys.push_back(key);
        Value dot = zeroVector;
        for (int64_t c = 0; c < queryVectors; ++c)
          dot = vector::FMAOp::create(
              b, query[c],
              loadVector(keyTile, ValueRange{key, column(c)}, /*shared=*/true),
              dot);
        Value score =
            vector::ReductionOp::create(b, vector::CombiningKind::ADD, dot);
        for (int64_t offset = group / 2; offset >= 1; offset /= 2) {
          // All lanes of the warp take part; lane ^ offset stays in the
          // group (groups are aligned and offset < G).
          Value other = gpu::ShuffleOp::create(b, score, offset, warpSize,
                                               gpu::ShuffleMode::XOR)
                            .getShuffleResult();
          score = arith::AddFOp::create(b, score, other);
        }
        Value j = arith::AddIOp::create(b, firstKey, key);
        Value visible;
        if (ops.mask)
          visible = arith::CmpFOp::create(
              b, arith::CmpFPredicate::ONE,
              memref::LoadOp::create(b, maskTile, key), f32Constant(0));
        if (ops.causal) {
          Value inWindow = arith::CmpIOp::create(b, arith::CmpIPredicate::ule,
                                                 j, causalLimit);
          visible =
              visible ? arith::AndIOp::create(b, visible, inWindow) : inWindow;
        }
        if (visible)
          score = arith::SelectOp::create(b, visible, score,
                                          f32Constant(kMaskedScore));
        // Keys past M (the tile's zero padding) weigh nothing.
        Value inRange =
            arith::CmpIOp::create(b, arith::CmpIPredicate::ult, j, ops.m);
        scores.push_back(arith::SelectOp::create(
            b, inRange, score,
            f32Constant(-std::numeric_limits<float>::infinity())));
      }

      // Online softmax: rescale once per chunk.
      Value chunkMax = scores.front();
      for (Value score : ArrayRef(scores).drop_front())
        chunkMax = arith::MaximumFOp::create(b, chunkMax, score);
      Value newMax = arith::MaximumFOp::create(b, runningMax, chunkMax);
      Value correction =
          math::ExpOp::create(b, arith::SubFOp::create(b, runningMax, newMax));
      Value sum = arith::MulFOp::create(b, runningSum, correction);
      Value correctionVector = splat(correction);
      for (Value &a : acc)
        a = arith::MulFOp::create(b, a, correctionVector);
      for (auto [key, score] : llvm::zip(keys, scores)) {
        Value weight =
            math::ExpOp::create(b, arith::SubFOp::create(b, score, newMax));
        sum = arith::AddFOp::create(b, sum, weight);
        Value weightVector = splat(weight);
        for (int64_t c = 0; c < valueVectors; ++c)
          acc[c] = vector::FMAOp::create(b, weightVector,
                                         loadVector(valueTile,
                                                    ValueRange{key, column(c)},
                                                    /*shared=*/true),
                                         acc[c]);
      }
      SmallVector<Value> yielded{newMax, sum};
      yielded.append(acc);
      scf::YieldOp::create(b, yielded);
    }
    scf::YieldOp::create(b, chunks.getResults());
  }

  // result = acc / sum in the element type, for rows below N.
  auto store = scf::IfOp::create(b, rowValid, /*withElse=*/false);
  {
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(store.thenBlock());
    Value inverse =
        splat(arith::DivFOp::create(b, f32Constant(1), tiles.getResult(1)));
    for (int64_t c = 0; c < valueVectors; ++c) {
      Value out = arith::MulFOp::create(b, tiles.getResult(2 + c), inverse);
      if (elementType != f32)
        out = arith::TruncFOp::create(b, elementVectorType, out);
      vector::StoreOp::create(b, out, ops.result,
                              ValueRange{batch, row, column(c)});
    }
  }
  gpu::TerminatorOp::create(b);
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

/// Returns a private workgroup-memory global of `type` in `module`, named
/// after `prefix`, 16-byte aligned (the kernel loads 16-byte vectors).
static Value getSharedBuffer(ImplicitLocOpBuilder &b, ModuleOp module,
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

namespace {
/// Replaces effattn.attention on tensors by a flash-attention gpu.launch on
/// its buffers.
struct AttentionToGPU : OpRewritePattern<AttentionOp> {
  AttentionToGPU(MLIRContext *context, GpuTargetAttr target)
      : OpRewritePattern(context), target(target) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType queryType = op.getQueryType();
    auto valueType = cast<RankedTensorType>(op.getValue().getType());
    int64_t d = queryType.getShape().back(), e = valueType.getShape().back();
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(e))
      return op.emitOpError("needs static head dimensions D and E on the GPU");
    std::string reason;
    FailureOr<AttentionKernelConfig> config =
        chooseAttentionKernelConfig(target, d, e, reason);
    if (failed(config))
      return op.emitOpError("does not fit ")
             << target.getChip() << ": " << reason;

    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto toBuffer = [&](Value tensor) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType());
      return bufferization::ToBufferOp::create(
          b, MemRefType::get(type.getShape(), type.getElementType()), tensor,
          /*read_only=*/true);
    };
    AttentionKernelBuilder::Operands ops;
    ops.query = collapseBatch(b, toBuffer(op.getQuery()));
    ops.key = collapseBatch(b, toBuffer(op.getKey()));
    ops.value = collapseBatch(b, toBuffer(op.getValue()));
    ops.mask =
        op.getMask() ? collapseMaskBatch(b, toBuffer(op.getMask())) : Value();
    // The result gets a new buffer: attention never reads `init`.
    RankedTensorType resultType = op.getInitType();
    SmallVector<Value> dynamicSizes;
    for (int64_t i = 0; i < resultType.getRank(); ++i)
      if (resultType.isDynamicDim(i))
        dynamicSizes.push_back(tensor::DimOp::create(b, op.getInit(), i));
    Value resultBuffer = memref::AllocOp::create(
        b, MemRefType::get(resultType.getShape(), resultType.getElementType()),
        dynamicSizes);
    ops.result = collapseBatch(b, resultBuffer);

    ops.n = memref::DimOp::create(b, ops.query, 1);
    ops.m = memref::DimOp::create(b, ops.key, 1);
    Value batch = memref::DimOp::create(b, ops.query, 0);
    Value rows = arith::ConstantIndexOp::create(b, config->rowsPerBlock);
    ops.rowTiles = arith::CeilDivUIOp::create(b, ops.n, rows);
    ops.queryOffset = op.getQueryOffset()
                          ? op.getQueryOffset()
                          : Value(arith::ConstantIndexOp::create(b, 0));
    ops.scale = static_cast<float>(*op.getStaticScale());
    ops.causal = op.getCausal();

    auto module = op->getParentOfType<ModuleOp>();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
    Attribute workgroup = gpu::AddressSpaceAttr::get(
        b.getContext(), gpu::AddressSpace::Workgroup);
    auto tileType = [&](int64_t cols) {
      return MemRefType::get({config->keysPerTile, cols}, b.getF32Type(),
                             MemRefLayoutAttrInterface(), workgroup);
    };

    Value one = arith::ConstantIndexOp::create(b, 1);
    Value blocks = arith::MulIOp::create(b, batch, ops.rowTiles);
    Value threads =
        arith::ConstantIndexOp::create(b, config->threadsPerBlock());
    auto launch = gpu::LaunchOp::create(b, blocks, one, one, threads, one, one);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&launch.getBody().front());
      Value keyTile =
          getSharedBuffer(b, module, "__effattn_key_tile", tileType(d));
      Value valueTile =
          getSharedBuffer(b, module, "__effattn_value_tile", tileType(e));
      Value maskTile =
          ops.mask
              ? getSharedBuffer(
                    b, module, "__effattn_mask_tile",
                    MemRefType::get({config->keysPerTile}, b.getF32Type(),
                                    MemRefLayoutAttrInterface(), workgroup))
              : Value();
      AttentionKernelBuilder(b, *config, d, e, resultType.getElementType(),
                             target.getWarpSize())
          .build(launch, ops, keyTile, valueTile, maskTile);
    }
    rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
        op, resultType, resultBuffer, /*restrict=*/true, /*writable=*/true);
    return success();
  }

  GpuTargetAttr target;
};
} // namespace

void mlir::effattn::populateEffAttnToGPUPatterns(RewritePatternSet &patterns,
                                                 GpuTargetAttr target) {
  patterns.add<AttentionToGPU>(patterns.getContext(), target);
}
