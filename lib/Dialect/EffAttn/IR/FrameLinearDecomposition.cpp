//===- FrameLinearDecomposition.cpp - FrameQuant's linear layer -*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Decomposes effattn.frame_linear into the input transform, a product on the
// packed codes and the output transform, on tensors:
//
// - transforms: sign flips and the 16-wide frame blocks are linalg.generic
//   ops with small constants (the blocks repeat every k / gcd(8, k) groups,
//   indexed modulo that period; the Hadamard normalisation is folded into
//   them); the Walsh-Hadamard butterflies come from WalshHadamard.h;
// - the packed product is vector code: parallel tiles of code rows
//   (scf.forall), each looping over its activation rows by register tiles;
//   per vector of words, every code field becomes one f32 vector (shift,
//   mask, convert) that is multiplied into the activations with FMAs. The
//   zero point is one correction per output, scale · (Σ q·x − zero · Σ x),
//   so the dense weight is never built.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/BatchedLinalgBuilder.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/IR/WalshHadamard.h"
#include "effattn/FrameQuant/Frames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace mlir::effattn;

using utils::IteratorType;

/// Lanes of the product's f32 vectors: one 256-bit register; packed rows
/// hold whole groups of this many words.
static constexpr int64_t kLanes = kPackedWordGroup;

/// Floats of padding after each field of the scaled activations (one cache
/// line).
static constexpr int64_t kFieldPad = 16;

/// Vector registers assumed without a `#effattn.cpu` target (AVX2).
static constexpr int64_t kDefaultVectorRegisters = 16;

namespace {
/// The register tile of the packed product: `rows` code rows times `batch`
/// activation rows of accumulators.
struct ProductTile {
  int64_t rows, batch;
};

/// Emits one frame_linear op.
class FrameLinearBuilder {
public:
  FrameLinearBuilder(OpBuilder &b, Location loc, FrameQuantConfig config)
      : b(b), loc(loc), config(config), lb(b, loc, {}) {}

  /// Returns `transform` applied to each row of x [B, cols] as parallel
  /// tasks: [B, resultCols].
  Value byRows(Value x, int64_t resultCols,
               function_ref<Value(Value)> transform);
  /// Returns T·x [B, C] for x [B, dim], zero-padded to `paddedCols`.
  Value project(Value x, int64_t dim, uint32_t seed, int64_t paddedCols);
  /// Returns Tᵀ·y [B, dim] for y [B, frame dim].
  Value projectBack(Value y, int64_t dim, uint32_t seed);
  /// Returns scale[r] · (Σ_c code[r, c] · xt[b, c] − zero[r] · Σ_c xt[b, c])
  /// [B, R].
  Value packedProduct(Value xt, Value codes, Value scale, Value zero,
                      ProductTile tile);

private:
  /// Returns the ±1 diagonal of `seed` over p entries as an f32 constant.
  Value signs(uint32_t seed, int64_t p);
  /// Returns x [B, groups, p] times the signs of the chunk.
  Value flipSigns(Value x, uint32_t seed);
  /// Returns the frame blocks of `dim` times `normalization` as
  /// P[c, j, u] [2k, 16, groups], or [2k, 16, 1] when all groups share
  /// one block (k divides 8, e.g. redundancy 1).
  Value frameBlocks(int64_t dim, double normalization);
  /// Returns x [B, m, n] transposed to [B, n, m].
  Value transposeLast(Value x);
  /// Applies the blocks to x [B, 16, groups] (forward: [B, 2k, groups]) or,
  /// with `transpose`, their transpose to x [B, 2k, groups] (-> [B, 16,
  /// groups]).
  Value applyBlocks(Value x, Value blocks, bool transpose);
  /// Returns x reshaped (row-major) to `shape`.
  Value reshape(Value x, ArrayRef<int64_t> shape);
  /// Returns an f32 tensor of zeros with x's leading (batch) size and the
  /// given trailing sizes.
  Value zeros(Value like, ArrayRef<int64_t> trailing);
  /// Returns xt [B, fields·words] as [B, fields, words + kFieldPad] with
  /// field i's columns times 2^(-i·bits), so that the codes multiply it in
  /// place (see productTile); a top field that fills the word up to bit 31
  /// keeps factor 1.
  Value scaleFields(Value xt, Value codes);
  /// Returns `tile` [batch, rows] (the outputs of code rows rowBegin + r
  /// and activation rows batchBegin + i) computed in registers.
  Value productTile(Value tile, Value rowBegin, Value batchBegin,
                    int64_t batch, int64_t rows, Value xt, Value sums,
                    Value codes, Value scale, Value zero);
  /// Returns `out` with the activation rows [begin, end), in steps of
  /// `batch`, computed by parallel tiles of `rows` code rows.
  Value productRows(Value out, Value begin, Value end, int64_t batch,
                    int64_t rows, Value xt, Value sums, Value codes,
                    Value scale, Value zero);

  OpBuilder &b;
  Location loc;
  FrameQuantConfig config;
  BatchedLinalgBuilder lb;
};
} // namespace

Value FrameLinearBuilder::byRows(Value x, int64_t resultCols,
                                 function_ref<Value(Value)> transform) {
  OpFoldResult numRows = tensor::getMixedSize(b, loc, x, 0);
  Value init = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{numRows, b.getIndexAttr(resultCols)},
      b.getF32Type());
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{numRows}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
      ValueRange{init}, /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value row = forall.getInductionVar(0);
  auto slice = [&](Value source, int64_t cols) {
    return std::make_tuple(
        SmallVector<OpFoldResult>{row, b.getIndexAttr(0)},
        SmallVector<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(cols)},
        SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
  };
  auto [offsets, sizes, strides] =
      slice(x, cast<RankedTensorType>(x.getType()).getDimSize(1));
  Value rows = tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes,
                                              strides);
  Value result = transform(rows);
  auto [outOffsets, outSizes, outStrides] = slice(result, resultCols);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, result,
                                        forall.getRegionIterArgs()[0],
                                        outOffsets, outSizes, outStrides);
  return forall.getResult(0);
}

Value FrameLinearBuilder::signs(uint32_t seed, int64_t p) {
  SmallVector<float> values;
  for (int8_t sign : buildSignDiagonal(seed, p))
    values.push_back(sign);
  auto type = RankedTensorType::get({p}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef(values)));
}

Value FrameLinearBuilder::flipSigns(Value x, uint32_t seed) {
  auto type = cast<RankedTensorType>(x.getType());
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap chunk = AffineMap::get(3, 0, getAffineDimExpr(2, ctx));
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, x), type.getElementType());
  return lb.generic({x, signs(seed, type.getDimSize(2))}, init,
                    {identity, chunk, identity},
                    SmallVector<IteratorType>(3, IteratorType::parallel),
                    [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                      return arith::MulFOp::create(nb, l, a[0], a[1]);
                    });
}

Value FrameLinearBuilder::frameBlocks(int64_t dim, double normalization) {
  FrameBlocks blocks =
      buildFrameBlocks(dim, config.redundancy, /*float32Angles=*/false);
  // Block u depends on 8u mod k only: one block for all groups when k
  // divides 8u for every u.
  int64_t groups = blocks.getNumGroups();
  int64_t distinct = blocks.k / std::gcd<int64_t>(8, blocks.k) == 1 ? 1 : groups;
  SmallVector<float> values;
  for (int64_t c = 0; c < 2 * blocks.k; ++c)
    for (int64_t j = 0; j < 16; ++j)
      for (int64_t u = 0; u < distinct; ++u)
        values.push_back(static_cast<float>(blocks.at(u, c, j) * normalization));
  auto type =
      RankedTensorType::get({2 * blocks.k, 16, distinct}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef(values)));
}

Value FrameLinearBuilder::transposeLast(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  std::swap(sizes[1], sizes[2]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, x, init,
                                     ArrayRef<int64_t>{0, 2, 1})
      .getResult()[0];
}

Value FrameLinearBuilder::applyBlocks(Value x, Value blocks, bool transpose) {
  MLIRContext *ctx = b.getContext();
  auto blocksType = cast<RankedTensorType>(blocks.getType());
  int64_t groups = cast<RankedTensorType>(x.getType()).getDimSize(2);
  int64_t outer = transpose ? 16 : blocksType.getDimSize(0);
  // Loops (b, o, r, u) with r reduced and u innermost, contiguous in x, the
  // result and (when they differ per group) the blocks:
  // forward  out[b, c, u] = Σ_j P[c, j, u] · x[b, j, u];
  // inverse  out[b, j, u] = Σ_c P[c, j, u] · x[b, c, u].
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  AffineExpr group =
      blocksType.getDimSize(2) == 1 ? getAffineConstantExpr(0, ctx) : d(3);
  AffineMap blockMap =
      transpose ? AffineMap::get(4, 0, {d(2), d(1), group}, ctx)
                : AffineMap::get(4, 0, {d(1), d(2), group}, ctx);
  AffineMap rows = AffineMap::get(4, 0, {d(0), d(2), d(3)}, ctx);
  AffineMap result = AffineMap::get(4, 0, {d(0), d(1), d(3)}, ctx);
  return lb.generic(
      {x, blocks}, zeros(x, {outer, groups}), {rows, blockMap, result},
      {IteratorType::parallel, IteratorType::parallel, IteratorType::reduction,
       IteratorType::parallel},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value product = arith::MulFOp::create(nb, l, a[0], a[1],
                                              kContractionFastMath);
        return arith::AddFOp::create(nb, l, a[2], product,
                                     kContractionFastMath);
      });
}

Value FrameLinearBuilder::reshape(Value x, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(x.getType());
  // [B, a, b, ...] -> [B, a·b·...] -> [B, shape...].
  Value flat = x;
  if (type.getRank() > 2) {
    SmallVector<ReassociationIndices> groups{
        {0}, llvm::to_vector(llvm::seq<int64_t>(1, type.getRank()))};
    flat = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  if (shape.size() == 1)
    return flat;
  SmallVector<int64_t> resultShape{type.getDimSize(0)};
  llvm::append_range(resultShape, shape);
  SmallVector<ReassociationIndices> groups{
      {0}, llvm::to_vector(llvm::seq<int64_t>(1, shape.size() + 1))};
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(resultShape, type.getElementType()), flat,
      groups);
}

Value FrameLinearBuilder::zeros(Value like, ArrayRef<int64_t> trailing) {
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, like, 0)};
  for (int64_t size : trailing)
    sizes.push_back(b.getIndexAttr(size));
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, lb.constant(0.0f), empty).getResult(0);
}

Value FrameLinearBuilder::project(Value x, int64_t dim, uint32_t seed,
                                  int64_t paddedCols) {
  int64_t p = getHadamardChunk(dim);
  int64_t groups = dim / 16;
  Value hadamard =
      buildWalshHadamard(b, loc, flipSigns(reshape(x, {dim / p, p}), seed));
  // [B, groups, 16] -> [B, 16, groups] -> blocks -> [B, 2k, groups].
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)));
  Value transformed = applyBlocks(
      transposeLast(reshape(hadamard, {groups, 16})), blocks, false);
  int64_t cols = cast<RankedTensorType>(blocks.getType()).getDimSize(0) * groups;
  Value flat = reshape(transformed, {cols});
  if (cols == paddedCols)
    return flat;
  Value padded = zeros(x, {paddedCols});
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, x, 0),
                                  b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, flat, padded, offsets, sizes,
                                       strides);
}

Value FrameLinearBuilder::projectBack(Value y, int64_t dim, uint32_t seed) {
  int64_t p = getHadamardChunk(dim);
  int64_t groups = dim / 16;
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)));
  int64_t coefficients = cast<RankedTensorType>(blocks.getType()).getDimSize(0);
  // [B, 2k, groups] -> blocks -> [B, 16, groups] -> [B, groups, 16].
  Value grouped = transposeLast(
      applyBlocks(reshape(y, {coefficients, groups}), blocks, true));
  Value hadamard = buildWalshHadamard(b, loc, reshape(grouped, {dim / p, p}));
  return reshape(flipSigns(hadamard, seed), {dim});
}

Value FrameLinearBuilder::scaleFields(Value xt, Value codes) {
  int64_t bits = config.bits;
  int64_t fields = getCodesPerWord(bits);
  int64_t words = cast<RankedTensorType>(codes.getType()).getDimSize(1);
  SmallVector<float> factors;
  for (int64_t field = 0; field < fields; ++field)
    factors.push_back((field + 1) * bits == 32 ? 1.0f
                                               : std::ldexp(1.0f, -field * bits));
  auto factorType = RankedTensorType::get({fields}, b.getF32Type());
  Value factor = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(factorType, ArrayRef(factors)));
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(3, ctx);
  Value byField = reshape(xt, {fields, words});
  Value scaled = lb.generic(
      {byField, factor}, tensor::EmptyOp::create(
                             b, loc, tensor::getMixedSizes(b, loc, byField),
                             b.getF32Type()),
      {identity, AffineMap::get(3, 0, getAffineDimExpr(1, ctx)), identity},
      SmallVector<IteratorType>(3, IteratorType::parallel),
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(nb, l, a[0], a[1]);
      });
  // Pad each field by one cache line: the fields of a row (words · 4 bytes
  // apart, often a multiple of 4 KiB) and the rows would otherwise map to
  // the same L1 sets.
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, scaled);
  SmallVector<OpFoldResult> paddedSizes{sizes[0], sizes[1],
                                        b.getIndexAttr(words + kFieldPad)};
  Value padded = tensor::EmptyOp::create(b, loc, paddedSizes, b.getF32Type());
  return tensor::InsertSliceOp::create(
      b, loc, scaled, padded, SmallVector<OpFoldResult>(3, b.getIndexAttr(0)),
      sizes, SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
}

Value FrameLinearBuilder::productTile(Value tile, Value rowBegin,
                                      Value batchBegin, int64_t batch,
                                      int64_t rows, Value xt, Value sums,
                                      Value codes, Value scale, Value zero) {
  int64_t bits = config.bits;
  int64_t fields = getCodesPerWord(bits);
  int64_t words = cast<RankedTensorType>(codes.getType()).getDimSize(1);
  auto f32Vector = VectorType::get({kLanes}, b.getF32Type());
  auto i32Vector = VectorType::get({kLanes}, b.getI32Type());
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value zeroVector = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32Vector, 0.0f));
  SmallVector<Value> initAccs(batch * rows, zeroVector);
  auto wordLoop = scf::ForOp::create(
      b, loc, index(0), index(words), index(kLanes), initAccs,
      [&](OpBuilder &wb, Location wl, Value word, ValueRange accs) {
        SmallVector<Value> acc(accs);
        Value intPad = arith::ConstantIntOp::create(wb, wl, 0, 32);
        Value floatPad = arith::ConstantFloatOp::create(
            wb, wl, wb.getF32Type(), APFloat(0.0f));
        SmallVector<Value> packed;
        for (int64_t r = 0; r < rows; ++r) {
          Value row = arith::AddIOp::create(
              wb, wl, rowBegin, arith::ConstantIndexOp::create(wb, wl, r));
          packed.push_back(vector::TransferReadOp::create(
              wb, wl, i32Vector, codes, ValueRange{row, word}, intPad,
              ArrayRef<bool>{true}));
        }
        auto splat = [&](uint32_t value) -> Value {
          return arith::ConstantOp::create(
              wb, wl,
              DenseElementsAttr::get(i32Vector, static_cast<int32_t>(value)));
        };
        for (int64_t field = 0; field < fields; ++field) {
          // Field i in place: q · 2^(i·bits), a non-negative i32 that
          // converts exactly (the activations were scaled by 2^(-i·bits));
          // the top field of a full word is shifted down instead, as it
          // would overflow the sign bit.
          bool top = (field + 1) * bits == 32;
          SmallVector<Value> q;
          for (Value value : packed) {
            value = top ? arith::ShRUIOp::create(wb, wl, value,
                                                 splat(field * bits))
                              .getResult()
                        : arith::AndIOp::create(
                              wb, wl, value,
                              splat(((1u << bits) - 1) << (field * bits)))
                              .getResult();
            q.push_back(arith::SIToFPOp::create(wb, wl, f32Vector, value));
          }
          Value fieldIndex = arith::ConstantIndexOp::create(wb, wl, field);
          for (int64_t i = 0; i < batch; ++i) {
            Value activationRow = arith::AddIOp::create(
                wb, wl, batchBegin, arith::ConstantIndexOp::create(wb, wl, i));
            Value x = vector::TransferReadOp::create(
                wb, wl, f32Vector, xt,
                ValueRange{activationRow, fieldIndex, word},
                floatPad, ArrayRef<bool>{true});
            for (int64_t r = 0; r < rows; ++r)
              acc[i * rows + r] =
                  vector::FMAOp::create(wb, wl, q[r], x, acc[i * rows + r]);
          }
        }
        scf::YieldOp::create(wb, wl, acc);
      });
  // scale · (Σ q·x − zero · Σ x) per output.
  for (int64_t i = 0; i < batch; ++i) {
    Value activationRow =
        arith::AddIOp::create(b, loc, batchBegin, index(i));
    Value sum = tensor::ExtractOp::create(b, loc, sums, activationRow);
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::AddIOp::create(b, loc, rowBegin, index(r));
      Value dot = vector::ReductionOp::create(
          b, loc, vector::CombiningKind::ADD, wordLoop.getResult(i * rows + r),
          Value(), kContractionFastMath);
      Value correction = arith::MulFOp::create(
          b, loc, tensor::ExtractOp::create(b, loc, zero, row), sum);
      Value y = arith::MulFOp::create(
          b, loc, tensor::ExtractOp::create(b, loc, scale, row),
          arith::SubFOp::create(b, loc, dot, correction));
      tile = tensor::InsertOp::create(b, loc, y, tile,
                                      ValueRange{index(i), index(r)});
    }
  }
  return tile;
}

Value FrameLinearBuilder::productRows(Value out, Value begin, Value end,
                                      int64_t batch, int64_t rows, Value xt,
                                      Value sums, Value codes, Value scale,
                                      Value zero) {
  int64_t numRows = cast<RankedTensorType>(codes.getType()).getDimSize(0);
  auto loop = scf::ForOp::create(
      b, loc, begin, end, arith::ConstantIndexOp::create(b, loc, batch),
      ValueRange{out},
      [&](OpBuilder &nb, Location l, Value batchBegin, ValueRange outer) {
        auto forall = scf::ForallOp::create(
            nb, l, ArrayRef<OpFoldResult>{nb.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{nb.getIndexAttr(numRows)},
            ArrayRef<OpFoldResult>{nb.getIndexAttr(rows)}, outer,
            /*mapping=*/std::nullopt);
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(forall.getBody());
        Value rowBegin = forall.getInductionVar(0);
        SmallVector<OpFoldResult> offsets{batchBegin, rowBegin};
        SmallVector<OpFoldResult> sizes{b.getIndexAttr(batch),
                                        b.getIndexAttr(rows)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        Value shared = forall.getRegionIterArgs()[0];
        Value tile = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                    sizes, strides);
        tile = productTile(tile, rowBegin, batchBegin, batch, rows, xt, sums,
                           codes, scale, zero);
        b.setInsertionPointToEnd(forall.getTerminator().getBody());
        tensor::ParallelInsertSliceOp::create(b, loc, tile, shared, offsets,
                                              sizes, strides);
        nb.setInsertionPointAfter(forall);
        scf::YieldOp::create(nb, l, forall.getResult(0));
      });
  return loop.getResult(0);
}

Value FrameLinearBuilder::packedProduct(Value xt, Value codes, Value scale,
                                        Value zero, ProductTile tile) {
  int64_t numRows = cast<RankedTensorType>(codes.getType()).getDimSize(0);
  Value sums = lb.rowSum(xt, tensor::getMixedSize(b, loc, xt, 0));
  xt = scaleFields(xt, codes);
  OpFoldResult numBatch = tensor::getMixedSize(b, loc, xt, 0);
  Value out = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{numBatch, b.getIndexAttr(numRows)},
      b.getF32Type());
  // Register tiles of activation rows (outer, so that their activations
  // stay in cache while all code rows stream past), then the remaining
  // activation rows one by one.
  Value batchSize = getValueOrCreateConstantIndexOp(b, loc, numBatch);
  Value mainEnd = arith::SubIOp::create(
      b, loc, batchSize,
      arith::RemUIOp::create(
          b, loc, batchSize,
          arith::ConstantIndexOp::create(b, loc, tile.batch)));
  out = productRows(out, arith::ConstantIndexOp::create(b, loc, 0), mainEnd,
                    tile.batch, tile.rows, xt, sums, codes, scale, zero);
  if (tile.batch > 1)
    out = productRows(out, mainEnd, batchSize, 1, tile.rows, xt, sums, codes,
                      scale, zero);
  return out;
}

/// Returns the vector registers of the module's `#effattn.cpu` target.
static int64_t getVectorRegisters(Operation *op) {
  if (auto module = op->getParentOfType<ModuleOp>())
    if (auto target = dyn_cast_if_present<CpuTargetAttr>(
            module->getAttr("effattn.target")))
      return target.getVectorRegisters();
  return kDefaultVectorRegisters;
}

/// Chooses the register tile. Four code rows (two or one when four do not
/// divide the rows) share each activation load; with more than one
/// activation row, as many activation rows as keep the accumulators
/// (rows · batch) within half the vector registers share each unpacked code
/// vector: the words, the unpacked codes and one activation vector need the
/// rest. On a 2-core Zen 4 at in = out = 4096 (32 registers), 4 × 4 took
/// 12.8 ms at batch 64, 4 × 3 14.3 ms, 2 × 5 24.6 ms; at batch 1, 4 rows
/// 0.39 ms, 8 rows 0.48 ms, 2 rows 0.66 ms.
static ProductTile chooseProductTile(int64_t registers, int64_t numRows,
                                     bool singleBatch) {
  ProductTile tile{1, 1};
  for (int64_t rows : {4, 2})
    if (numRows % rows == 0) {
      tile.rows = rows;
      break;
    }
  if (!singleBatch)
    tile.batch = std::clamp<int64_t>(registers / (2 * tile.rows), 1, 8);
  return tile;
}

FailureOr<SmallVector<Value>> FrameLinearOp::decomposeOperation(OpBuilder &b) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  FrameQuantConfig config = getConfig();
  RankedTensorType inputType = getInput().getType();
  unsigned numBatch = inputType.getRank() - 1;
  int64_t in = inputType.getDimSize(numBatch);
  int64_t out = getInit().getType().getDimSize(numBatch);
  auto codesType = cast<RankedTensorType>(getCodes().getType());
  FrameLinearBuilder builder(b, loc, config);

  Value x = collapseBatchDims(b, loc, getInput(), numBatch);
  int64_t paddedCols = getCodesPerWord(config.bits) * codesType.getDimSize(1);
  Value transformed = builder.byRows(x, paddedCols, [&](Value rows) {
    return builder.project(rows, in, config.seedIn, paddedCols);
  });
  int64_t batchSize = cast<RankedTensorType>(x.getType()).getDimSize(0);
  ProductTile tile =
      chooseProductTile(getVectorRegisters(*this), codesType.getDimSize(0),
                        batchSize == 1);
  Value y = builder.packedProduct(transformed, getCodes(), getScale(),
                                  getZero(), tile);
  if (config.seedOut)
    y = builder.byRows(y, out, [&](Value rows) {
      return builder.projectBack(rows, out, *config.seedOut);
    });
  return SmallVector<Value>{
      expandBatchDims(b, loc, y, getInit(), numBatch)};
}
