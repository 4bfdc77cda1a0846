//===- FramePackedProduct.cpp - FrameQuant's packed product -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Loop structure: register tiles of activation rows (scf.for, outermost, so
// that their activations or tables stay in cache while all codes stream
// past), inside it an scf.forall over tiles of row groups, inside it a loop
// over the words of a row with the accumulators (vector<16xf32>, one per row
// group and activation row) as iteration arguments. Each tile ends with
// scale · (acc − zero · Σx) written as whole vectors into a [B, 16 · groups]
// result, which is sliced to the rows.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/FramePackedProduct.h"

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/FrameQuant/Quantizer.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Lanes of the product's vectors: the rows of one group.
static constexpr int64_t kLanes = kPackedRowGroup;

/// Additions or FMAs in flight per word loop (latency 4 × 2 pipes).
static constexpr int64_t kMinChains = 8;

/// Column pairs per parallel task when building tables.
static constexpr int64_t kTablePairsPerTask = 256;

/// Code pairs per word in the table kernel (2-bit codes).
static constexpr int64_t kPairsPerWord = 8;

PackedProductConfig
mlir::effattn::choosePackedProductConfig(CpuTargetAttr target,
                                         int64_t numRowGroups, int64_t bits,
                                         bool singleBatch) {
  int64_t registers = target ? target.getVectorRegisters() : 16;
  int64_t vectorBits = target ? target.getVectorBits() : 256;
  // Registers counted in vectors of 16 f32.
  int64_t vectors = registers * vectorBits / (32 * kLanes);
  PackedProductConfig config;
  config.tableLookup = bits == 2 && target && target.hasFeature("avx512f");
  config.rowGroups = vectors >= 16 && numRowGroups % 2 == 0 ? 2 : 1;
  if (!singleBatch)
    config.batch = std::clamp<int64_t>(vectors / (2 * config.rowGroups), 1, 8);
  // Partial sums: at least kMinChains additions in flight, all the
  // accumulators within half the registers.
  int64_t outputs = config.batch * config.rowGroups;
  config.chains = std::clamp<int64_t>(
      std::min(kMinChains / outputs, vectors / (2 * outputs)), 1, kMinChains);
  return config;
}

namespace {
/// Emits the packed product of one frame_linear op.
class PackedProductBuilder {
public:
  PackedProductBuilder(OpBuilder &b, Location loc, int64_t bits,
                       const PackedProductConfig &config)
      : b(b), loc(loc), bits(bits), config(config), lb(b, loc, {}) {}

  Value build(Value x, Value codes, Value scale, Value zero);

private:
  /// Returns x [B, words · n] with column w·n + i times 2^(-i·bits) (1 for a
  /// top field that reaches bit 31, which is shifted down instead).
  Value scaleColumns(Value x);
  /// Returns the tables [B, words · 8, 16]: entry a + 4·b of pair p is
  /// a · x[2p] + b · x[2p + 1].
  Value buildTables(Value x);
  /// Returns `out` with activation rows [begin, end) computed in steps of
  /// `batch`.
  Value buildRows(Value out, Value begin, Value end, int64_t batch);
  /// Returns the accumulators of one register tile: row groups from
  /// `group`, activation rows from `row`.
  SmallVector<Value> buildTile(Value group, Value row, int64_t batch);
  /// Returns a splat i32 vector.
  Value splat(uint32_t value);
  /// Returns `base` + `offset` as an index.
  Value offset(Value base, int64_t offset);

  OpBuilder &b;
  Location loc;
  int64_t bits;
  PackedProductConfig config;
  BatchedLinalgBuilder lb;
  /// The operands: the scaled activations or the tables, their row sums,
  /// the codes, scale and zero.
  Value operand, sums, codes, scale, zero;
};
} // namespace

Value PackedProductBuilder::splat(uint32_t value) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get({kLanes}, b.getI32Type()),
                             static_cast<int32_t>(value)));
}

Value PackedProductBuilder::offset(Value base, int64_t offset) {
  return arith::AddIOp::create(b, loc, base,
                               arith::ConstantIndexOp::create(b, loc, offset));
}

Value PackedProductBuilder::scaleColumns(Value x) {
  int64_t fields = getCodesPerWord(bits);
  auto type = cast<RankedTensorType>(x.getType());
  int64_t words = type.getDimSize(1) / fields;
  SmallVector<float> factors;
  for (int64_t field = 0; field < fields; ++field)
    factors.push_back(
        (field + 1) * bits == 32 ? 1.0f : std::ldexp(1.0f, -field * bits));
  Value factor = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({fields}, b.getF32Type()),
                             ArrayRef(factors)));
  SmallVector<int64_t> shape{type.getDimSize(0), words, fields};
  Value byWord = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, b.getF32Type()), x,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
  Value scaled = lb.generic(
      {byWord, factor},
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, byWord),
                              b.getF32Type()),
      {identity, AffineMap::get(3, 0, getAffineDimExpr(2, ctx)), identity},
      SmallVector<IteratorType>(3, IteratorType::parallel),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(nb, l, a[0], a[1]);
      });
  return tensor::CollapseShapeOp::create(
      b, loc, scaled, SmallVector<ReassociationIndices>{{0}, {1, 2}});
}

Value PackedProductBuilder::buildTables(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t pairs = type.getDimSize(1) / 2;
  auto f32Vector = VectorType::get({kLanes}, b.getF32Type());
  SmallVector<float> first, second;
  for (int64_t entry = 0; entry < kLanes; ++entry) {
    first.push_back(entry & 3);
    second.push_back(entry >> 2);
  }
  Value firstWeights = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vector, ArrayRef(first)));
  Value secondWeights = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vector, ArrayRef(second)));
  OpFoldResult numRows = tensor::getMixedSize(b, loc, x, 0);
  Value tables = tensor::EmptyOp::create(
      b, loc,
      SmallVector<OpFoldResult>{numRows, b.getIndexAttr(pairs),
                                b.getIndexAttr(kLanes)},
      b.getF32Type());
  // One vector per (row, pair): a · x[2p] + b · x[2p + 1] for entry a + 4b,
  // by parallel blocks of pairs.
  int64_t block = pairs % kTablePairsPerTask == 0 ? kTablePairsPerTask : pairs;
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{numRows, b.getIndexAttr(pairs)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(block)},
      ValueRange{tables}, /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value row = forall.getInductionVar(0), start = forall.getInductionVar(1);
  SmallVector<OpFoldResult> offsets{row, start, b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), b.getIndexAttr(block),
                                  b.getIndexAttr(kLanes)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  Value shared = forall.getRegionIterArgs()[0];
  Value tile =
      tensor::ExtractSliceOp::create(b, loc, shared, offsets, sizes, strides);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto pairLoop = scf::ForOp::create(
      b, loc, zeroIndex, arith::ConstantIndexOp::create(b, loc, block), one,
      ValueRange{tile},
      [&](OpBuilder &pb, Location pl, Value local, ValueRange pairArgs) {
        Value pair = arith::AddIOp::create(pb, pl, start, local);
        Value column = arith::MulIOp::create(
            pb, pl, pair, arith::ConstantIndexOp::create(pb, pl, 2));
        Value x0 =
            tensor::ExtractOp::create(pb, pl, x, ValueRange{row, column});
        Value x1 = tensor::ExtractOp::create(
            pb, pl, x,
            ValueRange{row, arith::AddIOp::create(pb, pl, column, one)});
        Value entries = vector::FMAOp::create(
            pb, pl, secondWeights,
            vector::BroadcastOp::create(pb, pl, f32Vector, x1),
            arith::MulFOp::create(
                pb, pl, firstWeights,
                vector::BroadcastOp::create(pb, pl, f32Vector, x0)));
        Value written =
            vector::TransferWriteOp::create(
                pb, pl, entries, pairArgs[0],
                ValueRange{zeroIndex, local, zeroIndex}, ArrayRef<bool>{true})
                .getResult();
        scf::YieldOp::create(pb, pl, written);
      });
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, pairLoop.getResult(0), shared,
                                        offsets, sizes, strides);
  return forall.getResult(0);
}

SmallVector<Value> PackedProductBuilder::buildTile(Value group, Value row,
                                                   int64_t batch) {
  int64_t words = cast<RankedTensorType>(codes.getType()).getDimSize(1);
  int64_t fields = getCodesPerWord(bits);
  auto f32Vector = VectorType::get({kLanes}, b.getF32Type());
  auto i32Vector = VectorType::get({kLanes}, b.getI32Type());
  Value zeroVector = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vector, 0.0f));
  int64_t outputs = batch * config.rowGroups;
  // The remainder rows (batch 1) of a multi-row tile get the chains that
  // the tile's activation rows would have had.
  int64_t chains = config.chains * config.batch / batch;
  SmallVector<Value> initAccs(outputs * chains, zeroVector);
  // The partial sum of output (i, g) that term j goes to.
  auto partial = [&](SmallVector<Value> &acc, int64_t i, int64_t g,
                     int64_t j) -> Value & {
    return acc[(j % chains) * outputs + i * config.rowGroups + g];
  };
  Value intPad = arith::ConstantIntOp::create(b, loc, 0, 32);
  Value floatPad =
      arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(0.0f));
  Value laneZero = arith::ConstantIndexOp::create(b, loc, 0);
  auto loop = scf::ForOp::create(
      b, loc, laneZero, arith::ConstantIndexOp::create(b, loc, words),
      arith::ConstantIndexOp::create(b, loc, 1), initAccs,
      [&](OpBuilder &nb, Location l, Value word, ValueRange accs) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> acc(accs);
        auto accumulate = [&](int64_t i, int64_t g, int64_t j, Value term) {
          Value &a = partial(acc, i, g, j);
          a = arith::AddFOp::create(b, loc, a, term);
        };
        SmallVector<Value> packed;
        for (int64_t g = 0; g < config.rowGroups; ++g)
          packed.push_back(vector::TransferReadOp::create(
              b, loc, i32Vector, codes,
              ValueRange{offset(group, g), word, laneZero}, intPad,
              ArrayRef<bool>{true}));
        if (config.tableLookup) {
          // One permute per code pair, activation row and row group.
          for (int64_t pair = 0; pair < kPairsPerWord; ++pair) {
            SmallVector<Value> indices;
            for (Value value : packed)
              indices.push_back(
                  pair ? arith::ShRUIOp::create(b, loc, value, splat(4 * pair))
                             .getResult()
                       : value);
            Value pairIndex = arith::AddIOp::create(
                b, loc,
                arith::MulIOp::create(
                    b, loc, word,
                    arith::ConstantIndexOp::create(b, loc, kPairsPerWord)),
                arith::ConstantIndexOp::create(b, loc, pair));
            for (int64_t i = 0; i < batch; ++i) {
              Value table = vector::TransferReadOp::create(
                  b, loc, f32Vector, operand,
                  ValueRange{offset(row, i), pairIndex, laneZero}, floatPad,
                  ArrayRef<bool>{true});
              for (int64_t g = 0; g < config.rowGroups; ++g)
                accumulate(i, g, pair,
                           TableLookupOp::create(b, loc, table, indices[g]));
            }
          }
        } else {
          // Field i in place: q · 2^(i·bits), a non-negative i32 that
          // converts exactly; the activations were scaled by 2^(-i·bits).
          // The top field of a full word is shifted down instead, as it
          // would overflow the sign bit.
          for (int64_t field = 0; field < fields; ++field) {
            bool top = (field + 1) * bits == 32;
            SmallVector<Value> q;
            for (Value value : packed) {
              value = top ? arith::ShRUIOp::create(b, loc, value,
                                                   splat(field * bits))
                                .getResult()
                          : arith::AndIOp::create(
                                b, loc, value,
                                splat(((1u << bits) - 1) << (field * bits)))
                                .getResult();
              q.push_back(arith::SIToFPOp::create(b, loc, f32Vector, value));
            }
            Value column = arith::AddIOp::create(
                b, loc,
                arith::MulIOp::create(
                    b, loc, word,
                    arith::ConstantIndexOp::create(b, loc, fields)),
                arith::ConstantIndexOp::create(b, loc, field));
            for (int64_t i = 0; i < batch; ++i) {
              Value x = vector::BroadcastOp::create(
                  b, loc, f32Vector,
                  tensor::ExtractOp::create(
                      b, loc, operand, ValueRange{offset(row, i), column}));
              for (int64_t g = 0; g < config.rowGroups; ++g) {
                Value &a = partial(acc, i, g, field);
                a = vector::FMAOp::create(b, loc, q[g], x, a);
              }
            }
          }
        }
        scf::YieldOp::create(b, loc, acc);
      });
  SmallVector<Value> sums(loop.getResults().take_front(outputs));
  for (int64_t chain = 1; chain < chains; ++chain)
    for (int64_t o = 0; o < outputs; ++o)
      sums[o] = arith::AddFOp::create(b, loc, sums[o],
                                      loop.getResult(chain * outputs + o));
  return sums;
}

Value PackedProductBuilder::buildRows(Value out, Value begin, Value end,
                                      int64_t batch) {
  int64_t numGroups = cast<RankedTensorType>(codes.getType()).getDimSize(0);
  int64_t tileRows = config.rowGroups * kLanes;
  auto loop = scf::ForOp::create(
      b, loc, begin, end, arith::ConstantIndexOp::create(b, loc, batch),
      ValueRange{out},
      [&](OpBuilder &nb, Location l, Value row, ValueRange outer) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        auto forall = scf::ForallOp::create(
            b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(numGroups)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(config.rowGroups)}, outer,
            /*mapping=*/std::nullopt);
        b.setInsertionPointToStart(forall.getBody());
        Value group = forall.getInductionVar(0);
        Value firstRow = arith::MulIOp::create(
            b, loc, group, arith::ConstantIndexOp::create(b, loc, kLanes));
        SmallVector<OpFoldResult> offsets{row, firstRow};
        SmallVector<OpFoldResult> sizes{b.getIndexAttr(batch),
                                        b.getIndexAttr(tileRows)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        Value shared = forall.getRegionIterArgs()[0];
        Value tile = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                    sizes, strides);
        SmallVector<Value> acc = buildTile(group, row, batch);
        // scale · (Σ q·x − zero · Σ x), 16 rows at a time; the scales and
        // zero points of padding rows read as 0.
        auto f32Vector = VectorType::get({kLanes}, b.getF32Type());
        Value floatPad = arith::ConstantFloatOp::create(b, loc, b.getF32Type(),
                                                        APFloat(0.0f));
        for (int64_t g = 0; g < config.rowGroups; ++g) {
          Value start = offset(firstRow, g * kLanes);
          auto read = [&](Value source) -> Value {
            return vector::TransferReadOp::create(b, loc, f32Vector, source,
                                                  ValueRange{start}, floatPad,
                                                  ArrayRef<bool>{false});
          };
          Value scaleVector = read(scale), zeroVector = read(zero);
          for (int64_t i = 0; i < batch; ++i) {
            Value sum = vector::BroadcastOp::create(
                b, loc, f32Vector,
                tensor::ExtractOp::create(b, loc, sums, offset(row, i)));
            Value y = arith::MulFOp::create(
                b, loc, scaleVector,
                arith::SubFOp::create(
                    b, loc, acc[i * config.rowGroups + g],
                    arith::MulFOp::create(b, loc, zeroVector, sum)));
            Value at[] = {arith::ConstantIndexOp::create(b, loc, i),
                          arith::ConstantIndexOp::create(b, loc, g * kLanes)};
            tile = vector::TransferWriteOp::create(b, loc, y, tile, at,
                                                   ArrayRef<bool>{true})
                       .getResult();
          }
        }
        b.setInsertionPointToEnd(forall.getTerminator().getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, tile, shared, offsets,
                                              sizes, strides);
        b.setInsertionPointAfter(forall);
        scf::YieldOp::create(b, loc, forall.getResult(0));
      });
  return loop.getResult(0);
}

Value PackedProductBuilder::build(Value x, Value codesIn, Value scaleIn,
                                  Value zeroIn) {
  codes = codesIn;
  scale = scaleIn;
  zero = zeroIn;
  OpFoldResult numBatch = tensor::getMixedSize(b, loc, x, 0);
  sums = lb.rowSum(x, numBatch);
  operand = config.tableLookup ? buildTables(x) : scaleColumns(x);
  int64_t numGroups = cast<RankedTensorType>(codes.getType()).getDimSize(0);
  int64_t numRows = cast<RankedTensorType>(scale.getType()).getDimSize(0);
  Value out = tensor::EmptyOp::create(
      b, loc,
      SmallVector<OpFoldResult>{numBatch, b.getIndexAttr(numGroups * kLanes)},
      b.getF32Type());
  Value batchSize = getValueOrCreateConstantIndexOp(b, loc, numBatch);
  Value mainEnd = arith::SubIOp::create(
      b, loc, batchSize,
      arith::RemUIOp::create(
          b, loc, batchSize,
          arith::ConstantIndexOp::create(b, loc, config.batch)));
  out = buildRows(out, arith::ConstantIndexOp::create(b, loc, 0), mainEnd,
                  config.batch);
  if (config.batch > 1)
    out = buildRows(out, mainEnd, batchSize, 1);
  if (numRows == numGroups * kLanes)
    return out;
  return tensor::ExtractSliceOp::create(
      b, loc, out,
      SmallVector<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0)},
      SmallVector<OpFoldResult>{numBatch, b.getIndexAttr(numRows)},
      SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
}

Value mlir::effattn::buildPackedProduct(OpBuilder &b, Location loc, Value x,
                                        Value codes, Value scale, Value zero,
                                        int64_t bits,
                                        const PackedProductConfig &config) {
  return PackedProductBuilder(b, loc, bits, config)
      .build(x, codes, scale, zero);
}

Value mlir::effattn::buildGatherPackedProduct(OpBuilder &b, Location loc,
                                              Value x, Value codes, Value scale,
                                              Value zero, int64_t bits) {
  const IteratorType par = IteratorType::parallel,
                     red = IteratorType::reduction;
  BatchedLinalgBuilder lb(b, loc, {});
  MLIRContext *ctx = b.getContext();
  OpFoldResult numBatch = tensor::getMixedSize(b, loc, x, 0);
  OpFoldResult numRows = tensor::getMixedSize(b, loc, scale, 0);
  int64_t fields = getCodesPerWord(bits);
  Value sums = lb.rowSum(x, numBatch);
  // dots[b, r] = Σ_c q(r, c) · x[b, c]; loops (b, r, c). q(r, c) is field
  // c mod n of word (r floordiv 16, c floordiv n, r mod 16), n = 32 / bits.
  AffineExpr row = getAffineDimExpr(1, ctx), col = getAffineDimExpr(2, ctx);
  AffineMap codeMap = AffineMap::get(
      3, 0, {row.floorDiv(kLanes), col.floorDiv(fields), row % kLanes}, ctx);
  Value zeroF32 = lb.constant(0.0f);
  Value dots = lb.generic(
      {x, codes}, lb.filled({numBatch, numRows}, zeroF32),
      {lb.map(3, {0, 2}), codeMap, lb.map(3, {0, 1})}, {par, par, red},
      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value field = arith::RemUIOp::create(
            nb, l, linalg::IndexOp::create(nb, l, 2),
            arith::ConstantIndexOp::create(nb, l, fields));
        Value shift = arith::IndexCastOp::create(
            nb, l, nb.getI32Type(),
            arith::MulIOp::create(nb, l, field,
                                  arith::ConstantIndexOp::create(nb, l, bits)));
        Value mask = arith::ConstantOp::create(
            nb, l, nb.getI32IntegerAttr((int32_t(1) << bits) - 1));
        Value code = arith::AndIOp::create(
            nb, l, arith::ShRUIOp::create(nb, l, a[1], shift), mask);
        Value weight = arith::UIToFPOp::create(nb, l, nb.getF32Type(), code);
        return arith::AddFOp::create(
            nb, l, a[2], arith::MulFOp::create(nb, l, weight, a[0]));
      });
  // y[b, r] = scale[r] · (dots[b, r] − zero[r] · sums[b]).
  Value init = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{numBatch, numRows}, b.getF32Type());
  return lb.generic(
      {dots, sums, scale, zero}, init,
      {lb.map(2, {0, 1}), lb.map(2, {0}), lb.map(2, {1}), lb.map(2, {1}),
       lb.map(2, {0, 1})},
      {par, par}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value correction = arith::MulFOp::create(nb, l, a[3], a[1]);
        Value centered = arith::SubFOp::create(nb, l, a[0], correction);
        return arith::MulFOp::create(nb, l, a[2], centered);
      });
}
