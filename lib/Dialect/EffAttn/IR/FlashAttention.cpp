//===- FlashAttention.cpp - effattn.attention in the flash form -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/FlashAttention.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

namespace {
using Values = SmallVector<Value>;

/// Emits the flash form of one effattn.attention op (FlashAttention.h).
class FlashAttentionBuilder {
public:
  FlashAttentionBuilder(OpBuilder &b, AttentionOp op, FlashConfigAttr config)
      : b(b), loc(op.getLoc()), op(op), numBatch(op.getNumBatchDims()),
        lanes(config.getVectorWidth()), queryTile(config.getQueryTile()),
        queryVectors(config.getQueryTile() / config.getVectorWidth()),
        keyBlock(config.getKeyBlock()), keyTile(config.getKeyRegisterTile()),
        valueTile(config.getValueRegisterTile()),
        vectorType(VectorType::get({lanes}, b.getF32Type())) {}

  Value build();

private:
  /// Emits `scf.for iv = lb to ub step step iter_args(init)` whose body
  /// `body` builds at the builder's insertion point; returns its results.
  Values loop(Value lb, Value ub, int64_t step, ValueRange init,
              function_ref<Values(Value iv, ValueRange args)> body);
  /// Emits `body(start, clamp)` for the register tiles of `tile` items in
  /// [0, size): the whole tiles with `clamp` false, then the partial last
  /// tile, if any, with `clamp` true: its items past `size` must read item
  /// `size - 1` again. Whole tiles thus index memory at constant offsets.
  void registerTiles(Value size, int64_t tile,
                     function_ref<void(Value start, bool clamp)> body);
  Value loopOverBatch(unsigned dim, Value result);
  Value queryBlock(Value result, Value q0);
  void copyQueries(Value q0, Value rows);
  Values keyBlockStep(Value j0, ValueRange max, ValueRange sum,
                      ArrayRef<Value> positions);
  /// Returns whether a row's running maximum `max` is still at most a
  /// hidden key's score (or NaN): the row has seen no visible key yet, and
  /// hidden keys do not weigh 0 next to its scores.
  Value anyRowSeesNoKey(ValueRange max);
  /// Returns the first key in [from, to) the mask shows, or `to`.
  Value findShownKey(Value from, Value to);
  void computeScores(Value j0, Value blockKeys, ArrayRef<Value> positions);
  void accumulateValues(Value j0, Value blockKeys, ArrayRef<Value> alpha);
  /// Copies rows [j0, j0 + blockKeys) x [0, columns) of `tensor` (f16 or
  /// bf16) into the f32 `buffer`, a vector of lanes at a time.
  void convertBlock(Value tensor, Value j0, Value blockKeys, Value columns,
                    Value buffer);
  /// Returns K[key, d] as f32 for a key of the block that starts at j0: from
  /// its f32 copy when the operands are not f32.
  Value keyElement(Value j0, Value key, Value d);
  /// Returns V[j0 + j, e] as f32, like keyElement.
  Value valueElement(Value j0, Value j, Value e);
  Value writeOutput(Value result, Value q0, Value rows);

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value lane(int64_t vector) { return index(vector * lanes); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinUIOp::create(b, loc, x, y); }
  Value splat(float v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vectorType, b.getF32FloatAttr(v)));
  }
  Values splats(int64_t count, float v) { return Values(count, splat(v)); }
  Value broadcast(Value scalar) {
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({lanes}, scalar.getType()), scalar);
  }
  Value load(Value buffer, ValueRange indices) {
    return vector::LoadOp::create(b, loc, vectorType, buffer, indices);
  }
  void store(Value v, Value buffer, ValueRange indices) {
    vector::StoreOp::create(b, loc, v, buffer, indices);
  }
  Value fma(Value x, Value y, Value acc) {
    return vector::FMAOp::create(b, loc, x, y, acc);
  }
  /// Returns 2^x for x <= 0 (or NaN) lane by lane; see the definition.
  Value exp2(Value x);
  /// Returns `tensor[batch..., row, col]` as f32.
  Value element(Value tensor, Value row, Value col);
  /// Returns a scratch buffer of f32 [rows (static or `dynamicRows`), cols].
  Value scratch(int64_t rows, Value dynamicRows, int64_t cols);

  OpBuilder &b;
  Location loc;
  AttentionOp op;
  int64_t numBatch, lanes, queryTile, queryVectors, keyBlock, keyTile,
      valueTile;
  VectorType vectorType;

  /// Indices of the batch being computed.
  Values batch;
  /// Sizes, scale·log2(e) and the masked score (built once by build()).
  Value numQueries, headDim, numKeys, valueDim, paddedValueDim, scaleLog2e,
      maskedScore;
  OpFoldResult valueDimSize;
  /// Scratch buffers: Qᵀ [D, query tile], Sᵀ then Pᵀ [key block, query
  /// tile], accᵀ [E rounded up to value tiles, query tile], l [query tile];
  /// for f16 and bf16 operands also the block's keys [key block, D] and
  /// values [key block, E] in f32 (else null), so that the register tiles
  /// broadcast f32 from memory instead of converting each element.
  Value queriesT, scores, accT, rowSums, blockKeysF32, blockValuesF32;
};
} // namespace

Values FlashAttentionBuilder::loop(
    Value lb, Value ub, int64_t step, ValueRange init,
    function_ref<Values(Value iv, ValueRange args)> body) {
  auto forOp =
      scf::ForOp::create(b, loc, lb, ub, index(step), init,
                         [&](OpBuilder &, Location, Value iv, ValueRange args) {
                           scf::YieldOp::create(b, loc, body(iv, args));
                         });
  return Values(forOp.getResults());
}

void FlashAttentionBuilder::registerTiles(
    Value size, int64_t tile,
    function_ref<void(Value start, bool clamp)> body) {
  Value whole = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, size, index(tile)), index(tile));
  auto tiles = [&](Value lb, Value ub, bool clamp) {
    loop(lb, ub, tile, {}, [&](Value start, ValueRange) -> Values {
      body(start, clamp);
      return {};
    });
  };
  tiles(index(0), whole, /*clamp=*/false);
  tiles(whole, size, /*clamp=*/true);
}

Value FlashAttentionBuilder::exp2(Value x) {
  // x = n + f with n = round(x) and f in [-1/2, 1/2]; 2^f by Cephes' exp2f
  // polynomial (relative error below 2e-7), 2^n from the exponent bits.
  // Arguments below -127 are clamped there, where the exponent bits are
  // zero: the result is 0 (2^-126 is the smallest normal f32). NaN stays
  // NaN (the compare is unordered).
  Value floor = splat(-127.0f);
  x = arith::SelectOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UGT, x, floor), x,
      floor);
  Value n = math::RoundEvenOp::create(b, loc, x);
  Value f = arith::SubFOp::create(b, loc, x, n);
  Value p = splat(1.535336188319500e-4f);
  for (float c :
       {1.339887440266574e-3f, 9.618437357674640e-3f, 5.550332471162809e-2f,
        2.402264791363012e-1f, 6.931472028550421e-1f})
    p = fma(p, f, splat(c));
  p = fma(p, f, splat(1.0f));
  auto intType = VectorType::get({lanes}, b.getI32Type());
  auto intSplat = [&](int32_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(intType, b.getI32IntegerAttr(v)));
  };
  Value exponent = arith::AddIOp::create(
      b, loc, arith::FPToSIOp::create(b, loc, intType, n), intSplat(127));
  Value power = arith::BitcastOp::create(
      b, loc, vectorType,
      arith::ShLIOp::create(b, loc, exponent, intSplat(23)));
  return arith::MulFOp::create(b, loc, p, power);
}

Value FlashAttentionBuilder::element(Value tensor, Value row, Value col) {
  Values indices(batch);
  indices.push_back(row);
  indices.push_back(col);
  Value x = tensor::ExtractOp::create(b, loc, tensor, indices);
  if (x.getType().isF32())
    return x;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), x);
}

void FlashAttentionBuilder::convertBlock(Value tensor, Value j0,
                                         Value blockKeys, Value columns,
                                         Value buffer) {
  Type elementType = cast<RankedTensorType>(tensor.getType()).getElementType();
  auto halfType = VectorType::get({lanes}, elementType);
  Value whole = arith::MulIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, columns, index(lanes)),
      index(lanes));
  loop(index(0), blockKeys, 1, {}, [&](Value j, ValueRange) -> Values {
    Values indices(batch);
    indices.push_back(add(j0, j));
    loop(index(0), whole, lanes, {}, [&](Value c, ValueRange) -> Values {
      Values at(indices);
      at.push_back(c);
      Value half = vector::TransferReadOp::create(
          b, loc, halfType, tensor, at,
          arith::ConstantOp::create(b, loc, b.getZeroAttr(elementType)),
          ArrayRef<bool>{true});
      store(arith::ExtFOp::create(b, loc, vectorType, half), buffer, {j, c});
      return {};
    });
    loop(whole, columns, 1, {}, [&](Value c, ValueRange) -> Values {
      memref::StoreOp::create(b, loc, element(tensor, add(j0, j), c), buffer,
                              ValueRange{j, c});
      return {};
    });
    return {};
  });
}

Value FlashAttentionBuilder::keyElement(Value j0, Value key, Value d) {
  if (blockKeysF32)
    return memref::LoadOp::create(b, loc, blockKeysF32,
                                  ValueRange{sub(key, j0), d});
  return element(op.getKey(), key, d);
}

Value FlashAttentionBuilder::valueElement(Value j0, Value j, Value e) {
  if (blockValuesF32)
    return memref::LoadOp::create(b, loc, blockValuesF32, ValueRange{j, e});
  return element(op.getValue(), add(j0, j), e);
}

Value FlashAttentionBuilder::scratch(int64_t rows, Value dynamicRows,
                                     int64_t cols) {
  auto type = MemRefType::get({rows, cols}, b.getF32Type());
  ValueRange sizes;
  if (ShapedType::isDynamic(rows))
    sizes = dynamicRows;
  return memref::AllocOp::create(b, loc, type, sizes);
}

Value FlashAttentionBuilder::build() {
  RankedTensorType queryType = op.getQueryType(), valueType = op.getValueType();
  auto dim = [&](Value t, int64_t i) -> Value {
    return tensor::DimOp::create(b, loc, t, i);
  };
  numQueries = dim(op.getQuery(), numBatch);
  headDim = dim(op.getQuery(), numBatch + 1);
  numKeys = dim(op.getKey(), numBatch);
  valueDim = dim(op.getValue(), numBatch + 1);
  valueDimSize = tensor::getMixedSizes(b, loc, op.getValue())[numBatch + 1];
  // Scores are kept in base 2: Qᵀ holds scale·log2(e)·Q, so that the
  // weights are 2^(s - m) (one exponent fewer to reduce than e^x).
  scaleLog2e = arith::MulFOp::create(
      b, loc, op.buildScaleValue(b, headDim),
      arith::ConstantOp::create(b, loc,
                                b.getF32FloatAttr(llvm::numbers::log2ef)));
  maskedScore = splat(kMaskedScore);

  // accᵀ has whole value register tiles of rows.
  int64_t staticE = valueType.getDimSize(numBatch + 1);
  int64_t paddedE = ShapedType::isDynamic(staticE)
                        ? ShapedType::kDynamic
                        : llvm::divideCeil(staticE, valueTile) * valueTile;
  Value tiles = arith::DivUIOp::create(
      b, loc, add(valueDim, index(valueTile - 1)), index(valueTile));
  paddedValueDim = arith::MulIOp::create(b, loc, tiles, index(valueTile));
  queriesT = scratch(queryType.getDimSize(numBatch + 1), headDim, queryTile);
  scores = scratch(keyBlock, Value(), queryTile);
  accT = scratch(paddedE, paddedValueDim, queryTile);
  rowSums = memref::AllocOp::create(
      b, loc, MemRefType::get({queryTile}, b.getF32Type()));
  if (!op.getKeyType().getElementType().isF32()) {
    auto block = [&](int64_t columns, Value dynamicColumns) -> Value {
      auto type = MemRefType::get({keyBlock, columns}, b.getF32Type());
      return memref::AllocOp::create(b, loc, type,
                                     ShapedType::isDynamic(columns)
                                         ? ValueRange(dynamicColumns)
                                         : ValueRange());
    };
    blockKeysF32 = block(op.getKeyType().getDimSize(numBatch + 1), headDim);
    blockValuesF32 = block(staticE, valueDim);
  }
  return loopOverBatch(0, op.getInit());
}

Value FlashAttentionBuilder::loopOverBatch(unsigned dim, Value result) {
  if (dim == numBatch) {
    return loop(index(0), numQueries, queryTile, result,
                [&](Value q0, ValueRange args) -> Values {
                  return {queryBlock(args[0], q0)};
                })[0];
  }
  Value size = tensor::DimOp::create(b, loc, op.getQuery(), dim);
  return loop(index(0), size, 1, result,
              [&](Value iv, ValueRange args) -> Values {
                batch.push_back(iv);
                Value next = loopOverBatch(dim + 1, args[0]);
                batch.pop_back();
                return {next};
              })[0];
}

void FlashAttentionBuilder::copyQueries(Value q0, Value rows) {
  // Qᵀ[d, i] = Q[q0 + i, d]; missing rows repeat the last one.
  Value lastRow = sub(rows, index(1));
  loop(index(0), headDim, 1, {}, [&](Value d, ValueRange) -> Values {
    loop(index(0), index(queryTile), 1, {}, [&](Value i, ValueRange) -> Values {
      Value row = add(q0, min(i, lastRow));
      Value x = arith::MulFOp::create(b, loc, element(op.getQuery(), row, d),
                                      scaleLog2e);
      memref::StoreOp::create(b, loc, x, queriesT, ValueRange{d, i});
      return {};
    });
    return {};
  });
}

Value FlashAttentionBuilder::queryBlock(Value result, Value q0) {
  Value rows = min(index(queryTile), sub(numQueries, q0));
  copyQueries(q0, rows);
  Value zero = splat(0.0f);
  loop(index(0), paddedValueDim, 1, {}, [&](Value e, ValueRange) -> Values {
    for (int64_t v = 0; v < queryVectors; ++v)
      store(zero, accT, {e, lane(v)});
    return {};
  });

  // Absolute positions of the queries, for the causal window.
  Values positions;
  Value first = q0, windowEnd;
  if (op.getCausal()) {
    if (Value offset = op.getQueryOffset())
      first = add(first, offset);
    windowEnd = add(first, index(queryTile));
    Value step = vector::StepOp::create(
        b, loc, VectorType::get({lanes}, b.getIndexType()));
    for (int64_t v = 0; v < queryVectors; ++v)
      positions.push_back(
          arith::AddIOp::create(b, loc, step, broadcast(add(first, lane(v)))));
  }

  // The blocks before the one of the first key the mask shows are hidden
  // from every row, and skipped when every row sees that key (it lies
  // within the first row's window).
  Value firstBlock = index(0);
  if (op.getMask()) {
    Value firstShown = findShownKey(index(0), numKeys);
    Value everyRowSees = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult, firstShown, numKeys);
    if (op.getCausal())
      everyRowSees = arith::AndIOp::create(
          b, loc, everyRowSees,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, firstShown,
                                first));
    Value blockOfFirst = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, firstShown, index(keyBlock)),
        index(keyBlock));
    firstBlock =
        arith::SelectOp::create(b, loc, everyRowSees, blockOfFirst, index(0));
  }
  // Key blocks the tile sees no key of (from windowEnd on under a causal
  // window; all masked, e.g. a padded sequence's tail) weigh exactly 0 next
  // to a visible score, so they run only while a row has seen none (its
  // window masked so far): such a row averages every value, as the op
  // defines, unless a visible key comes later.
  Values init = splats(queryVectors, -std::numeric_limits<float>::infinity());
  llvm::append_range(init, splats(queryVectors, 0.0f));
  Values state = loop(
      firstBlock, numKeys, keyBlock, init,
      [&](Value j0, ValueRange args) -> Values {
        ValueRange max = args.take_front(queryVectors),
                   sum = args.drop_front(queryVectors);
        if (!windowEnd && !op.getMask())
          return keyBlockStep(j0, max, sum, positions);
        Value seen;
        if (windowEnd)
          seen = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, j0,
                                       windowEnd);
        if (op.getMask()) {
          Value blockEnd = add(j0, min(index(keyBlock), sub(numKeys, j0)));
          Value shown =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                    findShownKey(j0, blockEnd), blockEnd);
          seen = seen ? arith::AndIOp::create(b, loc, seen, shown).getResult()
                      : shown;
        }
        Value needed = arith::OrIOp::create(b, loc, seen, anyRowSeesNoKey(max));
        auto ifOp = scf::IfOp::create(
            b, loc, needed,
            [&](OpBuilder &, Location) {
              scf::YieldOp::create(b, loc,
                                   keyBlockStep(j0, max, sum, positions));
            },
            [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, args); });
        return Values(ifOp.getResults());
      });
  for (int64_t v = 0; v < queryVectors; ++v)
    store(state[queryVectors + v], rowSums, {lane(v)});
  return writeOutput(result, q0, rows);
}

Value FlashAttentionBuilder::findShownKey(Value from, Value to) {
  // key from `from` on while key < to and the mask hides it; the mask is
  // read at key `to - 1` at most (`to` may be its end).
  Value last = sub(to, index(1));
  auto scan = scf::WhileOp::create(
      b, loc, TypeRange{b.getIndexType()}, ValueRange{from},
      [&](OpBuilder &, Location, ValueRange args) {
        Value key = args[0];
        Value inRange =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, key, to);
        Values indices(batch);
        indices.push_back(min(key, last));
        Value hidden = arith::XOrIOp::create(
            b, loc, tensor::ExtractOp::create(b, loc, op.getMask(), indices),
            arith::ConstantIntOp::create(b, loc, /*value=*/1, /*width=*/1));
        scf::ConditionOp::create(
            b, loc, arith::AndIOp::create(b, loc, inRange, hidden), key);
      },
      [&](OpBuilder &, Location, ValueRange args) {
        scf::YieldOp::create(b, loc, add(args[0], index(1)));
      });
  return scan.getResult(0);
}

Value FlashAttentionBuilder::anyRowSeesNoKey(ValueRange max) {
  // A hidden key weighs 2^(kMaskedScore - m), exactly 0 in exp2() once the
  // exponent is below -127; 256 leaves a margin for kMaskedScore's rounding.
  Value threshold = splat(kMaskedScore + 256.0f);
  Value unseen;
  for (Value m : max) {
    Value rows =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ULE, m, threshold);
    unseen =
        unseen ? arith::OrIOp::create(b, loc, unseen, rows).getResult() : rows;
  }
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, unseen);
}

Values FlashAttentionBuilder::keyBlockStep(Value j0, ValueRange max,
                                           ValueRange sum,
                                           ArrayRef<Value> positions) {
  Value blockKeys = min(index(keyBlock), sub(numKeys, j0));
  if (blockKeysF32) {
    convertBlock(op.getKey(), j0, blockKeys, headDim, blockKeysF32);
    convertBlock(op.getValue(), j0, blockKeys, valueDim, blockValuesF32);
  }
  computeScores(j0, blockKeys, positions);

  // m' = max(m, max_j Sᵀ[j, :]), α = 2^(m - m').
  Values newMax =
      loop(index(0), blockKeys, 1, max, [&](Value j, ValueRange m) -> Values {
        // A compare and select (one vmaxps) rather than arith.maximumf,
        // whose NaN propagation costs five more instructions: a NaN score
        // makes its weights NaN anyway.
        Values next;
        for (int64_t v = 0; v < queryVectors; ++v) {
          Value score = load(scores, {j, lane(v)});
          Value greater = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, score, m[v]);
          next.push_back(arith::SelectOp::create(b, loc, greater, score, m[v]));
        }
        return next;
      });
  Values alpha;
  for (int64_t v = 0; v < queryVectors; ++v)
    alpha.push_back(exp2(arith::SubFOp::create(b, loc, max[v], newMax[v])));

  // Pᵀ = 2^(Sᵀ - m') in place, l' = α·l + Σ_j Pᵀ[j, :].
  Values blockSum =
      loop(index(0), blockKeys, 1, splats(queryVectors, 0.0f),
           [&](Value j, ValueRange partial) -> Values {
             Values next;
             for (int64_t v = 0; v < queryVectors; ++v) {
               Value p = exp2(arith::SubFOp::create(
                   b, loc, load(scores, {j, lane(v)}), newMax[v]));
               store(p, scores, {j, lane(v)});
               next.push_back(arith::AddFOp::create(b, loc, partial[v], p));
             }
             return next;
           });
  accumulateValues(j0, blockKeys, alpha);

  Values next(newMax);
  for (int64_t v = 0; v < queryVectors; ++v)
    next.push_back(fma(sum[v], alpha[v], blockSum[v]));
  return next;
}

void FlashAttentionBuilder::computeScores(Value j0, Value blockKeys,
                                          ArrayRef<Value> positions) {
  Value lastKey = sub(numKeys, index(1));
  registerTiles(blockKeys, keyTile, [&](Value jr, bool clamp) {
    // Keys of the register tile; past the last key, the last key again.
    Values keys, unclamped;
    for (int64_t r = 0; r < keyTile; ++r) {
      unclamped.push_back(add(add(j0, jr), index(r)));
      keys.push_back(clamp ? min(unclamped.back(), lastKey) : unclamped.back());
    }
    Values dots = loop(
        index(0), headDim, 1, splats(keyTile * queryVectors, 0.0f),
        [&](Value d, ValueRange acc) -> Values {
          Values queries, next;
          for (int64_t v = 0; v < queryVectors; ++v)
            queries.push_back(load(queriesT, {d, lane(v)}));
          for (int64_t r = 0; r < keyTile; ++r) {
            Value k = broadcast(keyElement(j0, keys[r], d));
            for (int64_t v = 0; v < queryVectors; ++v)
              next.push_back(fma(queries[v], k, acc[r * queryVectors + v]));
          }
          return next;
        });

    // Sᵀ[jr + r, :] = dots (scaled through Qᵀ), or -1e9 where the key is
    // hidden (in base 2 as well: any hidden score weighs 0 next to a
    // visible one, and a row of hidden keys weighs them alike).
    for (int64_t r = 0; r < keyTile; ++r) {
      Value keyVisible;
      if (Value mask = op.getMask()) {
        Values indices(batch);
        indices.push_back(keys[r]);
        keyVisible =
            broadcast(tensor::ExtractOp::create(b, loc, mask, indices));
      }
      for (int64_t v = 0; v < queryVectors; ++v) {
        Value score = dots[r * queryVectors + v];
        Value visible = keyVisible;
        if (!positions.empty()) {
          Value inWindow =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                    broadcast(unclamped[r]), positions[v]);
          visible =
              visible
                  ? arith::AndIOp::create(b, loc, visible, inWindow).getResult()
                  : inWindow;
        }
        if (visible)
          score = arith::SelectOp::create(b, loc, visible, score, maskedScore);
        store(score, scores, {add(jr, index(r)), lane(v)});
      }
    }
  });
}

void FlashAttentionBuilder::accumulateValues(Value j0, Value blockKeys,
                                             ArrayRef<Value> alpha) {
  // accᵀ[e, :] = α·accᵀ[e, :] + Σ_j V[j0 + j, e] · Pᵀ[j, :], by register
  // tiles of value columns; past the last column, the last one again.
  Value lastColumn = sub(valueDim, index(1));
  registerTiles(valueDim, valueTile, [&](Value e0, bool clamp) {
    Values rows, columns, acc;
    for (int64_t c = 0; c < valueTile; ++c) {
      rows.push_back(add(e0, index(c)));
      columns.push_back(clamp ? min(rows.back(), lastColumn) : rows.back());
      for (int64_t v = 0; v < queryVectors; ++v)
        acc.push_back(arith::MulFOp::create(
            b, loc, load(accT, {rows[c], lane(v)}), alpha[v]));
    }
    Values sums = loop(
        index(0), blockKeys, 1, acc,
        [&](Value j, ValueRange partial) -> Values {
          Values weights, next;
          for (int64_t v = 0; v < queryVectors; ++v)
            weights.push_back(load(scores, {j, lane(v)}));
          for (int64_t c = 0; c < valueTile; ++c) {
            Value x = broadcast(valueElement(j0, j, columns[c]));
            for (int64_t v = 0; v < queryVectors; ++v)
              next.push_back(fma(weights[v], x, partial[c * queryVectors + v]));
          }
          return next;
        });
    for (int64_t c = 0; c < valueTile; ++c)
      for (int64_t v = 0; v < queryVectors; ++v)
        store(sums[c * queryVectors + v], accT, {rows[c], lane(v)});
  });
}

Value FlashAttentionBuilder::writeOutput(Value result, Value q0, Value rows) {
  // out[i, e] = accᵀ[e, i] / l[i] for the tile's rows, in the element type.
  auto asTensor = [&](Value buffer, ArrayRef<OpFoldResult> sizes) -> Value {
    SmallVector<OpFoldResult> zeros(sizes.size(), b.getIndexAttr(0)),
        ones(sizes.size(), b.getIndexAttr(1));
    auto view = memref::SubViewOp::create(b, loc, buffer, zeros, sizes, ones);
    auto type =
        RankedTensorType::get(view.getType().getShape(), b.getF32Type());
    return bufferization::ToTensorOp::create(b, loc, type, view,
                                             /*restrict=*/true,
                                             /*writable=*/false);
  };
  Value acc = asTensor(accT, {valueDimSize, rows});
  Value sums = asTensor(rowSums, {rows});

  SmallVector<OpFoldResult> offsets(batch.begin(), batch.end()),
      sizes(numBatch, b.getIndexAttr(1)),
      strides(numBatch + 2, b.getIndexAttr(1));
  offsets.append({q0, b.getIndexAttr(0)});
  sizes.append({rows, valueDimSize});
  Type elementType = op.getInitType().getElementType();
  auto tileType = RankedTensorType::get(
      {ShapedType::kDynamic, op.getValueType().getDimSize(numBatch + 1)},
      elementType);
  Value tile = tensor::ExtractSliceOp::create(b, loc, tileType, result, offsets,
                                              sizes, strides);
  AffineExpr i, e;
  bindDims(b.getContext(), i, e);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {e, i}, b.getContext()),
                                 AffineMap::get(2, 0, {i}, b.getContext()),
                                 AffineMap::get(2, 0, {i, e}, b.getContext())};
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto normalized = linalg::GenericOp::create(
      b, loc, tileType, ValueRange{acc, sums}, ValueRange{tile}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = arith::DivFOp::create(nb, l, args[0], args[1]);
        linalg::YieldOp::create(nb, l,
                                convertScalarToDtype(nb, l, x, elementType,
                                                     /*isUnsignedCast=*/false));
      });
  return tensor::InsertSliceOp::create(b, loc, normalized.getResult(0), result,
                                       offsets, sizes, strides);
}

Value mlir::effattn::buildFlashAttention(OpBuilder &b, AttentionOp op,
                                         FlashConfigAttr config) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  return FlashAttentionBuilder(b, op, config).build();
}
