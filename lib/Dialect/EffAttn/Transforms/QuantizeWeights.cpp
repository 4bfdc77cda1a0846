//===- QuantizeWeights.cpp - FrameQuant at compile time ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/FrameQuant/Quantizer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNQUANTIZEWEIGHTSPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// Replaces `op` by constants of its quantized constant weights; fails with
/// a diagnostic when the weights are not constant.
static LogicalResult quantizeConstantWeights(RewriterBase &rewriter,
                                             FrameQuantizeOp op) {
  ElementsAttr weights;
  if (!matchPattern(op.getWeights(), m_Constant(&weights)))
    return op.emitOpError(
        "expects constant weights (FrameQuant quantizes at compile time); "
        "pass the weights as a constant, or pass the packed codes, scale and "
        "zero to effattn.frame_linear");
  auto values = weights.tryGetValues<float>();
  if (!values)
    return op.emitOpError("cannot read the constant weights as f32 values");
  auto type = cast<RankedTensorType>(op.getWeights().getType());
  int64_t out = type.getDimSize(0), in = type.getDimSize(1);
  SmallVector<float> dense(values->begin(), values->end());
  FrameQuantConfig config = op.getConfig();
  FrameQuantizedWeights quantized =
      quantizeFrameWeights(dense, out, in, config);
  SmallVector<int32_t> packed = packFrameCodes(quantized.codes, quantized.rows,
                                               quantized.cols, config.bits);

  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  auto constant = [&](Type type, auto data) -> Value {
    return arith::ConstantOp::create(
        rewriter, loc,
        DenseElementsAttr::get(cast<ShapedType>(type), ArrayRef(data)));
  };
  rewriter.replaceOp(op, {constant(op.getCodes().getType(), packed),
                          constant(op.getScale().getType(), quantized.scale),
                          constant(op.getZero().getType(), quantized.zero)});
  return success();
}

namespace {
struct EffAttnQuantizeWeightsPass
    : effattn::impl::EffAttnQuantizeWeightsPassBase<
          EffAttnQuantizeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<FrameQuantizeOp> ops;
    getOperation().walk([&](FrameQuantizeOp op) { ops.push_back(op); });
    for (FrameQuantizeOp op : ops)
      if (failed(quantizeConstantWeights(rewriter, op)))
        return signalPassFailure();
  }
};
} // namespace
