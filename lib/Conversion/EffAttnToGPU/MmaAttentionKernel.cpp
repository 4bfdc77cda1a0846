//===- MmaAttentionKernel.cpp - attention on tensor cores -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact f16/bf16 attention in flash form on tensor cores (mma.sync
// m16n8k16, f32 accumulation). Each warp owns 16 query rows; per tile of 64
// keys staged in shared memory it computes the scores S = Q·Kᵀ as 8
// accumulator fragments, updates the online softmax on them (rows g and
// g + 8 of the fragment layout, reduced over the 4 lanes of a quad), and
// multiplies P·V reusing the score fragments as the A operand (an m16n8
// accumulator pair has the layout of an m16k16 A fragment).
//
// Fragment layouts (PTX ISA, mma.m16n8k16 .row.col), lane = 4·g + t:
//   A (16×16): a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 2t+8..),
//              a[3] = (g+8, 2t+8..)
//   B (16×8):  b[0] = (k = 2t..2t+1, n = g), b[1] = (k = 2t+8..2t+9, n = g)
//   C (16×8):  c[0] = (g, 2t..2t+1), c[1] = (g+8, 2t..2t+1)
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::effattn;

/// Rows of a shared tile are padded by 8 halves so that the 8 lanes reading
/// one column pair of 8 consecutive rows hit distinct banks.
static constexpr int64_t kRowPadding = 8;
/// mma.sync fragments are per warp of 32 lanes.
static constexpr int64_t kLanes = 32;
/// The unscaled score of a key the mask or the causal window hides.
static constexpr float kHiddenScore = -1073741824.0f; // -2^30

namespace {
/// Builds the tensor-core kernel of one effattn.attention.
class MmaKernelBuilder {
public:
  MmaKernelBuilder(ImplicitLocOpBuilder &b, const AttentionKernelConfig &config,
                   const AttentionKernelOperands &ops)
      : b(b), config(config), ops(ops), f16(cast<FloatType>(ops.elementType)),
        f32(b.getF32Type()), fragA(VectorType::get({4, 2}, f16)),
        fragB(VectorType::get({2, 2}, f16)),
        fragC(VectorType::get({2, 2}, f32)), pair(VectorType::get({2}, f16)) {}

  void build(gpu::LaunchOp launch, Value keyTiles, Value valueTiles,
             Value maskTile);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Constant(float v) {
    return arith::ConstantFloatOp::create(b, f32, APFloat(v));
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs ? arith::AddIOp::create(b, lhs, index(rhs)).getResult() : lhs;
  }
  /// Starts asynchronous copies (cp.async) of rows [firstRow, firstRow +
  /// keysPerTile) of a [batch, rows, cols] operand into stage `stage` of a
  /// padded [2, keysPerTile, cols + 8] f16 tile, 8 halves per copy, zeros
  /// past M; appends the copies' tokens to `tokens`.
  void copyTileAsync(Value source, Value batch, Value firstRow, int64_t cols,
                     Value tiles, Value stage, Value thread,
                     SmallVectorImpl<Value> &tokens);
  /// The sum (or max) of `value` over the 4 lanes of a quad.
  Value quadReduce(Value value, bool max);
  /// The B fragments of two adjacent n8 tiles from one ldmatrix.x4 of
  /// `tiles[stage]` at the lane's (row, col): registers 0-1 and 2-3.
  std::pair<Value, Value> loadBFragmentPair(Value tiles, Value stage, Value row,
                                            Value col, bool transpose) {
    Value fragments = nvgpu::LdMatrixOp::create(
        b, fragA, tiles, ValueRange{stage, row, col}, transpose,
        /*numTiles=*/4);
    SmallVector<Value, 2> pair;
    for (int64_t half = 0; half < 2; ++half) {
      SmallVector<Value, 4> halves;
      for (int64_t r = 2 * half; r < 2 * half + 2; ++r)
        for (int64_t c = 0; c < 2; ++c)
          halves.push_back(
              vector::ExtractOp::create(b, fragments, ArrayRef<int64_t>{r, c}));
      pair.push_back(vector::FromElementsOp::create(b, fragB, halves));
    }
    return {pair[0], pair[1]};
  }
  /// D = A·B + C for m16n8k16 fragments (f16 or bf16; bf16 is lowered by
  /// effattn-gpu-lower-bf16-mma).
  Value mma(Value a, Value bFragment, Value c) {
    return nvgpu::MmaSyncOp::create(b, a, bFragment, c,
                                    ArrayRef<int64_t>{16, 8, 16});
  }

  ImplicitLocOpBuilder &b;
  const AttentionKernelConfig &config;
  const AttentionKernelOperands &ops;
  FloatType f16, f32;
  VectorType fragA, fragB, fragC, pair;
};
} // namespace

void MmaKernelBuilder::copyTileAsync(Value source, Value batch, Value firstRow,
                                     int64_t cols, Value tiles, Value stage,
                                     Value thread,
                                     SmallVectorImpl<Value> &tokens) {
  int64_t width = config.vectorWidth;
  int64_t vectorsPerRow = cols / width;
  // keysPerTile · cols / 8 copies divide evenly among the threads (cols is a
  // multiple of 16).
  int64_t copiesPerThread =
      config.keysPerTile * vectorsPerRow / config.threadsPerBlock();
  Value lastRow = arith::SubIOp::create(b, ops.m, index(1));
  for (int64_t i = 0; i < copiesPerThread; ++i) {
    Value copy = add(thread, i * config.threadsPerBlock());
    Value key = arith::DivUIOp::create(b, copy, index(vectorsPerRow));
    Value col = arith::MulIOp::create(
        b, arith::RemUIOp::create(b, copy, index(vectorsPerRow)), index(width));
    Value row = arith::AddIOp::create(b, firstRow, key);
    Value inRange =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, ops.m);
    // Rows past M read row M - 1 with a source size of 0: zero fill.
    Value sourceRow = arith::MinUIOp::create(b, row, lastRow);
    Value sourceElements =
        arith::SelectOp::create(b, inRange, index(width), index(0));
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tiles,
        ValueRange{stage, key, col}, source, ValueRange{batch, sourceRow, col},
        b.getIndexAttr(width), sourceElements, b.getUnitAttr()));
  }
}

Value MmaKernelBuilder::quadReduce(Value value, bool max) {
  for (int32_t offset : {1, 2}) {
    Value other =
        gpu::ShuffleOp::create(b, value, offset, kLanes, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    value = max ? arith::MaximumFOp::create(b, value, other).getResult()
                : arith::AddFOp::create(b, value, other).getResult();
  }
  return value;
}

void MmaKernelBuilder::build(gpu::LaunchOp launch, Value keyTiles,
                             Value valueTiles, Value maskTile) {
  int64_t d = ops.d, e = ops.e, keysPerTile = config.keysPerTile;
  int64_t queryChunks = d / 16, scoreTiles = keysPerTile / 8,
          keyChunks = keysPerTile / 16, outputTiles = e / 8;

  Value thread = launch.getThreadIds().x;
  Value block = launch.getBlockIds().x;
  Value batch = arith::DivUIOp::create(b, block, ops.rowTiles);
  Value rowTile = arith::RemUIOp::create(b, block, ops.rowTiles);
  Value warp = arith::DivUIOp::create(b, thread, index(kLanes));
  Value lane = arith::RemUIOp::create(b, thread, index(kLanes));
  Value g = arith::DivUIOp::create(b, lane, index(4));
  Value t2 = arith::MulIOp::create(b, arith::RemUIOp::create(b, lane, index(4)),
                                   index(2));
  Value firstRow = arith::AddIOp::create(
      b, arith::MulIOp::create(b, rowTile, index(config.rowsPerBlock)),
      arith::MulIOp::create(b, warp, index(16)));
  // The lane's two rows (g and g + 8 of the warp's 16); rows past N load
  // row N - 1 and store nothing.
  Value lastRow = arith::SubIOp::create(b, ops.n, index(1));
  SmallVector<Value, 2> rows, rowValid, loadRows;
  for (int64_t r = 0; r < 2; ++r) {
    rows.push_back(add(arith::AddIOp::create(b, firstRow, g), 8 * r));
    rowValid.push_back(
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, rows[r], ops.n));
    loadRows.push_back(arith::MinUIOp::create(b, rows[r], lastRow));
  }

  // Q as A fragments, once.
  SmallVector<Value> query;
  for (int64_t c = 0; c < queryChunks; ++c) {
    SmallVector<Value, 8> halves;
    for (int64_t i = 0; i < 4; ++i) {
      Value col = add(t2, 16 * c + 8 * (i / 2));
      Value p = vector::LoadOp::create(b, pair, ops.query,
                                       ValueRange{batch, loadRows[i % 2], col});
      for (int64_t h = 0; h < 2; ++h)
        halves.push_back(vector::ExtractOp::create(b, p, h));
    }
    query.push_back(vector::FromElementsOp::create(b, fragA, halves));
  }

  Value negInf = f32Constant(-std::numeric_limits<float>::infinity());
  Value zeroC = arith::ConstantOp::create(b, fragC, b.getZeroAttr(fragC));
  SmallVector<Value> init{negInf, negInf, f32Constant(0), f32Constant(0)};
  init.append(outputTiles, zeroC);
  // Tiles alternate between two shared-memory stages: the copy of tile i+1
  // runs while tile i is multiplied.
  auto startCopies = [&](Value firstKey, Value stage) {
    SmallVector<Value> tokens;
    copyTileAsync(ops.key, batch, firstKey, d, keyTiles, stage, thread, tokens);
    copyTileAsync(ops.value, batch, firstKey, e, valueTiles, stage, thread,
                  tokens);
    return nvgpu::DeviceAsyncCreateGroupOp::create(
               b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens)
        .getResult();
  };
  Value firstGroup = startCopies(index(0), index(0));
  auto tiles = scf::ForOp::create(b, index(0), ops.m, index(keysPerTile), init);
  {
    OpBuilder::InsertionGuard tileGuard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value firstKey = tiles.getInductionVar();
    ValueRange carried = tiles.getRegionIterArgs();
    SmallVector<Value, 2> runningMax{carried[0], carried[1]};
    SmallVector<Value, 2> runningSum{carried[2], carried[3]};
    SmallVector<Value> acc(carried.drop_front(4));

    Value stage = arith::RemUIOp::create(
        b, arith::DivUIOp::create(b, firstKey, index(keysPerTile)), index(2));
    // Prefetch the next tile (zeros past M), then wait for this one.
    Value group = startCopies(add(firstKey, keysPerTile),
                              arith::SubIOp::create(b, index(1), stage));
    // At most one group (the prefetch) still in flight: this tile landed.
    nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(1));
    if (ops.mask)
      stageMaskFlags(b, ops, batch, firstKey, maskTile, thread, keysPerTile,
                     config.threadsPerBlock());
    gpu::BarrierOp::create(b);

    // S = Q·Kᵀ: B[k][n] = K[8j + n][16c + k], a column pair of one K row.
    // scores[j][r][h] is row g + 8r, key 8j + 2t + h of the tile.
    // Scores stay unscaled (the scale is positive, so maxima commute with it)
    // and the exponent folds scale·log2(e) and the max into one FMA:
    // p = 2^(s·scale·log2 e - max·scale·log2 e), as FlashAttention does.
    SmallVector<SmallVector<Value, 4>> scores;
    float exponentScale = ops.scale * static_cast<float>(M_LOG2E);
    Value scale2 = f32Constant(exponentScale);
    // Hidden keys score -2^30 before scaling, not kMaskedScore / scale: with
    // a power of two the FMA's product is exact, so a row whose keys are all
    // hidden (a masked first key under a causal window) gets weights of
    // exactly 1, the authors' uniform average. kMaskedScore / scale left the
    // product's rounding error (up to ±64 in the exponent) in the weights,
    // whose f16 copies for P·V overflowed to inf and made the row NaN
    // (found by emulation). A visible key still outweighs a hidden one
    // unless its own unscaled score is below about -2^30.
    Value hiddenScore = f32Constant(kHiddenScore);
    SmallVector<Value, 2> causalLimit;
    if (ops.causal)
      for (int64_t r = 0; r < 2; ++r)
        causalLimit.push_back(
            arith::AddIOp::create(b, rows[r], ops.queryOffset));
    // ldmatrix.x4 of K (keys × d, row-major) gives the B fragments of two
    // key tiles: lane l addresses key 8j + (l & 7) + 8·(l >> 4), column
    // 16c + 8·((l >> 3) & 1).
    Value keyRowInPair = arith::AddIOp::create(
        b, arith::RemUIOp::create(b, lane, index(8)),
        arith::MulIOp::create(b, arith::DivUIOp::create(b, lane, index(16)),
                              index(8)));
    Value keyColInChunk = arith::MulIOp::create(
        b,
        arith::RemUIOp::create(b, arith::DivUIOp::create(b, lane, index(8)),
                               index(2)),
        index(8));
    SmallVector<Value> tileS(scoreTiles, zeroC);
    for (int64_t j = 0; j < scoreTiles; j += 2) {
      for (int64_t c = 0; c < queryChunks; ++c) {
        auto [b0, b1] =
            loadBFragmentPair(keyTiles, stage, add(keyRowInPair, 8 * j),
                              add(keyColInChunk, 16 * c), /*transpose=*/false);
        tileS[j] = mma(query[c], b0, tileS[j]);
        tileS[j + 1] = mma(query[c], b1, tileS[j + 1]);
      }
    }
    for (int64_t j = 0; j < scoreTiles; ++j) {
      Value s = tileS[j];
      SmallVector<Value, 4> tileScores;
      for (int64_t r = 0; r < 2; ++r) {
        for (int64_t h = 0; h < 2; ++h) {
          Value key = add(t2, 8 * j + h);
          Value score =
              vector::ExtractOp::create(b, s, ArrayRef<int64_t>{r, h});
          tileScores.push_back(maskScore(
              b, ops, score, hiddenScore, firstKey, key,
              ops.causal ? causalLimit[r] : Value(), maskTile, keysPerTile));
        }
      }
      scores.push_back(tileScores);
    }

    // Online softmax per row, over the quad that holds the row.
    SmallVector<Value, 2> newMax, correction, negatedExponentMax;
    for (int64_t r = 0; r < 2; ++r) {
      Value rowMax = runningMax[r];
      for (ArrayRef<Value> tileScores : scores)
        for (int64_t h = 0; h < 2; ++h)
          rowMax = arith::MaximumFOp::create(b, rowMax, tileScores[2 * r + h]);
      newMax.push_back(quadReduce(rowMax, /*max=*/true));
      correction.push_back(math::Exp2Op::create(
          b,
          arith::MulFOp::create(
              b, arith::SubFOp::create(b, runningMax[r], newMax[r]), scale2)));
      negatedExponentMax.push_back(
          arith::MulFOp::create(b, newMax[r], f32Constant(-exponentScale)));
      runningSum[r] = arith::MulFOp::create(b, runningSum[r], correction[r]);
    }
    SmallVector<SmallVector<Value, 4>> weights;
    for (ArrayRef<Value> tileScores : scores) {
      SmallVector<Value, 4> tileWeights;
      for (int64_t r = 0; r < 2; ++r) {
        for (int64_t h = 0; h < 2; ++h) {
          Value w = math::Exp2Op::create(
              b, math::FmaOp::create(b, tileScores[2 * r + h], scale2,
                                     negatedExponentMax[r]));
          runningSum[r] = arith::AddFOp::create(b, runningSum[r], w);
          tileWeights.push_back(arith::TruncFOp::create(b, f16, w));
        }
      }
      weights.push_back(tileWeights);
    }
    Value rescale = vector::FromElementsOp::create(
        b, fragC,
        ValueRange{correction[0], correction[0], correction[1], correction[1]});
    for (Value &a : acc)
      a = arith::MulFOp::create(b, a, rescale);

    // O += P·V: the score fragments of key tiles 2k and 2k + 1 are the A
    // fragment of key chunk k. ldmatrix.x4.trans of V (keys × e) gives the
    // B fragments of two value tiles: lane l addresses key 16k + (l & 15),
    // column 8j + 8·(l >> 4).
    Value valueRowInChunk = arith::RemUIOp::create(b, lane, index(16));
    Value valueColInPair = arith::MulIOp::create(
        b, arith::DivUIOp::create(b, lane, index(16)), index(8));
    for (int64_t k = 0; k < keyChunks; ++k) {
      SmallVector<Value, 8> halves;
      for (int64_t half = 0; half < 2; ++half)
        llvm::append_range(halves, weights[2 * k + half]);
      Value p = vector::FromElementsOp::create(b, fragA, halves);
      for (int64_t j = 0; j < outputTiles; j += 2) {
        auto [b0, b1] =
            loadBFragmentPair(valueTiles, stage, add(valueRowInChunk, 16 * k),
                              add(valueColInPair, 8 * j),
                              /*transpose=*/true);
        acc[j] = mma(p, b0, acc[j]);
        acc[j + 1] = mma(p, b1, acc[j + 1]);
      }
    }
    SmallVector<Value> yielded{newMax[0], newMax[1], runningSum[0],
                               runningSum[1]};
    yielded.append(acc);
    // Everyone is done with this stage before the next prefetch refills it.
    gpu::BarrierOp::create(b);
    scf::YieldOp::create(b, yielded);
  }
  // The last prefetch (past M) must land before the block exits.
  nvgpu::DeviceAsyncWaitOp::create(b, firstGroup, b.getI32IntegerAttr(0));

  // result = O / l for rows below N: a row's sum is spread over its quad.
  for (int64_t r = 0; r < 2; ++r) {
    Value inverse = arith::DivFOp::create(
        b, f32Constant(1), quadReduce(tiles.getResult(2 + r), /*max=*/false));
    auto store = scf::IfOp::create(b, rowValid[r], /*withElse=*/false);
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(store.thenBlock());
    for (int64_t j = 0; j < outputTiles; ++j) {
      Value o = tiles.getResult(4 + j);
      SmallVector<Value, 2> halves;
      for (int64_t h = 0; h < 2; ++h)
        halves.push_back(arith::TruncFOp::create(
            b, f16,
            arith::MulFOp::create(
                b, vector::ExtractOp::create(b, o, ArrayRef<int64_t>{r, h}),
                inverse)));
      vector::StoreOp::create(
          b, vector::FromElementsOp::create(b, pair, halves), ops.result,
          ValueRange{batch, rows[r], add(t2, 8 * j)});
    }
  }
  gpu::TerminatorOp::create(b);
}

void mlir::effattn::buildMmaAttentionKernel(
    ImplicitLocOpBuilder &b, gpu::LaunchOp launch,
    const AttentionKernelConfig &config, const AttentionKernelOperands &ops) {
  // Two stages of K and V tiles and the mask flags, carved out of the
  // launch's dynamic shared memory (more than the 48 KiB a static array may
  // have for D = E = 128).
  Attribute workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Value base = gpu::DynamicSharedMemoryOp::create(
      b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                         MemRefLayoutAttrInterface(), workgroup));
  int64_t offset = 0;
  auto carve = [&](ArrayRef<int64_t> shape, Type type) {
    auto viewType =
        MemRefType::get(shape, type, MemRefLayoutAttrInterface(), workgroup);
    Value view = memref::ViewOp::create(
        b, viewType, base, arith::ConstantIndexOp::create(b, offset),
        ValueRange());
    int64_t bytes = type.getIntOrFloatBitWidth() / 8;
    for (int64_t size : shape)
      bytes *= size;
    offset += llvm::alignTo(bytes, 16);
    return view;
  };
  Type f16 = ops.elementType;
  Value keyTiles = carve({2, config.keysPerTile, ops.d + kRowPadding}, f16);
  Value valueTiles = carve({2, config.keysPerTile, ops.e + kRowPadding}, f16);
  Value maskTile =
      ops.mask ? carve({config.keysPerTile}, b.getF32Type()) : Value();
  assert(offset <= config.sharedMemoryBytes && "the model's budget is short");
  MmaKernelBuilder(b, config, ops)
      .build(launch, keyTiles, valueTiles, maskTile);
}
