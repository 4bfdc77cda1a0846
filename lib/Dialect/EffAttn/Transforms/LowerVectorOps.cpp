//===- LowerVectorOps.cpp - effattn's vector ops to the ISA -----*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNLOWERVECTOROPSPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// table_lookup -> one vpermps (llvm.x86.avx512.permvar.sf.512).
struct LookupToPermute : OpRewritePattern<TableLookupOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TableLookupOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(),
        rewriter.getStringAttr("llvm.x86.avx512.permvar.sf.512"),
        ValueRange{op.getTable(), op.getIndices()});
    return success();
  }
};

/// table_lookup -> per lane: extract the index, mask it to 4 bits, extract
/// the table entry, insert it.
struct LookupToExtracts : OpRewritePattern<TableLookupOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TableLookupOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(op.getType());
    Value result = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(type, 0.0f));
    Value mask = arith::ConstantIntOp::create(rewriter, loc,
                                              type.getNumElements() - 1, 32);
    for (int64_t lane = 0; lane < type.getNumElements(); ++lane) {
      Value index = vector::ExtractOp::create(rewriter, loc, op.getIndices(),
                                              ArrayRef<int64_t>{lane});
      Value position = arith::IndexCastOp::create(
          rewriter, loc, rewriter.getIndexType(),
          arith::AndIOp::create(rewriter, loc, index, mask));
      Value entry = vector::ExtractOp::create(rewriter, loc, op.getTable(),
                                              ArrayRef<OpFoldResult>{position});
      result = vector::InsertOp::create(rewriter, loc, entry, result,
                                        ArrayRef<int64_t>{lane});
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// multiply_add_pairs -> one pmaddwd of the target (`intrinsic`) plus an
/// add (which LLVM folds into vpdpwssd on AVX-512 VNNI).
struct MultiplyAddPairsToPmaddwd : OpRewritePattern<MultiplyAddPairsOp> {
  MultiplyAddPairsToPmaddwd(MLIRContext *context, int64_t lanes,
                            StringRef intrinsic)
      : OpRewritePattern(context, /*benefit=*/2), lanes(lanes),
        intrinsic(intrinsic) {}

  LogicalResult matchAndRewrite(MultiplyAddPairsOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getAcc().getType().getNumElements() != lanes)
      return failure();
    Value pairs =
        LLVM::CallIntrinsicOp::create(rewriter, op.getLoc(), op.getType(),
                                      rewriter.getStringAttr(intrinsic),
                                      ValueRange{op.getLhs(), op.getRhs()})
            .getResult(0);
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), pairs);
    return success();
  }

  int64_t lanes;
  StringRef intrinsic;
};

/// multiply_add_pairs -> even and odd halves by shuffles, sign-extended,
/// multiplied and added.
struct MultiplyAddPairsToArith : OpRewritePattern<MultiplyAddPairsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MultiplyAddPairsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType type = op.getType();
    SmallVector<int64_t> even, odd;
    for (int64_t lane = 0; lane < type.getNumElements(); ++lane) {
      even.push_back(2 * lane);
      odd.push_back(2 * lane + 1);
    }
    auto product = [&](ArrayRef<int64_t> half) -> Value {
      auto widen = [&](Value halves) -> Value {
        Value picked =
            vector::ShuffleOp::create(rewriter, loc, halves, halves, half);
        return arith::ExtSIOp::create(rewriter, loc, type, picked);
      };
      return arith::MulIOp::create(rewriter, loc, widen(op.getLhs()),
                                   widen(op.getRhs()));
    };
    Value pairs =
        arith::AddIOp::create(rewriter, loc, product(even), product(odd));
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), pairs);
    return success();
  }
};

struct EffAttnLowerVectorOpsPass
    : effattn::impl::EffAttnLowerVectorOpsPassBase<EffAttnLowerVectorOpsPass> {
  using Base::Base;

  void runOnOperation() override {
    CpuTargetAttr target = getCpuTarget(getOperation());
    RewritePatternSet patterns(&getContext());
    if (target && target.hasFeature("avx512f"))
      patterns.add<LookupToPermute>(&getContext());
    else
      patterns.add<LookupToExtracts>(&getContext());
    // pmaddwd where the target has one of the op's length, else the
    // portable form. The 128-bit one is SSE2's, which every x86-64 target
    // has; sse4.2 is the baseline feature our target descriptions list.
    if (target && target.hasFeature("avx512bw"))
      patterns.add<MultiplyAddPairsToPmaddwd>(&getContext(), 16,
                                              "llvm.x86.avx512.pmaddw.d.512");
    if (target && target.hasFeature("avx2"))
      patterns.add<MultiplyAddPairsToPmaddwd>(&getContext(), 8,
                                              "llvm.x86.avx2.pmadd.wd");
    if (target && target.hasFeature("sse4.2"))
      patterns.add<MultiplyAddPairsToPmaddwd>(&getContext(), 4,
                                              "llvm.x86.sse2.pmadd.wd");
    patterns.add<MultiplyAddPairsToArith>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
