//===- MmaContractionKernel.cpp - GEMMs on tensor cores ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tensor-core kernel of a contraction whose body multiplies f16 or bf16
// (i8) operands extended to an f32 (i32) accumulator, such as a model's
// f16/bf16 matmuls and IM-Unpack's low-bit GEMMs, or f32 operands into f32
// (Nyström's GEMMs, a model's f32 matmuls) as 3xTF32:
//
// - a block of 4 warps computes a 64 × 64 tile of C, each warp a 32 × 32
//   quarter as 2 × 4 mma.sync accumulator fragments (m16n8k16 for f16/bf16,
//   m16n8k32 for i8, m16n8k8 for tf32; f32 or i32 accumulators);
// - the slices of A and B are staged [64][32 + padding] in shared memory,
//   contiguous along K, so that the fragments are 8 × 8 b16 tiles (8 rows of
//   16 bytes: 8 f16/bf16, 16 i8 or 4 f32 along K; slices of 16 along K for
//   f32) in the layout ldmatrix
//   gives: one ldmatrix.x4 loads an A fragment, or the B fragments of two n8
//   tiles; 16 bytes of padding per row put the 8 rows of 16 bytes a phase
//   reads in 32 distinct banks (row starts 16-byte aligned, as ldmatrix
//   needs).
//
// f32 operands run as 3xTF32 (Tf32Mma.h), the products with a small part
// summed in a second set of accumulators that is added to the first after
// the loop over K, so that the main sums see as many roundings as f32 FMAs
// would.
//
// nvgpu lowers i8 mma.sync with .satfinite, which clamps a sum past the
// i32 range where linalg wraps. So the i8 kernel sums K in chunks of 2^16,
// each from zero (|sum| <= 2^16 · 2^14 = 2^30: never clamped), and adds each
// chunk's sums to C with wrapping i32 adds: exactly linalg's result.
//
//===----------------------------------------------------------------------===//

#include "ContractionKernel.h"
#include "Tf32Mma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::effattn;

/// mma.sync fragments are per warp of 32 lanes; the block's warps form a
/// kWarpsPerSide × kWarpsPerSide grid of kWarpTile × kWarpTile quarters.
static constexpr int64_t kLanes = 32;
static constexpr int64_t kWarpsPerSide = 2;
static constexpr int64_t kWarpTile = 32;
static constexpr int64_t kTile = kWarpsPerSide * kWarpTile;
/// Fragments per warp along M (m16) and N (n8).
static constexpr int64_t kMFragments = kWarpTile / 16;
static constexpr int64_t kNFragments = kWarpTile / 8;
/// K per slice; bytes of padding per slice row.
static constexpr int64_t kDepth = 32;
/// K per slice of f32 operands: 64 bytes per row, as for f16, which halves
/// the registers that prefetch the next slices (16 per thread) and keeps the
/// 3xTF32 kernel without spills.
static constexpr int64_t kTf32Depth = 16;
static constexpr int64_t kPaddingBytes = 16;
/// K per chunk of i8 partial sums (file comment).
static constexpr int64_t kI8ChunkDepth = int64_t(1) << 16;

/// Returns the body argument `value` is (f32 operands of an f32
/// accumulator) or is the extension of (extf for floats, extsi for
/// integers) to `accType`, or null.
static Value getExtendedArgument(Value value, Type accType) {
  if (auto argument = dyn_cast<BlockArgument>(value))
    return accType.isF32() ? argument : nullptr;
  Operation *ext = value.getDefiningOp();
  if (!ext || !(isa<FloatType>(accType) ? isa<arith::ExtFOp>(ext)
                                        : isa<arith::ExtSIOp>(ext)))
    return nullptr;
  return dyn_cast<BlockArgument>(ext->getOperand(0));
}

/// Returns true if the body of `op` is acc + ext(a) · ext(b) with mulf/addf
/// (muli/addi) in its accumulator type, or acc + a · b in f32.
static bool isExtendedMultiplyAdd(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  size_t numOps = body.getOperations().size();
  if (numOps != 5 && numOps != 3)
    return false;
  Value acc = body.getArgument(2);
  Type accType = acc.getType();
  Operation *add = body.getTerminator()->getOperand(0).getDefiningOp();
  if (!add || !(isa<FloatType>(accType) ? isa<arith::AddFOp>(add)
                                        : isa<arith::AddIOp>(add)))
    return false;
  Value product =
      add->getOperand(0) == acc ? add->getOperand(1) : add->getOperand(0);
  if (!llvm::is_contained(add->getOperands(), acc))
    return false;
  Operation *mul = product.getDefiningOp();
  if (!mul || !(isa<FloatType>(accType) ? isa<arith::MulFOp>(mul)
                                        : isa<arith::MulIOp>(mul)))
    return false;
  Value x = getExtendedArgument(mul->getOperand(0), accType);
  Value y = getExtendedArgument(mul->getOperand(1), accType);
  return x && y && x != y && x != acc && y != acc;
}

namespace {
/// Builds the tensor-core kernel (file comment) for operands of
/// `elementType` (f16, bf16, i8, or f32 as 3xTF32) and the mma.sync K
/// `mmaDepth` (16, 32 or 8).
class MmaContractionKernelBuilder : public ContractionKernelBuilder {
public:
  MmaContractionKernelBuilder(ImplicitLocOpBuilder &b, linalg::GenericOp op,
                              const ContractionLoops &loops, Type elementType,
                              Type accType, int64_t mmaDepth)
      : ContractionKernelBuilder(
            b, op, loops,
            ContractionTiling{
                kWarpsPerSide * kWarpsPerSide * kLanes, /*blockY=*/1, kTile,
                elementType.isF32() ? kTf32Depth : kDepth,
                /*kMajorSlices=*/false,
                kPaddingBytes * 8 / elementType.getIntOrFloatBitWidth(),
                /*sumsFromZero=*/true,
                isa<IntegerType>(elementType) ? kI8ChunkDepth : 0}),
        mmaDepth(mmaDepth), tf32(elementType.isF32()),
        perRegister(32 / elementType.getIntOrFloatBitWidth()),
        fragA(VectorType::get({4, perRegister}, elementType)),
        fragB(VectorType::get({2, perRegister}, elementType)),
        fragC(VectorType::get({2, 2}, accType)) {}

private:
  /// The lane's warp coordinates and fragment coordinates (g, t).
  struct LanePosition {
    Value warpM, warpN, g, t, lane;
  };
  LanePosition getLanePosition(Value x) {
    Value warp = arith::DivUIOp::create(b, x, index(kLanes));
    Value lane = arith::RemUIOp::create(b, x, index(kLanes));
    return {arith::MulIOp::create(
                b, arith::DivUIOp::create(b, warp, index(kWarpsPerSide)),
                index(kWarpTile)),
            arith::MulIOp::create(
                b, arith::RemUIOp::create(b, warp, index(kWarpsPerSide)),
                index(kWarpTile)),
            arith::DivUIOp::create(b, lane, index(4)),
            arith::RemUIOp::create(b, lane, index(4)), lane};
  }
  Value add(Value lhs, int64_t rhs) {
    return rhs ? arith::AddIOp::create(b, lhs, index(rhs)).getResult() : lhs;
  }

  SmallVector<std::pair<Value, Value>> getOutputOffsets(Value x,
                                                        Value) override {
    LanePosition lane = getLanePosition(x);
    Value m = arith::AddIOp::create(b, lane.warpM, lane.g);
    Value n = arith::AddIOp::create(b, lane.warpN,
                                    arith::MulIOp::create(b, lane.t, index(2)));
    SmallVector<std::pair<Value, Value>> offsets;
    for (int64_t mi = 0; mi < kMFragments; ++mi)
      for (int64_t ni = 0; ni < kNFragments; ++ni)
        for (int64_t c = 0; c < 4; ++c)
          offsets.emplace_back(add(m, 16 * mi + 8 * (c / 2)),
                               add(n, 8 * ni + c % 2));
    return offsets;
  }

  /// The accumulator fragments; for tf32, then as many fragments of the
  /// small products, from zero.
  SmallVector<Value> packAccumulators(ArrayRef<Value> accs) override {
    SmallVector<Value> fragments;
    for (int64_t i = 0, e = accs.size(); i < e; i += 4)
      fragments.push_back(
          vector::FromElementsOp::create(b, fragC, accs.slice(i, 4)));
    if (tf32)
      fragments.append(fragments.size(), arith::ConstantOp::create(
                                             b, fragC, b.getZeroAttr(fragC)));
    return fragments;
  }

  SmallVector<Value> unpackAccumulators(ValueRange fragments) override {
    SmallVector<Value> sums(fragments);
    if (tf32) {
      size_t count = sums.size() / 2;
      for (size_t i = 0; i < count; ++i)
        sums[i] = arith::AddFOp::create(b, sums[i], sums[count + i]);
      sums.resize(count);
    }
    SmallVector<Value> accs;
    for (Value fragment : sums)
      for (int64_t c = 0; c < 4; ++c)
        accs.push_back(vector::ExtractOp::create(b, fragment, {c / 2, c % 2}));
    return accs;
  }

  /// One ldmatrix.x4 of stage `stage` of `slice`: four 8 × 8 b16 tiles (8 rows
  /// of 16 bytes), tile i at (row + rowOffsets[i], column + columnOffsets[i]),
  /// the lane's row address from lane 8·i + (lane mod 8); register i of the
  /// result is the lane's part of tile i.
  Value loadTiles(Value slice, Value stage, Value lane, Value row, Value column,
                  std::array<int64_t, 4> rowOffsets,
                  std::array<int64_t, 4> columnOffsets) {
    // Lane l addresses tile l / 8: its offsets, selected without branches.
    Value tile = arith::DivUIOp::create(b, lane, index(8));
    auto pick = [&](std::array<int64_t, 4> offsets) {
      Value offset = index(offsets[0]);
      for (int64_t i = 1; i < 4; ++i)
        offset = arith::SelectOp::create(
            b,
            arith::CmpIOp::create(b, arith::CmpIPredicate::eq, tile, index(i)),
            index(offsets[i]), offset);
      return offset;
    };
    Value laneRow = arith::AddIOp::create(
        b, arith::AddIOp::create(b, row, pick(rowOffsets)),
        arith::RemUIOp::create(b, lane, index(8)));
    Value laneColumn = arith::AddIOp::create(b, column, pick(columnOffsets));
    return nvgpu::LdMatrixOp::create(b, fragA, slice,
                                     ValueRange{stage, laneRow, laneColumn},
                                     /*transpose=*/false, /*numTiles=*/4);
  }

  /// acc += a·b on tensor cores; for f32 operands (3xTF32) the small
  /// products go to `smallAcc`.
  void multiplyAdd(Value a, Value bFragment, Value &acc, Value &smallAcc) {
    if (tf32)
      return multiplyAdd3xTf32(b, a, bFragment, acc, smallAcc);
    acc = nvgpu::MmaSyncOp::create(b, a, bFragment, acc,
                                   ArrayRef<int64_t>{16, 8, mmaDepth});
  }

  /// Rows `first` and `first + 1` of a 4-register fragment as a B fragment.
  Value registerPair(Value fragment, int64_t first) {
    Value pair =
        arith::ConstantOp::create(b, fragB, b.getZeroAttr(fragB)).getResult();
    for (int64_t r = 0; r < 2; ++r)
      pair = vector::InsertOp::create(
          b, vector::ExtractOp::create(b, fragment, first + r), pair, r);
    return pair;
  }

  SmallVector<Value> multiplySlices(Value lhsSlice, Value rhsSlice, Value stage,
                                    Value x, Value,
                                    ValueRange packed) override {
    LanePosition lane = getLanePosition(x);
    int64_t half = mmaDepth / 2;
    SmallVector<Value> accs(packed);
    for (int64_t kk = 0; kk < tiling.depth; kk += mmaDepth) {
      Value column = index(kk);
      SmallVector<Value> as, bs;
      // A (16 × K): registers (rows 0-7, K low), (8-15, low), (0-7, high),
      // (8-15, high).
      for (int64_t mi = 0; mi < kMFragments; ++mi)
        as.push_back(loadTiles(lhsSlice, stage, lane.lane,
                               add(lane.warpM, 16 * mi), column, {0, 8, 0, 8},
                               {0, 0, half, half}));
      // B (K × 8, stored [n][k]) of two n8 tiles: (n 0-7, K low), (0-7,
      // high), (8-15, low), (8-15, high).
      for (int64_t ni = 0; ni < kNFragments; ni += 2) {
        Value tiles =
            loadTiles(rhsSlice, stage, lane.lane, add(lane.warpN, 8 * ni),
                      column, {0, 0, 8, 8}, {0, half, 0, half});
        bs.push_back(registerPair(tiles, 0));
        bs.push_back(registerPair(tiles, 2));
      }
      for (int64_t mi = 0; mi < kMFragments; ++mi)
        for (int64_t ni = 0; ni < kNFragments; ++ni) {
          int64_t i = mi * kNFragments + ni;
          Value unused;
          multiplyAdd(as[mi], bs[ni], accs[i],
                      tf32 ? accs[kMFragments * kNFragments + i] : unused);
        }
    }
    return accs;
  }

  int64_t mmaDepth;
  bool tf32;
  int64_t perRegister;
  VectorType fragA, fragB, fragC;
};
} // namespace

std::unique_ptr<ContractionKernelBuilder>
mlir::effattn::createMmaContractionKernelBuilder(ImplicitLocOpBuilder &b,
                                                 linalg::GenericOp op,
                                                 const ContractionLoops &loops,
                                                 GpuTargetAttr target,
                                                 bool f32OnTensorCores) {
  if (!target || !isExtendedMultiplyAdd(op))
    return nullptr;
  Type elementType = getElementTypeOrSelf(op.getDpsInputs()[0].getType());
  Type rhsType = getElementTypeOrSelf(op.getDpsInputs()[1].getType());
  Type accType = getElementTypeOrSelf(op.getDpsInits()[0].getType());
  if (rhsType != elementType)
    return nullptr;
  if ((elementType.isF16() || elementType.isBF16()) && accType.isF32() &&
      hasMmaShape(target,
                  elementType.isF16() ? "f16:m16n8k16" : "bf16:m16n8k16"))
    return std::make_unique<MmaContractionKernelBuilder>(b, op, loops,
                                                         elementType, accType,
                                                         /*mmaDepth=*/16);
  if (elementType.isInteger(8) && accType.isInteger(32) &&
      hasMmaShape(target, "i8:m16n8k32"))
    return std::make_unique<MmaContractionKernelBuilder>(b, op, loops,
                                                         elementType, accType,
                                                         /*mmaDepth=*/32);
  if (f32OnTensorCores && elementType.isF32() && accType.isF32() &&
      hasMmaShape(target, "tf32:m16n8k8"))
    return std::make_unique<MmaContractionKernelBuilder>(b, op, loops,
                                                         elementType, accType,
                                                         /*mmaDepth=*/8);
  return nullptr;
}
