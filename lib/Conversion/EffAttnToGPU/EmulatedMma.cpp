//===- EmulatedMma.cpp - mma.sync computed on the host ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One lane's mma.sync result from its warp's fragments, by the PTX ISA's
// fragment layouts (lane = 4·g + t), for the lockstep emulation.
//
//===----------------------------------------------------------------------===//

#include "EmulatedMma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::effattn;

bool mlir::effattn::isEmulatedMmaShape(nvgpu::MmaSyncOp mma) {
  Type operand = mma.getMatrixA().getType().getElementType();
  Type acc = mma.getMatrixC().getType().getElementType();
  std::array<int64_t, 3> shape = mma.getMmaShapeAsArray();
  return (shape == std::array<int64_t, 3>{16, 8, 16} &&
          (operand.isF16() || operand.isBF16()) && acc.isF32()) ||
         (shape == std::array<int64_t, 3>{16, 8, 32} && operand.isInteger(8) &&
          acc.isInteger(32)) ||
         (shape == std::array<int64_t, 3>{16, 8, 8} && operand.isF32() &&
          acc.isF32() && mma.getTf32Enabled());
}

func::FuncOp mlir::effattn::getEmulatedMmaFunction(ModuleOp module,
                                                   nvgpu::MmaSyncOp mma) {
  VectorType fragmentA = mma.getMatrixA().getType();
  VectorType fragmentB = mma.getMatrixB().getType();
  VectorType fragmentC = mma.getMatrixC().getType();
  std::array<int64_t, 3> shape = mma.getMmaShapeAsArray();
  std::string name;
  llvm::raw_string_ostream os(name);
  os << "__effattn_emulated_mma_sync_m" << shape[0] << "n" << shape[1] << "k"
     << shape[2] << "_" << fragmentA.getElementType() << "_"
     << fragmentC.getElementType();
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;

  Location loc = mma.getLoc();
  IRRewriter rewriter(mma.getContext());
  rewriter.setInsertionPointToEnd(module.getBody());
  auto slotsOf = [](VectorType type) {
    return MemRefType::get({ShapedType::kDynamic}, type);
  };
  auto function = func::FuncOp::create(
      rewriter, loc, name,
      rewriter.getFunctionType({slotsOf(fragmentA), slotsOf(fragmentB),
                                fragmentC, rewriter.getIndexType()},
                               {fragmentC}));
  function.setPrivate();
  // One body, not hundreds of inlined copies.
  function->setAttr("passthrough", rewriter.getStrArrayAttr({"noinline"}));
  rewriter.setInsertionPointToStart(function.addEntryBlock());
  Value aSlots = function.getArgument(0), bSlots = function.getArgument(1);
  Value c = function.getArgument(2), thread = function.getArgument(3);
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(rewriter, loc, value);
  };
  // m16n8k<K>: each 32-bit register holds e = 32 / bits elements; A register
  // r covers row g + 8·(r mod 2) and K half r / 2, B register r K half r.
  int64_t depth = shape[2], halfDepth = depth / 2;
  Type operandType = fragmentA.getElementType();
  int64_t perRegister = 32 / operandType.getIntOrFloatBitWidth();
  bool integer = isa<IntegerType>(operandType);
  // Integers sum exactly in i64 and are clamped to i32 (.satfinite, as
  // nvgpu lowers them); floats sum in f32.
  Type sumType = integer ? Type(rewriter.getI64Type()) : rewriter.getF32Type();
  auto widen = [&](Value value) -> Value {
    if (value.getType() == sumType)
      return value;
    return integer ? arith::ExtSIOp::create(rewriter, loc, sumType, value)
                         .getResult()
                   : arith::ExtFOp::create(rewriter, loc, sumType, value)
                         .getResult();
  };
  // A fragment as its elements, register-major.
  auto flat = [&](Value fragment) {
    auto type = cast<VectorType>(fragment.getType());
    return vector::ShapeCastOp::create(
        rewriter, loc,
        VectorType::get({type.getNumElements()}, type.getElementType()),
        fragment);
  };
  Value lane = arith::RemUIOp::create(rewriter, loc, thread, index(kWarpSize));
  Value warp = arith::SubIOp::create(rewriter, loc, thread, lane);
  Value group = arith::DivUIOp::create(rewriter, loc, lane, index(4));
  Value quadLane = arith::RemUIOp::create(rewriter, loc, lane, index(4));
  Value flatC = flat(c);
  SmallVector<Value> sums;
  for (int64_t i = 0; i < 4; ++i)
    sums.push_back(widen(vector::ExtractOp::create(rewriter, loc, flatC, i)));
  // Over k: lanes 4·g + (k mod h)/e hold A[g or g + 8][k] and lanes
  // 4·n + (k mod h)/e hold B[k][n], element k mod e of their register.
  auto loop =
      scf::ForOp::create(rewriter, loc, index(0), index(depth), index(1), sums);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(loop.getBody());
    Value k = loop.getInductionVar();
    Value kLane = arith::DivUIOp::create(
        rewriter, loc,
        arith::RemUIOp::create(rewriter, loc, k, index(halfDepth)),
        index(perRegister));
    Value kHalf = arith::DivUIOp::create(rewriter, loc, k, index(halfDepth));
    Value kElement =
        arith::RemUIOp::create(rewriter, loc, k, index(perRegister));
    auto laneOf = [&](Value row) {
      return arith::AddIOp::create(
          rewriter, loc, warp,
          arith::AddIOp::create(
              rewriter, loc,
              arith::MulIOp::create(rewriter, loc, row, index(4)), kLane));
    };
    // Element kElement of register `reg` of `fragment`.
    auto element = [&](Value fragment, Value reg) -> Value {
      Value position = arith::AddIOp::create(
          rewriter, loc,
          arith::MulIOp::create(rewriter, loc, reg, index(perRegister)),
          kElement);
      Value value = vector::ExtractOp::create(rewriter, loc, fragment,
                                              ArrayRef<OpFoldResult>{position});
      if (!operandType.isF32())
        return widen(value);
      // tf32: the hardware ignores the 13 low bits of the f32 register.
      Type i32 = rewriter.getI32Type();
      Value bits = arith::BitcastOp::create(rewriter, loc, i32, value);
      bits = arith::AndIOp::create(
          rewriter, loc, bits,
          arith::ConstantIntOp::create(rewriter, loc, i32,
                                       static_cast<int32_t>(0xFFFFE000u)));
      return arith::BitcastOp::create(rewriter, loc, sumType, bits);
    };
    Value a = flat(memref::LoadOp::create(rewriter, loc, aSlots,
                                          ValueRange{laneOf(group)}));
    SmallVector<Value> next;
    for (int64_t i = 0; i < 4; ++i) {
      int64_t rowHalf = i / 2, column = i % 2;
      // A register rowHalf + 2·kHalf.
      Value aRegister = arith::AddIOp::create(
          rewriter, loc, index(rowHalf),
          arith::MulIOp::create(rewriter, loc, kHalf, index(2)));
      // B column n = 2·quadLane + column: register kHalf.
      Value n = arith::AddIOp::create(
          rewriter, loc,
          arith::MulIOp::create(rewriter, loc, quadLane, index(2)),
          index(column));
      Value b = flat(
          memref::LoadOp::create(rewriter, loc, bSlots, ValueRange{laneOf(n)}));
      Value x = element(a, aRegister), y = element(b, kHalf);
      Value sum = loop.getRegionIterArgs()[i];
      next.push_back(
          integer ? arith::AddIOp::create(
                        rewriter, loc, sum,
                        arith::MulIOp::create(rewriter, loc, x, y))
                        .getResult()
                  : math::FmaOp::create(rewriter, loc, x, y, sum).getResult());
    }
    scf::YieldOp::create(rewriter, loc, next);
  }
  SmallVector<Value> results(loop.getResults());
  if (integer) {
    Type i32 = rewriter.getI32Type();
    auto bound = [&](int64_t v) {
      return arith::ConstantIntOp::create(rewriter, loc, sumType, v);
    };
    for (Value &result : results) {
      Value clamped = arith::MaxSIOp::create(
          rewriter, loc,
          arith::MinSIOp::create(rewriter, loc, result,
                                 bound(std::numeric_limits<int32_t>::max())),
          bound(std::numeric_limits<int32_t>::min()));
      result = arith::TruncIOp::create(rewriter, loc, i32, clamped);
    }
  }
  Value d = vector::FromElementsOp::create(
      rewriter, loc, VectorType::get({4}, fragmentC.getElementType()), results);
  func::ReturnOp::create(
      rewriter, loc,
      ValueRange{vector::ShapeCastOp::create(rewriter, loc, fragmentC, d)});
  return function;
}
