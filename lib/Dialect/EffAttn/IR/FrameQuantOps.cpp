//===- FrameQuantOps.cpp - frame_quantize and frame_linear ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Verifiers of FrameQuant's two ops: the parameters they share and the shapes
// of the packed weights that link them.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

/// Largest frame subspace count k = round(8 · redundancy) (redundancy 4).
static constexpr int64_t kMaxFrameSubspaces = 32;
/// Largest transformed dimension: the sign diagonal and the per-group frame
/// blocks are compile-time constants of up to 16 · 2k · dim / 16 floats.
static constexpr int64_t kMaxFrameDim = int64_t(1) << 16;

/// Builds the shared parameters from the attributes.
static FrameQuantConfig makeConfig(int64_t bits, double redundancy,
                                   int64_t seedIn,
                                   std::optional<int64_t> seedOut) {
  FrameQuantConfig config;
  config.bits = bits;
  config.redundancy = redundancy;
  config.seedIn = static_cast<uint32_t>(seedIn);
  if (seedOut)
    config.seedOut = static_cast<uint32_t>(*seedOut);
  return config;
}

FrameQuantConfig FrameQuantizeOp::getConfig() {
  FrameQuantConfig config = makeConfig(
      getBits(), getRedundancy().convertToDouble(), getSeedIn(), getSeedOut());
  config.xSigma = getXSigma().convertToDouble();
  return config;
}

FrameQuantConfig FrameLinearOp::getConfig() {
  return makeConfig(getBits(), getRedundancy().convertToDouble(), getSeedIn(),
                    getSeedOut());
}

/// Checks the attributes both ops share.
static LogicalResult verifyFrameAttributes(Operation *op, int64_t bits,
                                           double redundancy, int64_t seedIn,
                                           std::optional<int64_t> seedOut) {
  if (bits < 2 || bits > 8)
    return op->emitOpError("expects 'bits' in [2, 8], got ") << bits;
  if (!std::isfinite(redundancy) || getFrameSubspaces(redundancy) < 8 ||
      getFrameSubspaces(redundancy) > kMaxFrameSubspaces)
    return op->emitOpError("expects 'redundancy' with k = round(8 * "
                           "redundancy) in [8, ")
           << kMaxFrameSubspaces << "] (a tight frame of at most 4x), got "
           << redundancy;
  for (auto [name, seed] :
       {std::pair<StringRef, std::optional<int64_t>>{"seed_in", seedIn},
        {"seed_out", seedOut}})
    if (seed && (*seed < 0 || *seed > int64_t(UINT32_MAX)))
      return op->emitOpError("expects '")
             << name << "' in [0, 2^32), got " << *seed;
  return success();
}

/// Checks `size`, a dimension the frame transforms, and names it in the
/// diagnostic.
static LogicalResult verifyFrameDim(Operation *op, StringRef name,
                                    int64_t size) {
  if (ShapedType::isDynamic(size) || size % 16 != 0)
    return op->emitOpError("expects a static ")
           << name
           << " that is a multiple of 16 (the frame's block width), got "
           << (ShapedType::isDynamic(size) ? std::string("?")
                                           : std::to_string(size));
  if (size > kMaxFrameDim)
    return op->emitOpError("expects ")
           << name << " <= " << kMaxFrameDim << ", got " << size;
  return success();
}

/// Checks codes [rows, words], scale [rows] and zero [rows] for weights
/// [out, in].
static LogicalResult verifyPackedWeights(Operation *op, int64_t out, int64_t in,
                                         const FrameQuantConfig &config,
                                         RankedTensorType codes,
                                         RankedTensorType scale,
                                         RankedTensorType zero) {
  int64_t rows = config.seedOut ? getFrameDim(out, config.redundancy) : out;
  int64_t cols = getFrameDim(in, config.redundancy);
  int64_t groups = getPackedRowGroups(rows);
  int64_t words = getPackedWords(cols, config.bits);
  if (codes.getShape() != ArrayRef<int64_t>{groups, words, kPackedRowGroup})
    return op->emitOpError("expects codes of shape [")
           << groups << ", " << words << ", " << kPackedRowGroup << "] (the "
           << rows << " rows in groups of " << kPackedRowGroup << ", "
           << getCodesPerWord(config.bits) << " of the " << cols
           << " frame coefficients per word), got " << codes;
  for (auto [name, type] :
       {std::pair<StringRef, RankedTensorType>{"scale", scale}, {"zero", zero}})
    if (type.getShape() != ArrayRef<int64_t>{rows})
      return op->emitOpError("expects ")
             << name << " of shape [" << rows << "], got " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// FrameQuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult FrameQuantizeOp::verify() {
  FrameQuantConfig config = getConfig();
  if (failed(verifyFrameAttributes(*this, getBits(), config.redundancy,
                                   getSeedIn(), getSeedOut())))
    return failure();
  double xSigma = config.xSigma;
  if (!std::isfinite(xSigma) || xSigma <= 0)
    return emitOpError("expects a positive finite 'x_sigma', got ") << xSigma;
  auto weightsType = cast<RankedTensorType>(getWeights().getType());
  if (weightsType.getRank() != 2)
    return emitOpError("expects weights [out, in] of rank 2, got ")
           << weightsType;
  int64_t out = weightsType.getDimSize(0), in = weightsType.getDimSize(1);
  if (failed(verifyFrameDim(*this, "in", in)) ||
      (config.seedOut &&
       failed(verifyFrameDim(*this, "out (with seed_out)", out))))
    return failure();
  if (ShapedType::isDynamic(out))
    return emitOpError("expects a static out dimension");
  return verifyPackedWeights(*this, out, in, config, getCodes().getType(),
                             getScale().getType(), getZero().getType());
}

//===----------------------------------------------------------------------===//
// FrameLinearOp
//===----------------------------------------------------------------------===//

LogicalResult FrameLinearOp::verify() {
  FrameQuantConfig config = getConfig();
  if (failed(verifyFrameAttributes(*this, getBits(), config.redundancy,
                                   getSeedIn(), getSeedOut())))
    return failure();
  RankedTensorType inputType = getInput().getType();
  RankedTensorType initType = getInit().getType();
  int64_t rank = inputType.getRank();
  if (rank < 1 || initType.getRank() != rank)
    return emitOpError("expects input [..., in] and init [..., out] of the "
                       "same rank >= 1, got ")
           << inputType << " and " << initType;
  for (int64_t i = 0; i + 1 < rank; ++i) {
    int64_t a = inputType.getDimSize(i), b = initType.getDimSize(i);
    if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
      return emitOpError("expects init's batch dimension ")
             << i << " to match input's (" << a << "), got " << b;
  }
  int64_t in = inputType.getDimSize(rank - 1);
  int64_t out = initType.getDimSize(rank - 1);
  if (failed(verifyFrameDim(*this, "in", in)))
    return failure();
  if (config.seedOut &&
      failed(verifyFrameDim(*this, "out (with seed_out)", out)))
    return failure();
  if (ShapedType::isDynamic(out))
    return emitOpError("expects a static out dimension");
  if (failed(verifyPackedWeights(*this, out, in, config, getCodes().getType(),
                                 getScale().getType(), getZero().getType())))
    return failure();
  if (getType() != initType)
    return emitOpError("expects the result type to equal init's type ")
           << initType << ", got " << getType();
  return success();
}

LogicalResult
FrameLinearOp::reifyResultShapes(OpBuilder &b,
                                 ReifiedRankedShapedTypeDims &reifiedShapes) {
  reifiedShapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}
