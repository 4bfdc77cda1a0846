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
  /// Returns the distinct frame blocks of `dim` [period, 2k, 16], times
  /// `normalization`, and sets `period`.
  Value frameBlocks(int64_t dim, double normalization, int64_t &period);
  /// Returns x reshaped (row-major) to `shape`.
  Value reshape(Value x, ArrayRef<int64_t> shape);
  /// Returns an f32 tensor of zeros with x's leading (batch) size and the
  /// given trailing sizes.
  Value zeros(Value like, ArrayRef<int64_t> trailing);
  /// Returns xt [B, fields·words] with field i's columns times
  /// 2^(-i·bits), so that the codes multiply it in place (see productRows);
  /// a top field that fills the word up to bit 31 keeps factor 1.
  Value scaleFields(Value xt, Value codes);
  /// Emits the register tiles of one row tile for activation rows
  /// [begin, end) in steps of `batch`; returns the updated `tileOut`.
  Value productRows(Value tileOut, Value rowBegin, Value begin, Value end,
                    int64_t batch, int64_t rows, Value xt, Value sums,
                    Value codes, Value scale, Value zero);

  OpBuilder &b;
  Location loc;
  FrameQuantConfig config;
  BatchedLinalgBuilder lb;
};
} // namespace

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

Value FrameLinearBuilder::frameBlocks(int64_t dim, double normalization,
                                      int64_t &period) {
  FrameBlocks blocks =
      buildFrameBlocks(dim, config.redundancy, /*float32Angles=*/false);
  // Block u depends on 8u mod k only.
  period = std::min(blocks.k / std::gcd<int64_t>(8, blocks.k),
                    blocks.getNumGroups());
  SmallVector<float> values;
  for (int64_t u = 0; u < period; ++u)
    for (int64_t c = 0; c < 2 * blocks.k; ++c)
      for (int64_t j = 0; j < 16; ++j)
        values.push_back(static_cast<float>(blocks.at(u, c, j) * normalization));
  auto type = RankedTensorType::get({period, 2 * blocks.k, 16}, b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, ArrayRef(values)));
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
  MLIRContext *ctx = b.getContext();
  int64_t p = getHadamardChunk(dim);
  Value flipped = flipSigns(reshape(x, {dim / p, p}), seed);
  Value hadamard = buildWalshHadamard(b, loc, flipped);
  int64_t period;
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)), period);
  int64_t groups = dim / 16;
  int64_t coefficients = cast<RankedTensorType>(blocks.getType()).getDimSize(1);
  // out[b, c, u] = Σ_j P[u mod period, c, j] · h[b, u, j]; loops (b, c, u, j).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps{
      AffineMap::get(4, 0, {d(0), d(2), d(3)}, ctx),
      AffineMap::get(4, 0, {d(2) % period, d(1), d(3)}, ctx),
      AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
  Value transformed = lb.generic(
      {reshape(hadamard, {groups, 16}), blocks},
      zeros(x, {coefficients, groups}), maps,
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value product = arith::MulFOp::create(nb, l, a[0], a[1],
                                              kContractionFastMath);
        return arith::AddFOp::create(nb, l, a[2], product,
                                     kContractionFastMath);
      });
  Value flat = reshape(transformed, {coefficients * groups});
  if (coefficients * groups == paddedCols)
    return flat;
  Value padded = zeros(x, {paddedCols});
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{tensor::getMixedSize(b, loc, x, 0),
                                  b.getIndexAttr(coefficients * groups)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, flat, padded, offsets, sizes,
                                       strides);
}

Value FrameLinearBuilder::projectBack(Value y, int64_t dim, uint32_t seed) {
  MLIRContext *ctx = b.getContext();
  int64_t p = getHadamardChunk(dim);
  int64_t period;
  Value blocks = frameBlocks(dim, 1.0 / std::sqrt(double(p)), period);
  int64_t groups = dim / 16;
  int64_t coefficients = cast<RankedTensorType>(blocks.getType()).getDimSize(1);
  // out[b, u, j] = Σ_c P[u mod period, c, j] · y[b, c, u]; loops (b, u, j, c).
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps{
      AffineMap::get(4, 0, {d(0), d(3), d(1)}, ctx),
      AffineMap::get(4, 0, {d(1) % period, d(3), d(2)}, ctx),
      AffineMap::get(4, 0, {d(0), d(1), d(2)}, ctx)};
  Value coefficientsOut = lb.generic(
      {reshape(y, {coefficients, groups}), blocks}, zeros(y, {groups, 16}),
      maps,
      {IteratorType::parallel, IteratorType::parallel, IteratorType::parallel,
       IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange a) -> Value {
        Value product = arith::MulFOp::create(nb, l, a[0], a[1],
                                              kContractionFastMath);
        return arith::AddFOp::create(nb, l, a[2], product,
                                     kContractionFastMath);
      });
  Value hadamard =
      buildWalshHadamard(b, loc, reshape(coefficientsOut, {dim / p, p}));
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
  return reshape(scaled, {fields * words});
}

Value FrameLinearBuilder::productRows(Value tileOut, Value rowBegin,
                                      Value begin, Value end, int64_t batch,
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
  auto loop = scf::ForOp::create(
      b, loc, begin, end, index(batch), ValueRange{tileOut},
      [&](OpBuilder &nb, Location l, Value batchBegin, ValueRange outer) {
        Value zeroVector = arith::ConstantOp::create(
            nb, l, DenseElementsAttr::get(f32Vector, 0.0f));
        SmallVector<Value> initAccs(batch * rows, zeroVector);
        Value zeroIndex = arith::ConstantIndexOp::create(nb, l, 0);
        auto wordLoop = scf::ForOp::create(
            nb, l, zeroIndex, arith::ConstantIndexOp::create(nb, l, words),
            arith::ConstantIndexOp::create(nb, l, kLanes), initAccs,
            [&](OpBuilder &wb, Location wl, Value word, ValueRange accs) {
              SmallVector<Value> acc(accs);
              Value intPad = arith::ConstantIntOp::create(wb, wl, 0, 32);
              Value floatPad = arith::ConstantFloatOp::create(
                  wb, wl, wb.getF32Type(), APFloat(0.0f));
              SmallVector<Value> packed;
              for (int64_t r = 0; r < rows; ++r) {
                Value row = arith::AddIOp::create(
                    wb, wl, rowBegin,
                    arith::ConstantIndexOp::create(wb, wl, r));
                packed.push_back(vector::TransferReadOp::create(
                    wb, wl, i32Vector, codes, ValueRange{row, word}, intPad,
                    ArrayRef<bool>{true}));
              }
              auto splat = [&](uint32_t value) -> Value {
                return arith::ConstantOp::create(
                    wb, wl,
                    DenseElementsAttr::get(i32Vector,
                                           static_cast<int32_t>(value)));
              };
              for (int64_t field = 0; field < fields; ++field) {
                // Field i in place: q · 2^(i·bits), a non-negative i32 that
                // converts exactly (the activations were scaled by
                // 2^(-i·bits)); the top field of a full word is shifted down
                // instead, as it would overflow the sign bit.
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
                Value column = arith::AddIOp::create(
                    wb, wl, word,
                    arith::ConstantIndexOp::create(wb, wl, field * words));
                for (int64_t i = 0; i < batch; ++i) {
                  Value activationRow = arith::AddIOp::create(
                      wb, wl, batchBegin,
                      arith::ConstantIndexOp::create(wb, wl, i));
                  Value x = vector::TransferReadOp::create(
                      wb, wl, f32Vector, xt, ValueRange{activationRow, column},
                      floatPad, ArrayRef<bool>{true});
                  for (int64_t r = 0; r < rows; ++r)
                    acc[i * rows + r] =
                        vector::FMAOp::create(wb, wl, q[r], x, acc[i * rows + r]);
                }
              }
              scf::YieldOp::create(wb, wl, acc);
            });
        // scale · (Σ q·x − zero · Σ x) per output.
        Value out = outer[0];
        for (int64_t i = 0; i < batch; ++i) {
          Value activationRow = arith::AddIOp::create(
              nb, l, batchBegin, arith::ConstantIndexOp::create(nb, l, i));
          Value sum = tensor::ExtractOp::create(nb, l, sums, activationRow);
          for (int64_t r = 0; r < rows; ++r) {
            Value local = arith::ConstantIndexOp::create(nb, l, r);
            Value row = arith::AddIOp::create(nb, l, rowBegin, local);
            Value dot = vector::ReductionOp::create(
                nb, l, vector::CombiningKind::ADD,
                wordLoop.getResult(i * rows + r), Value(),
                kContractionFastMath);
            Value correction = arith::MulFOp::create(
                nb, l, tensor::ExtractOp::create(nb, l, zero, row), sum);
            Value y = arith::MulFOp::create(
                nb, l, tensor::ExtractOp::create(nb, l, scale, row),
                arith::SubFOp::create(nb, l, dot, correction));
            out = tensor::InsertOp::create(nb, l, y, out,
                                           ValueRange{activationRow, local});
          }
        }
        scf::YieldOp::create(nb, l, out);
      });
  return loop.getResult(0);
}

Value FrameLinearBuilder::packedProduct(Value xt, Value codes, Value scale,
                                        Value zero, ProductTile tile) {
  int64_t numRows = cast<RankedTensorType>(codes.getType()).getDimSize(0);
  Value sums = lb.rowSum(xt, tensor::getMixedSize(b, loc, xt, 0));
  xt = scaleFields(xt, codes);
  OpFoldResult numBatch = tensor::getMixedSize(b, loc, xt, 0);
  Value init = tensor::EmptyOp::create(
      b, loc, SmallVector<OpFoldResult>{numBatch, b.getIndexAttr(numRows)},
      b.getF32Type());
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(numRows)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(tile.rows)}, ValueRange{init},
      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value rowBegin = forall.getInductionVar(0);
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), rowBegin};
  SmallVector<OpFoldResult> sizes{numBatch, b.getIndexAttr(tile.rows)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  Value shared = forall.getRegionIterArgs()[0];
  Value tileOut =
      tensor::ExtractSliceOp::create(b, loc, shared, offsets, sizes, strides);
  // Whole register tiles of activation rows, then the remainder one by one.
  Value batchSize = getValueOrCreateConstantIndexOp(b, loc, numBatch);
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  Value mainEnd = arith::SubIOp::create(
      b, loc, batchSize,
      arith::RemUIOp::create(
          b, loc, batchSize,
          arith::ConstantIndexOp::create(b, loc, tile.batch)));
  tileOut = productRows(tileOut, rowBegin, zeroIndex, mainEnd, tile.batch,
                        tile.rows, xt, sums, codes, scale, zero);
  if (tile.batch > 1)
    tileOut = productRows(tileOut, rowBegin, mainEnd, batchSize, 1, tile.rows,
                          xt, sums, codes, scale, zero);
  b.setInsertionPointToEnd(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, tileOut, shared, offsets,
                                        sizes, strides);
  return forall.getResult(0);
}

/// Returns the vector registers of the module's `#effattn.cpu` target.
static int64_t getVectorRegisters(Operation *op) {
  if (auto module = op->getParentOfType<ModuleOp>())
    if (auto target = dyn_cast_if_present<CpuTargetAttr>(
            module->getAttr("effattn.target")))
      return target.getVectorRegisters();
  return kDefaultVectorRegisters;
}

/// Chooses the register tile: rows·batch accumulators, the rows' words and
/// unpacked codes, and one activation vector in `registers`. One activation
/// row: as many code rows as fit (each activation load serves all of them);
/// more: two code rows and as many activation rows as fit (each unpacked
/// code vector serves all of them). The rows divide `numRows`.
static ProductTile chooseProductTile(int64_t registers, int64_t numRows,
                                     bool singleBatch) {
  ProductTile tile{1, 1};
  if (singleBatch) {
    for (int64_t rows : {8, 4, 2})
      if (3 * rows + 1 <= registers && numRows % rows == 0) {
        tile.rows = rows;
        break;
      }
    return tile;
  }
  tile.rows = numRows % 2 == 0 ? 2 : 1;
  tile.batch = std::clamp<int64_t>(
      (registers - 2 * tile.rows - 1) / tile.rows, 1, 8);
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
  Value transformed = builder.project(x, in, config.seedIn, paddedCols);
  int64_t batchSize = cast<RankedTensorType>(x.getType()).getDimSize(0);
  ProductTile tile =
      chooseProductTile(getVectorRegisters(*this), codesType.getDimSize(0),
                        batchSize == 1);
  Value y = builder.packedProduct(transformed, getCodes(), getScale(),
                                  getZero(), tile);
  if (config.seedOut)
    y = builder.projectBack(y, out, *config.seedOut);
  return SmallVector<Value>{
      expandBatchDims(b, loc, y, getInit(), numBatch)};
}
