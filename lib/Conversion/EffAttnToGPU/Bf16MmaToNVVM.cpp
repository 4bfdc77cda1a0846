//===- Bf16MmaToNVVM.cpp - bf16 mma.sync to NVVM ----------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// nvgpu.mma.sync verifies with bf16 operands, but convert-nvgpu-to-nvvm
// cannot lower them ("failed to deduce operand PTX types"). The kernels emit
// nvgpu.mma.sync for f16, bf16 and i8 alike, so that one emulation covers all
// three; this pass lowers the bf16 ones to nvvm.mma.sync on the fragments'
// 32-bit registers (two bf16 each), which has the same fragment layouts as
// f16.
//
//===----------------------------------------------------------------------===//

#include "effattn/Conversion/EffAttnToGPU/EffAttnToGPU.h"
#include "effattn/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNGPULOWERBF16MMAPASS
#include "effattn/Conversion/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// Rewrites a bf16 nvgpu.mma.sync m16n8k16 into f32 as nvvm.mma.sync.
struct Bf16MmaSyncToNVVM : OpRewritePattern<nvgpu::MmaSyncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nvgpu::MmaSyncOp op,
                                PatternRewriter &rewriter) const override {
    VectorType cType = op.getMatrixC().getType();
    if (!op.getMatrixA().getType().getElementType().isBF16() ||
        !cType.getElementType().isF32() ||
        op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16})
      return rewriter.notifyMatchFailure(op, "not bf16 m16n8k16 into f32");
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    // Fragment row i (two bf16) as one 32-bit register.
    auto registers = [&](Value fragment) {
      SmallVector<Value, 4> words;
      int64_t rows = cast<VectorType>(fragment.getType()).getDimSize(0);
      for (int64_t i = 0; i < rows; ++i) {
        Value pair = vector::ExtractOp::create(rewriter, loc, fragment, i);
        Value word = vector::BitCastOp::create(rewriter, loc,
                                               VectorType::get({1}, i32), pair);
        words.push_back(vector::ExtractOp::create(rewriter, loc, word, 0));
      }
      return words;
    };
    SmallVector<Value, 4> accumulators;
    for (int64_t i = 0; i < 4; ++i)
      accumulators.push_back(vector::ExtractOp::create(
          rewriter, loc, op.getMatrixC(), ArrayRef<int64_t>{i / 2, i % 2}));
    Type f32 = rewriter.getF32Type();
    Type result = LLVM::LLVMStructType::getLiteral(rewriter.getContext(),
                                                   SmallVector<Type>(4, f32));
    Value d = NVVM::MmaOp::create(
        rewriter, loc, result, registers(op.getMatrixA()),
        registers(op.getMatrixB()), accumulators, ArrayRef<int64_t>{16, 8, 16},
        std::nullopt, std::nullopt,
        std::array{NVVM::MMATypes::bf16, NVVM::MMATypes::bf16},
        std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value, 4> elements;
    for (int64_t i = 0; i < 4; ++i)
      elements.push_back(LLVM::ExtractValueOp::create(rewriter, loc, d, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, cType, elements);
    return success();
  }
};

struct EffAttnGPULowerBf16MmaPass
    : effattn::impl::EffAttnGPULowerBf16MmaPassBase<
          EffAttnGPULowerBf16MmaPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateBf16MmaSyncToNVVMPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::effattn::populateBf16MmaSyncToNVVMPatterns(
    RewritePatternSet &patterns) {
  patterns.add<Bf16MmaSyncToNVVM>(patterns.getContext());
}
