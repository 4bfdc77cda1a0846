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
// accumulator pair has the layout of an m16k16 A fragment). The same kernel
// runs effattn.block_sparse_attention: a block of threads per block row,
// its key tiles the key blocks the row lists.
//
// Fragment layouts (PTX ISA, mma.m16n8k16 .row.col), lane = 4·g + t:
//   A (16×16): a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 2t+8..),
//              a[3] = (g+8, 2t+8..)
//   B (16×8):  b[0] = (k = 2t..2t+1, n = g), b[1] = (k = 2t+8..2t+9, n = g)
//   C (16×8):  c[0] = (g, 2t..2t+1), c[1] = (g+8, 2t..2t+1)
//
//===----------------------------------------------------------------------===//

#include "AttentionKernels.h"
#include "Tf32Mma.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

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

/// Rows of a shared tile are padded by 16 bytes (8 halves, 4 f32) so that
/// the 8 rows of 16 bytes an ldmatrix phase reads hit distinct banks. f32
/// value tiles, read one element per lane, are padded by 8 f32: lanes
/// (g, t) then read key t, column g from 32 distinct banks.
static constexpr int64_t kRowPaddingBytes = 16;
static constexpr int64_t kTf32ValuePadding = 8;
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
      : b(b), config(config), ops(ops),
        operandType(cast<FloatType>(ops.elementType)), f32(b.getF32Type()),
        tf32(ops.elementType.isF32()), kStep(tf32 ? 8 : 16),
        perRegister(tf32 ? 1 : 2),
        fragA(VectorType::get({4, perRegister}, operandType)),
        fragB(VectorType::get({2, perRegister}, operandType)),
        fragC(VectorType::get({2, 2}, f32)),
        pair(VectorType::get({2}, operandType)) {}

  void build(gpu::LaunchOp launch, Value queryTile, Value keyTiles,
             Value valueTiles, Value maskTile);

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32Constant(float v) {
    return arith::ConstantFloatOp::create(b, f32, APFloat(v));
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs ? arith::AddIOp::create(b, lhs, index(rhs)).getResult() : lhs;
  }
  Value loadIndex(Value memref, ValueRange indices) {
    return arith::IndexCastOp::create(
        b, b.getIndexType(), memref::LoadOp::create(b, memref, indices));
  }
  /// Starts asynchronous copies (cp.async) of rows [firstRow, firstRow +
  /// count) of a [batch, rows, cols] operand into a padded [count, cols + 8]
  /// tile (`tiles[stage]`, or `tiles` itself when `stage` is null), 8
  /// halves per copy, zeros from row `limit` on; appends the copies' tokens
  /// to `tokens`.
  void copyRowsAsync(Value source, Value batch, Value firstRow, int64_t count,
                     Value limit, int64_t cols, Value tiles, Value stage,
                     Value thread, SmallVectorImpl<Value> &tokens);
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
        for (int64_t c = 0; c < perRegister; ++c)
          halves.push_back(
              vector::ExtractOp::create(b, fragments, ArrayRef<int64_t>{r, c}));
      pair.push_back(vector::FromElementsOp::create(b, fragB, halves));
    }
    return {pair[0], pair[1]};
  }
  /// D = A·B + C for m16n8k16 fragments (f16 or bf16; bf16 is lowered by
  /// effattn-gpu-lower-bf16-mma), or m16n8k8 f32 fragments as 3xTF32.
  Value mma(Value a, Value bFragment, Value c) {
    if (tf32) {
      multiplyAdd3xTf32(b, a, bFragment, c, c);
      return c;
    }
    return nvgpu::MmaSyncOp::create(b, a, bFragment, c,
                                    ArrayRef<int64_t>{16, 8, 16});
  }
  /// The tf32 A fragment of P for keys [8j, 8j + 8) from the lane's
  /// weights of score tile j, `w` = (g, 2t), (g, 2t + 1), (g + 8, 2t),
  /// (g + 8, 2t + 1): the A layout wants (g, t), (g + 8, t), (g, t + 4),
  /// (g + 8, t + 4), which lanes 4g + t/2 and 4g + 2 + t/2 hold.
  Value relayoutWeights(ArrayRef<Value> w, Value lane);

  ImplicitLocOpBuilder &b;
  const AttentionKernelConfig &config;
  const AttentionKernelOperands &ops;
  /// The operand type (f16, bf16 or f32) and f32.
  FloatType operandType, f32;
  /// f32 operands: m16n8k8 tf32 fragments (3xTF32), k-steps of 8.
  bool tf32;
  int64_t kStep, perRegister;
  VectorType fragA, fragB, fragC, pair;
};
} // namespace

void MmaKernelBuilder::copyRowsAsync(Value source, Value batch, Value firstRow,
                                     int64_t count, Value limit, int64_t cols,
                                     Value tiles, Value stage, Value thread,
                                     SmallVectorImpl<Value> &tokens) {
  int64_t width = config.vectorWidth;
  int64_t vectorsPerRow = cols / width;
  // count · cols / 8 copies divide evenly among the threads (cols is a
  // multiple of 16, count one of the key tile or the block's rows).
  int64_t copiesPerThread = count * vectorsPerRow / config.threadsPerBlock();
  Value lastRow = arith::SubIOp::create(b, limit, index(1));
  for (int64_t i = 0; i < copiesPerThread; ++i) {
    Value copy = add(thread, i * config.threadsPerBlock());
    Value tileRow = arith::DivUIOp::create(b, copy, index(vectorsPerRow));
    Value col = arith::MulIOp::create(
        b, arith::RemUIOp::create(b, copy, index(vectorsPerRow)), index(width));
    Value row = arith::AddIOp::create(b, firstRow, tileRow);
    Value inRange =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, row, limit);
    // Rows from `limit` on read row limit - 1 with a source size of 0: zero
    // fill.
    Value sourceRow = arith::MinUIOp::create(b, row, lastRow);
    Value sourceElements =
        arith::SelectOp::create(b, inRange, index(width), index(0));
    SmallVector<Value, 3> tileIndices;
    if (stage)
      tileIndices.push_back(stage);
    tileIndices.append({tileRow, col});
    tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
        b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tiles, tileIndices,
        source, ValueRange{batch, sourceRow, col}, b.getIndexAttr(width),
        sourceElements, b.getUnitAttr()));
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

Value MmaKernelBuilder::relayoutWeights(ArrayRef<Value> w, Value lane) {
  Type i32 = b.getI32Type();
  Value firstLane = arith::AddIOp::create(
      b, arith::AndIOp::create(b, lane, index(~3)),
      arith::ShRUIOp::create(b, arith::AndIOp::create(b, lane, index(3)),
                             index(1)));
  Value odd =
      arith::CmpIOp::create(b, arith::CmpIPredicate::ne,
                            arith::AndIOp::create(b, lane, index(1)), index(0));
  Value width = arith::ConstantIntOp::create(b, i32, kLanes);
  SmallVector<Value, 4> elements;
  for (int64_t keyHalf = 0; keyHalf < 2; ++keyHalf) {
    Value source =
        arith::IndexCastOp::create(b, i32, add(firstLane, 2 * keyHalf));
    for (int64_t r = 0; r < 2; ++r) {
      // Row g + 8r, key t (+ 4): element t mod 2 of the source's pair.
      auto shuffled = [&](int64_t h) {
        return gpu::ShuffleOp::create(b, w[2 * r + h], source, width,
                                      gpu::ShuffleMode::IDX)
            .getShuffleResult();
      };
      Value even = shuffled(0), oddValue = shuffled(1);
      elements.push_back(arith::SelectOp::create(b, odd, oddValue, even));
    }
  }
  // Registers: (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4).
  return vector::FromElementsOp::create(b, fragA, elements);
}

void MmaKernelBuilder::build(gpu::LaunchOp launch, Value queryTile,
                             Value keyTiles, Value valueTiles, Value maskTile) {
  int64_t d = ops.d, e = ops.e, keysPerTile = config.keysPerTile;
  int64_t rowTiles = config.rowTilesPerWarp;
  int64_t queryChunks = d / kStep, scoreTiles = keysPerTile / 8,
          keyChunks = keysPerTile / kStep, outputTiles = e / 8;

  Value thread = launch.getThreadIds().x;
  Value block = launch.getBlockIds().x;
  Value batch, rowTile;
  std::tie(batch, rowTile) = getBlockRows(b, ops, block);
  Value warp = arith::DivUIOp::create(b, thread, index(kLanes));
  Value lane = arith::RemUIOp::create(b, thread, index(kLanes));
  Value g = arith::DivUIOp::create(b, lane, index(4));
  Value t2 = arith::MulIOp::create(b, arith::RemUIOp::create(b, lane, index(4)),
                                   index(2));
  Value blockFirstRow =
      arith::MulIOp::create(b, rowTile, index(config.rowsPerBlock));
  // The warp's first row within the block's tile.
  Value warpRow = arith::MulIOp::create(b, warp, index(16 * rowTiles));
  Value firstRow = arith::AddIOp::create(b, blockFirstRow, warpRow);
  // The lane's rows: g and g + 8 of each of the warp's m16 tiles, row
  // 2i + r being g + 8r of tile i. Rows past N load row N - 1 (or zeros)
  // and store nothing.
  Value lastRow = arith::SubIOp::create(b, ops.n, index(1));
  SmallVector<Value> rows, rowValid;
  for (int64_t i = 0; i < rowTiles; ++i) {
    for (int64_t r = 0; r < 2; ++r) {
      rows.push_back(
          add(arith::AddIOp::create(b, firstRow, g), 16 * i + 8 * r));
      rowValid.push_back(arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                                               rows.back(), ops.n));
    }
  }

  // Q as A fragments: loaded once into registers, or staged in shared
  // memory with the first key tile and loaded per k-step with ldmatrix.x4
  // (lane l addresses row l & 15, column 8·(l >> 4) of the 16 × 16 block).
  SmallVector<SmallVector<Value>> queryInRegisters(rowTiles);
  SmallVector<Value> queryTokens;
  if (config.queryInSharedMemory) {
    copyRowsAsync(ops.query, batch, blockFirstRow, config.rowsPerBlock, ops.n,
                  d, queryTile, /*stage=*/Value(), thread, queryTokens);
  } else {
    for (int64_t i = 0; i < rowTiles; ++i) {
      for (int64_t c = 0; c < queryChunks; ++c) {
        SmallVector<Value, 8> halves;
        for (int64_t h = 0; h < 4; ++h) {
          Value col = add(t2, 16 * c + 8 * (h / 2));
          Value row = arith::MinUIOp::create(b, rows[2 * i + h % 2], lastRow);
          Value p = vector::LoadOp::create(b, pair, ops.query,
                                           ValueRange{batch, row, col});
          for (int64_t k = 0; k < 2; ++k)
            halves.push_back(vector::ExtractOp::create(b, p, k));
        }
        queryInRegisters[i].push_back(
            vector::FromElementsOp::create(b, fragA, halves));
      }
    }
  }
  Value queryFragmentRow = arith::AddIOp::create(
      b, warpRow, arith::RemUIOp::create(b, lane, index(16)));
  Value queryFragmentCol = arith::MulIOp::create(
      b, arith::DivUIOp::create(b, lane, index(16)), index(kStep / 2));
  auto queryFragment = [&](int64_t i, int64_t c) -> Value {
    if (!config.queryInSharedMemory)
      return queryInRegisters[i][c];
    return nvgpu::LdMatrixOp::create(
        b, fragA, queryTile,
        ValueRange{add(queryFragmentRow, 16 * i),
                   add(queryFragmentCol, kStep * c)},
        /*transpose=*/false, /*numTiles=*/4);
  };

  Value negInf = f32Constant(-std::numeric_limits<float>::infinity());
  Value zeroC = arith::ConstantOp::create(b, fragC, b.getZeroAttr(fragC));
  // Carried per tile: the running max and sum of each of the lane's rows,
  // then the accumulator fragments of each row tile.
  int64_t laneRows = 2 * rowTiles;
  SmallVector<Value> init(laneRows, negInf);
  init.append(laneRows, f32Constant(0));
  init.append(rowTiles * outputTiles, zeroC);
  // Tiles alternate between two shared-memory stages: the copy of tile i+1
  // runs while tile i is multiplied.
  auto startCopies = [&](Value firstKey, Value stage, ValueRange extra) {
    SmallVector<Value> tokens(extra);
    copyRowsAsync(ops.key, batch, firstKey, keysPerTile, ops.m, d, keyTiles,
                  stage, thread, tokens);
    copyRowsAsync(ops.value, batch, firstKey, keysPerTile, ops.m, e, valueTiles,
                  stage, thread, tokens);
    return nvgpu::DeviceAsyncCreateGroupOp::create(
               b, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens)
        .getResult();
  };
  // Tile t holds keys from t · Bc on, or (block-sparse) the t-th key block
  // the row lists; tiles past the end (the last prefetch) start at M and
  // are zeros that nothing reads.
  const AttentionKernelOperands::BlockList *blocks =
      ops.blocks ? &*ops.blocks : nullptr;
  Value firstTile = index(0), numTiles;
  if (blocks) {
    numTiles = loadIndex(blocks->counts, ValueRange{batch, rowTile});
  } else {
    auto [beginKey, endKey] =
        getKeysToVisit(b, ops, batch, blockFirstRow, config.rowsPerBlock);
    firstTile = arith::DivUIOp::create(b, beginKey, index(keysPerTile));
    numTiles = arith::CeilDivUIOp::create(b, endKey, index(keysPerTile));
  }
  auto firstKeyOf = [&](Value tile) -> Value {
    if (!blocks)
      return arith::MulIOp::create(b, tile, index(keysPerTile));
    int64_t slots = cast<MemRefType>(blocks->columns.getType()).getDimSize(2);
    Value slot = arith::MinUIOp::create(b, tile, index(slots - 1));
    Value listed = arith::MulIOp::create(
        b, loadIndex(blocks->columns, ValueRange{batch, rowTile, slot}),
        index(keysPerTile));
    Value inList =
        arith::CmpIOp::create(b, arith::CmpIPredicate::ult, tile, numTiles);
    return arith::SelectOp::create(b, inList, listed, ops.m);
  };
  Value firstGroup =
      startCopies(firstKeyOf(firstTile),
                  arith::RemUIOp::create(b, firstTile, index(2)), queryTokens);
  auto tiles = scf::ForOp::create(b, firstTile, numTiles, index(1), init);
  {
    OpBuilder::InsertionGuard tileGuard(b);
    b.setInsertionPointToStart(tiles.getBody());
    Value tile = tiles.getInductionVar();
    Value firstKey = firstKeyOf(tile);
    ValueRange carried = tiles.getRegionIterArgs();
    SmallVector<Value> runningMax(carried.take_front(laneRows));
    SmallVector<Value> runningSum(carried.slice(laneRows, laneRows));
    SmallVector<Value> acc(carried.drop_front(2 * laneRows));

    Value stage = arith::RemUIOp::create(b, tile, index(2));
    // Prefetch the next tile, then wait for this one.
    Value group = startCopies(firstKeyOf(add(tile, 1)),
                              arith::SubIOp::create(b, index(1), stage), {});
    // At most one group (the prefetch) still in flight: this tile landed.
    nvgpu::DeviceAsyncWaitOp::create(b, group, b.getI32IntegerAttr(1));
    if (ops.mask)
      stageMaskFlags(b, ops, batch, firstKey, maskTile, thread, keysPerTile,
                     config.threadsPerBlock());
    gpu::BarrierOp::create(b);

    // S = Q·Kᵀ: B[k][n] = K[8j + n][16c + k], a column pair of one K row.
    // tileS[i][j] holds rows g, g + 8 of row tile i, keys 8j + 2t + h.
    // ldmatrix.x4 of K (keys × d, row-major) gives the B fragments of two
    // key tiles: lane l addresses key 8j + (l & 7) + 8·(l >> 4), column
    // 16c + 8·((l >> 3) & 1). Each is used by every row tile.
    Value keyRowInPair = arith::AddIOp::create(
        b, arith::RemUIOp::create(b, lane, index(8)),
        arith::MulIOp::create(b, arith::DivUIOp::create(b, lane, index(16)),
                              index(8)));
    Value keyColInChunk = arith::MulIOp::create(
        b,
        arith::RemUIOp::create(b, arith::DivUIOp::create(b, lane, index(8)),
                               index(2)),
        index(kStep / 2));
    SmallVector<SmallVector<Value>> tileS(
        rowTiles, SmallVector<Value>(scoreTiles, zeroC));
    for (int64_t c = 0; c < queryChunks; ++c) {
      SmallVector<Value> query;
      for (int64_t i = 0; i < rowTiles; ++i)
        query.push_back(queryFragment(i, c));
      for (int64_t j = 0; j < scoreTiles; j += 2) {
        auto [b0, b1] = loadBFragmentPair(
            keyTiles, stage, add(keyRowInPair, 8 * j),
            add(keyColInChunk, kStep * c), /*transpose=*/false);
        for (int64_t i = 0; i < rowTiles; ++i) {
          tileS[i][j] = mma(query[i], b0, tileS[i][j]);
          tileS[i][j + 1] = mma(query[i], b1, tileS[i][j + 1]);
        }
      }
    }

    // Scores stay unscaled (the scale is positive, so maxima commute with it)
    // and the exponent folds scale·log2(e) and the max into one FMA:
    // p = 2^(s·scale·log2 e - max·scale·log2 e), as FlashAttention does.
    // Block-sparse attention's scale is a run-time value of any sign: its
    // scores are scaled first.
    float exponentScale =
        static_cast<float>(M_LOG2E) * (blocks ? 1.0f : ops.scale);
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
    // The tile's scores in order (i, j, r, h): row g + 8r of row tile i, key
    // 8j + 2t + h; hidden keys and keys past M replaced (`masked`).
    auto tileScores = [&](bool masked) {
      SmallVector<Value> flat;
      for (int64_t i = 0; i < rowTiles; ++i) {
        for (int64_t j = 0; j < scoreTiles; ++j) {
          for (int64_t r = 0; r < 2; ++r) {
            Value causalLimit =
                masked && ops.causal
                    ? arith::AddIOp::create(b, rows[2 * i + r], ops.queryOffset)
                          .getResult()
                    : Value();
            for (int64_t h = 0; h < 2; ++h) {
              Value score = vector::ExtractOp::create(b, tileS[i][j],
                                                      ArrayRef<int64_t>{r, h});
              if (blocks)
                score = arith::MulFOp::create(b, score, blocks->scale);
              else if (masked)
                score = maskScore(b, ops, score, hiddenScore, firstKey,
                                  add(t2, 8 * j + h), causalLimit, maskTile,
                                  keysPerTile);
              flat.push_back(score);
            }
          }
        }
      }
      return flat;
    };
    // Without a mask only the tiles the warp's causal window cuts (their
    // last key past the warp's first row's window) and the tile past M
    // need the replacements: the others skip them on a warp-uniform branch.
    Value needsMasking;
    if (!blocks && !ops.mask) {
      Value lastKey = add(firstKey, keysPerTile - 1);
      if (ops.causal)
        needsMasking = arith::CmpIOp::create(
            b, arith::CmpIPredicate::ugt, lastKey,
            arith::AddIOp::create(b, firstRow, ops.queryOffset));
      if (ShapedType::isDynamic(ops.staticM) ||
          ops.staticM % keysPerTile != 0) {
        Value pastM =
            arith::CmpIOp::create(b, arith::CmpIPredicate::uge, lastKey, ops.m);
        needsMasking =
            needsMasking ? arith::OrIOp::create(b, needsMasking, pastM) : pastM;
      }
    }
    SmallVector<Value> flatScores;
    if (needsMasking) {
      SmallVector<Type> types(rowTiles * scoreTiles * 4, b.getF32Type());
      auto ifOp = scf::IfOp::create(b, types, needsMasking,
                                    /*withElseRegion=*/true);
      for (auto [region, masked] : {std::pair(&ifOp.getThenRegion(), true),
                                    std::pair(&ifOp.getElseRegion(), false)}) {
        OpBuilder::InsertionGuard branchGuard(b);
        b.setInsertionPointToStart(&region->front());
        scf::YieldOp::create(b, tileScores(masked));
      }
      flatScores.assign(ifOp.getResults().begin(), ifOp.getResults().end());
    } else {
      flatScores = tileScores(/*masked=*/!blocks);
    }
    // scores[i][j][2r + h].
    SmallVector<SmallVector<SmallVector<Value, 4>>> scores(rowTiles);
    for (int64_t i = 0; i < rowTiles; ++i)
      for (int64_t j = 0; j < scoreTiles; ++j)
        scores[i].push_back(SmallVector<Value, 4>(
            ArrayRef(flatScores).slice((i * scoreTiles + j) * 4, 4)));

    // Online softmax per row, over the quad that holds the row.
    SmallVector<Value> newMax, correction, negatedExponentMax;
    for (int64_t row = 0; row < laneRows; ++row) {
      int64_t i = row / 2, r = row % 2;
      Value rowMax = runningMax[row];
      for (ArrayRef<Value> tileScores : scores[i])
        for (int64_t h = 0; h < 2; ++h)
          rowMax = arith::MaximumFOp::create(b, rowMax, tileScores[2 * r + h]);
      newMax.push_back(quadReduce(rowMax, /*max=*/true));
      correction.push_back(math::Exp2Op::create(
          b, arith::MulFOp::create(
                 b, arith::SubFOp::create(b, runningMax[row], newMax[row]),
                 scale2)));
      negatedExponentMax.push_back(
          arith::MulFOp::create(b, newMax[row], f32Constant(-exponentScale)));
      runningSum[row] =
          arith::MulFOp::create(b, runningSum[row], correction[row]);
    }
    // Block-sparse attention: keys the mask hides keep their scores in the
    // maximum and weigh 0 (visible[2j + h] for key 8j + 2t + h).
    SmallVector<Value> visible;
    if (blocks && maskTile)
      for (int64_t j = 0; j < scoreTiles; ++j)
        for (int64_t h = 0; h < 2; ++h)
          visible.push_back(arith::CmpFOp::create(
              b, arith::CmpFPredicate::ONE,
              memref::LoadOp::create(b, maskTile, add(t2, 8 * j + h)),
              f32Constant(0)));
    // weights[i][j]: the weights of scores[i][j] in the operand type.
    SmallVector<SmallVector<SmallVector<Value, 4>>> weights(rowTiles);
    for (int64_t i = 0; i < rowTiles; ++i) {
      for (auto [j, tileScores] : llvm::enumerate(scores[i])) {
        SmallVector<Value, 4> tileWeights;
        for (int64_t r = 0; r < 2; ++r) {
          int64_t row = 2 * i + r;
          for (int64_t h = 0; h < 2; ++h) {
            Value w = math::Exp2Op::create(
                b, math::FmaOp::create(b, tileScores[2 * r + h], scale2,
                                       negatedExponentMax[row]));
            if (!visible.empty())
              w = arith::SelectOp::create(b, visible[2 * j + h], w,
                                          f32Constant(0));
            runningSum[row] = arith::AddFOp::create(b, runningSum[row], w);
            tileWeights.push_back(
                tf32 ? w
                     : arith::TruncFOp::create(b, operandType, w).getResult());
          }
        }
        weights[i].push_back(tileWeights);
      }
      Value rescale = vector::FromElementsOp::create(
          b, fragC,
          ValueRange{correction[2 * i], correction[2 * i],
                     correction[2 * i + 1], correction[2 * i + 1]});
      for (int64_t j = 0; j < outputTiles; ++j) {
        Value &a = acc[i * outputTiles + j];
        a = arith::MulFOp::create(b, a, rescale);
      }
    }

    // O += P·V: the score fragments of key tiles 2k and 2k + 1 are the A
    // fragment of key chunk k. ldmatrix.x4.trans of V (keys × e) gives the
    // B fragments of two value tiles, used by every row tile: lane l
    // addresses key 16k + (l & 15), column 8j + 8·(l >> 4).
    Value valueRowInChunk = arith::RemUIOp::create(b, lane, index(16));
    Value valueColInPair = arith::MulIOp::create(
        b, arith::DivUIOp::create(b, lane, index(16)), index(8));
    // tf32: the weights of key tile k are relaid out into an m16k8 A
    // fragment (relayoutWeights); V has no 32-bit transposing ldmatrix, so
    // each lane loads its B fragment's two elements, V[8k + t (+ 4)][8j + g].
    Value tfKeyRow = arith::RemUIOp::create(b, lane, index(4));
    for (int64_t k = 0; k < keyChunks; ++k) {
      SmallVector<Value> p;
      for (int64_t i = 0; i < rowTiles; ++i) {
        if (tf32) {
          p.push_back(relayoutWeights(weights[i][k], lane));
          continue;
        }
        SmallVector<Value, 8> halves;
        for (int64_t half = 0; half < 2; ++half)
          llvm::append_range(halves, weights[i][2 * k + half]);
        p.push_back(vector::FromElementsOp::create(b, fragA, halves));
      }
      for (int64_t j = 0; tf32 && j < outputTiles; ++j) {
        SmallVector<Value, 2> elements;
        for (int64_t r = 0; r < 2; ++r)
          elements.push_back(memref::LoadOp::create(
              b, valueTiles,
              ValueRange{stage, add(tfKeyRow, 8 * k + 4 * r), add(g, 8 * j)}));
        Value bFragment = vector::FromElementsOp::create(b, fragB, elements);
        for (int64_t i = 0; i < rowTiles; ++i) {
          Value &a = acc[i * outputTiles + j];
          a = mma(p[i], bFragment, a);
        }
      }
      for (int64_t j = 0; !tf32 && j < outputTiles; j += 2) {
        auto [b0, b1] =
            loadBFragmentPair(valueTiles, stage, add(valueRowInChunk, 16 * k),
                              add(valueColInPair, 8 * j),
                              /*transpose=*/true);
        for (int64_t i = 0; i < rowTiles; ++i) {
          Value &a0 = acc[i * outputTiles + j];
          Value &a1 = acc[i * outputTiles + j + 1];
          a0 = mma(p[i], b0, a0);
          a1 = mma(p[i], b1, a1);
        }
      }
    }
    SmallVector<Value> yielded(newMax);
    yielded.append(runningSum);
    yielded.append(acc);
    // Everyone is done with this stage before the next prefetch refills it.
    gpu::BarrierOp::create(b);
    scf::YieldOp::create(b, yielded);
  }
  // The last prefetch (past M) must land before the block exits.
  nvgpu::DeviceAsyncWaitOp::create(b, firstGroup, b.getI32IntegerAttr(0));

  // result = O / l for rows below N: a row's sum is spread over its quad.
  // Block-sparse attention merges in the block row's low-resolution terms
  // at R = max(m, lo_max), adds 1e-6 to the denominator and zeroes the rows
  // the mask hides.
  Value loMax, loDen;
  if (blocks && blocks->loNum) {
    loMax =
        memref::LoadOp::create(b, blocks->loMax, ValueRange{batch, rowTile});
    loDen =
        memref::LoadOp::create(b, blocks->loDen, ValueRange{batch, rowTile});
  }
  Type resultType = getElementTypeOrSelf(ops.result.getType());
  for (int64_t row = 0; row < laneRows; ++row) {
    int64_t i = row / 2, r = row % 2;
    Value denominator =
        quadReduce(tiles.getResult(laneRows + row), /*max=*/false);
    Value hiScale, loScale;
    if (loMax) {
      Value max = tiles.getResult(row);
      Value reference = arith::MaximumFOp::create(b, max, loMax);
      hiScale =
          math::ExpOp::create(b, arith::SubFOp::create(b, max, reference));
      loScale =
          math::ExpOp::create(b, arith::SubFOp::create(b, loMax, reference));
      denominator = arith::AddFOp::create(
          b, arith::MulFOp::create(b, denominator, hiScale),
          arith::MulFOp::create(b, loDen, loScale));
    }
    if (blocks)
      denominator = arith::AddFOp::create(
          b, denominator,
          f32Constant(BlockSparseAttentionOp::kDenominatorEpsilon));
    Value inverse = arith::DivFOp::create(b, f32Constant(1), denominator);
    auto store = scf::IfOp::create(b, rowValid[row], /*withElse=*/false);
    OpBuilder::InsertionGuard storeGuard(b);
    b.setInsertionPointToStart(store.thenBlock());
    Value keep =
        blocks && ops.mask
            ? memref::LoadOp::create(b, ops.mask, ValueRange{batch, rows[row]})
                  .getResult()
            : Value();
    for (int64_t j = 0; j < outputTiles; ++j) {
      Value o = tiles.getResult(2 * laneRows + i * outputTiles + j);
      Value col = add(t2, 8 * j);
      Value loNum = loMax ? vector::LoadOp::create(
                                b, VectorType::get({2}, f32), blocks->loNum,
                                ValueRange{batch, rowTile, col})
                                .getResult()
                          : Value();
      SmallVector<Value, 2> halves;
      for (int64_t h = 0; h < 2; ++h) {
        Value x = vector::ExtractOp::create(b, o, ArrayRef<int64_t>{r, h});
        if (loMax)
          x = arith::AddFOp::create(
              b, arith::MulFOp::create(b, x, hiScale),
              arith::MulFOp::create(b, vector::ExtractOp::create(b, loNum, h),
                                    loScale));
        x = arith::MulFOp::create(b, x, inverse);
        if (keep)
          x = arith::SelectOp::create(b, keep, x, f32Constant(0));
        if (resultType != f32)
          x = arith::TruncFOp::create(b, resultType, x);
        halves.push_back(x);
      }
      vector::StoreOp::create(b,
                              vector::FromElementsOp::create(
                                  b, VectorType::get({2}, resultType), halves),
                              ops.result, ValueRange{batch, rows[row], col});
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
  Type operandType = ops.elementType;
  int64_t padding = kRowPaddingBytes * 8 / operandType.getIntOrFloatBitWidth();
  int64_t valuePadding = operandType.isF32() ? kTf32ValuePadding : padding;
  Value queryTile =
      config.queryInSharedMemory
          ? carve({config.rowsPerBlock, ops.d + padding}, operandType)
          : Value();
  Value keyTiles = carve({2, config.keysPerTile, ops.d + padding}, operandType);
  Value valueTiles =
      carve({2, config.keysPerTile, ops.e + valuePadding}, operandType);
  Value maskTile =
      ops.mask ? carve({config.keysPerTile}, b.getF32Type()) : Value();
  assert(offset <= config.sharedMemoryBytes && "the model's budget is short");
  MmaKernelBuilder(b, config, ops)
      .build(launch, queryTile, keyTiles, valueTiles, maskTile);
}
