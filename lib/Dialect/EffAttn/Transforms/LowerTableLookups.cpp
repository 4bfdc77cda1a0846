//===- LowerTableLookups.cpp - effattn.table_lookup to LLVM -----*- C++ -*-===//
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
#define GEN_PASS_DEF_EFFATTNLOWERTABLELOOKUPSPASS
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

struct EffAttnLowerTableLookupsPass
    : effattn::impl::EffAttnLowerTableLookupsPassBase<
          EffAttnLowerTableLookupsPass> {
  using Base::Base;

  void runOnOperation() override {
    CpuTargetAttr target = getCpuTarget(getOperation());
    RewritePatternSet patterns(&getContext());
    if (target && target.hasFeature("avx512f"))
      patterns.add<LookupToPermute>(&getContext());
    else
      patterns.add<LookupToExtracts>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
