//===- Tf32Mma.cpp - f32 products on tf32 tensor cores ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Tf32Mma.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <array>

using namespace mlir;
using namespace mlir::effattn;

/// `fragment` (f32) rounded to tf32.
static Value roundToTf32(ImplicitLocOpBuilder &b, Value fragment) {
  auto type = cast<VectorType>(fragment.getType());
  VectorType bitsType = type.clone(b.getI32Type());
  auto splat = [&](int32_t v) {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(bitsType, b.getI32IntegerAttr(v)));
  };
  Value bits = arith::BitcastOp::create(b, bitsType, fragment);
  bits = arith::AndIOp::create(b, arith::AddIOp::create(b, bits, splat(0x1000)),
                               splat(static_cast<int32_t>(0xFFFFE000u)));
  return arith::BitcastOp::create(b, type, bits);
}

std::pair<Value, Value> mlir::effattn::splitTf32(ImplicitLocOpBuilder &b,
                                                 Value fragment) {
  Value big = roundToTf32(b, fragment);
  return {big, roundToTf32(b, arith::SubFOp::create(b, fragment, big))};
}

void mlir::effattn::multiplyAdd3xTf32(ImplicitLocOpBuilder &b, Value a,
                                      Value bFragment, Value &acc,
                                      Value &smallAcc) {
  std::array<int64_t, 3> shape{16, 8, 8};
  auto [aBig, aSmall] = splitTf32(b, a);
  auto [bBig, bSmall] = splitTf32(b, bFragment);
  smallAcc = nvgpu::MmaSyncOp::create(b, aSmall, bBig, smallAcc, shape,
                                      /*tf32Enabled=*/true);
  smallAcc = nvgpu::MmaSyncOp::create(b, aBig, bSmall, smallAcc, shape,
                                      /*tf32Enabled=*/true);
  acc = nvgpu::MmaSyncOp::create(b, aBig, bBig, acc, shape,
                                 /*tf32Enabled=*/true);
}
