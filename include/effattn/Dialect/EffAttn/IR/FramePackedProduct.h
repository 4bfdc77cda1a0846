//===- FramePackedProduct.h - FrameQuant's packed product -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The core of effattn.frame_linear: y[b, r] = scale[r] · (Σ_c q[r, c] ·
// x[b, c] − zero[r] · Σ_c x[b, c]) read straight from the packed words of
// FrameQuant/Quantizer.h (16 rows per vector of words), as vector code on
// tensors. Two kernels on CPUs:
//
// - fields: per word vector and field, the codes of one column for 16 rows
//   are masked in place (q · 2^(i·bits)), converted to f32 and FMA'd with
//   the column's activation, pre-scaled by 2^(-i·bits) (exact);
// - tables (2 bits, AVX-512): per activation row, a 16-entry table per
//   column pair holds a·x[2p] + b·x[2p + 1] for every code pair (a, b); a
//   4-bit field pair of 16 rows indexes it with one vpermps, so 16 rows × 2
//   columns cost a shift, a permute and an add.
//
// On GPUs the product is two linalg generics instead (a thread per output
// element extracting its codes' fields).
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_FRAMEPACKEDPRODUCT_H
#define EFFATTN_DIALECT_EFFATTN_IR_FRAMEPACKEDPRODUCT_H

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "mlir/IR/Builders.h"

namespace mlir {
namespace effattn {
/// How the packed product runs.
struct PackedProductConfig {
  /// Row groups of 16 code rows per parallel task and register tile.
  int64_t rowGroups = 1;
  /// Activation rows per register tile (the remainder runs one by one).
  int64_t batch = 1;
  /// Independent partial sums per accumulator (latency hiding).
  int64_t chains = 1;
  /// Use the table-lookup kernel (2-bit codes, AVX-512).
  bool tableLookup = false;
};

/// Chooses the kernel and register tile for `target` (null: 16 256-bit
/// registers, no AVX-512): accumulators (rowGroups · batch · chains
/// vectors of 16 f32) take at most half the registers.
PackedProductConfig choosePackedProductConfig(CpuTargetAttr target,
                                              int64_t numRowGroups,
                                              int64_t bits, bool singleBatch);

/// Returns y [B, rows] for x [B, words · 32/bits] (zero past the frame's
/// columns), codes [ceil(rows/16), words, 16] i32, scale and zero [rows].
Value buildPackedProduct(OpBuilder &b, Location loc, Value x, Value codes,
                         Value scale, Value zero, int64_t bits,
                         const PackedProductConfig &config);

/// The same product as two linalg generics (GPU: one thread per output,
/// each reading its codes' words and extracting the field): y[b, r] =
/// scale[r] · (Σ_c q(r, c) · x[b, c] − zero[r] · Σ_c x[b, c]).
Value buildGatherPackedProduct(OpBuilder &b, Location loc, Value x, Value codes,
                               Value scale, Value zero, int64_t bits);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_IR_FRAMEPACKEDPRODUCT_H
