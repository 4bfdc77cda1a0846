//===- Transforms.h - EffAttn rewrite patterns ------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_TRANSFORMS_TRANSFORMS_H
#define EFFATTN_DIALECT_EFFATTN_TRANSFORMS_TRANSFORMS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <array>
#include <optional>

namespace mlir {
namespace effattn {
/// Collects the patterns that decompose effattn ops into linalg:
/// [DecomposeEffAttnOp] replaces any effattn op implementing
/// `linalg::AggregatedOpInterface` by its `decomposeOperation` result.
void populateEffAttnDecompositionPatterns(RewritePatternSet &patterns);

/// Collects [ContiguousInnerLoop]: interchanges the loops of a linalg.generic
/// whose innermost loop is a reduction so that the loop indexing the output's
/// contiguous dimension is innermost, when every input allows it.
void populateEffAttnLoopOrderPatterns(RewritePatternSet &patterns);

/// Collects [LowerFailIf]: effattn.fail_if becomes a conditional call of
/// the runtime's effattn_fail with the message as an LLVM string global.
void populateEffAttnRuntimeErrorLoweringPatterns(RewritePatternSet &patterns);

/// Tiles every effattn op in `funcOp` into an `scf.forall` nest over its
/// parallel loops: leading (batch) loops by 1, the row loop (second to last)
/// by `rowTileSize` (0 = untiled), the last loop untiled. Reduction loops are
/// never tiled here.
LogicalResult tileEffAttnOps(RewriterBase &rewriter, FunctionOpInterface funcOp,
                             int64_t rowTileSize);

/// Returns [M, N, K] if `op` is a matmul that effattn-schedule-matmuls can
/// schedule: default indexing maps, f32 tensors of static shape.
std::optional<std::array<int64_t, 3>>
getSchedulableMatmulShape(linalg::MatmulOp op);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_DIALECT_EFFATTN_TRANSFORMS_TRANSFORMS_H
