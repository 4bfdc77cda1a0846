//===- ScheduleMatmuls.cpp - BLIS-style schedule of f32 GEMMs ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Applies to each static f32 linalg.matmul a transform-dialect schedule built
// from GemmTiles.h: threads over M (scf.forall), cache tiles in the order jc,
// pc, ic, register tiles jr, ir (the last peeled when MR does not divide MC),
// packing of A and B panels (structured.pad + hoist_pad), a K loop of 1,
// vectorization to vector.contract, the C tile hoisted into registers across
// K, and the contraction lowered to MR vector.fma per k on 2-vector rows.
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/Transforms/Passes.h"
#include "effattn/Dialect/EffAttn/Transforms/Transforms.h"

#include "effattn/Target/GemmTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir {
namespace effattn {
#define GEN_PASS_DEF_EFFATTNSCHEDULEMATMULSPASS
#include "effattn/Dialect/EffAttn/Transforms/Passes.h.inc"
} // namespace effattn
} // namespace mlir

using namespace mlir;
using namespace mlir::effattn;

/// The attribute that numbers the matmuls to schedule.
static constexpr StringLiteral kScheduledAttr = "effattn.scheduled_gemm";

/// Returns the transform script for `tiles`, applied to the matmul numbered
/// `id`.
static std::string buildSchedule(const GemmTiles &tiles, int64_t id) {
  std::string peel =
      tiles.mc % tiles.mr == 0
          ? "    %main = transform.cast %lm : !transform.op<\"scf.for\"> to "
            "!transform.any_op\n"
          : "    %main, %rem = transform.loop.peel %lm : "
            "(!transform.op<\"scf.for\">) -> (!transform.any_op, "
            "!transform.any_op)\n";
  return llvm::formatv(
      R"mlir(module attributes {{transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}) {
    %mm = transform.structured.match ops{{["linalg.matmul"]} attributes{{{0} = {8} : i64} in %root : (!transform.any_op) -> !transform.any_op
    %tp, %fa = transform.structured.tile_using_forall %mm num_threads [{1}, 0, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t1, %l1:3 = transform.structured.tile_using_for %tp tile_sizes [{2}, {3}, {4}] interchange = [1, 2, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %t2, %l2:2 = transform.structured.tile_using_for %t1 tile_sizes [{5}, {6}, 0] interchange = [1, 0, 2] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %lm = transform.cast %l2#1 : !transform.any_op to !transform.op<"scf.for">
{7}    %mmain = transform.structured.match ops{{["linalg.matmul"]} in %main : (!transform.any_op) -> !transform.any_op
    %padded, %pad, %copy = transform.structured.pad %mmain {{padding_values = [0.0 : f32, 0.0 : f32, 0.0 : f32], padding_dimensions = [0, 1, 2], nofold_flags = [1, 1, 0], copy_back_op = "none"} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %padA = transform.get_producer_of_operand %padded[0] : (!transform.any_op) -> !transform.any_op
    %padB = transform.get_producer_of_operand %padded[1] : (!transform.any_op) -> !transform.any_op
    %loops = transform.structured.match interface{{LoopLikeInterface} in %fa : (!transform.any_op) -> !transform.any_op
    transform.apply_licm to %loops : !transform.any_op
    %hb = transform.structured.hoist_pad %padB by 2 loops : (!transform.any_op) -> !transform.any_op
    %ha = transform.structured.hoist_pad %padA by 2 loops : (!transform.any_op) -> !transform.any_op
    %mms = transform.structured.match ops{{["linalg.matmul"]} in %fa : (!transform.any_op) -> !transform.any_op
    %t3, %l3 = transform.structured.tile_using_for %mms tile_sizes [0, 0, 1] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.apply_patterns to %fa {{
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    %vectorized = transform.structured.match ops{{["linalg.matmul"]} in %fa : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %vectorized : !transform.any_op
    transform.apply_patterns to %fa {{
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
    } : !transform.any_op
    %loops2 = transform.structured.match interface{{LoopLikeInterface} in %fa : (!transform.any_op) -> !transform.any_op
    transform.apply_licm to %loops2 : !transform.any_op
    transform.loop.hoist_loop_invariant_subsets %loops2 : !transform.any_op
    transform.apply_patterns to %fa {{
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.apply_patterns to %fa {{
      transform.apply_patterns.vector.lower_contraction lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.canonicalization
    } : !transform.any_op
    transform.yield
  }
}
)mlir",
      kScheduledAttr, tiles.threads, tiles.mc, tiles.nc, tiles.kc, tiles.mr,
      tiles.nr, peel, id);
}

std::optional<std::array<int64_t, 3>>
mlir::effattn::getSchedulableMatmulShape(linalg::MatmulOp op) {
  if (op.hasUserDefinedMaps() || !op.hasPureTensorSemantics())
    return std::nullopt;
  auto lhs = dyn_cast<RankedTensorType>(op.getInputs()[0].getType());
  auto rhs = dyn_cast<RankedTensorType>(op.getInputs()[1].getType());
  auto out = dyn_cast<RankedTensorType>(op.getOutputs()[0].getType());
  if (!lhs || !rhs || !out || !lhs.hasStaticShape() || !rhs.hasStaticShape() ||
      !out.getElementType().isF32() || !lhs.getElementType().isF32() ||
      !rhs.getElementType().isF32())
    return std::nullopt;
  return std::array<int64_t, 3>{lhs.getDimSize(0), rhs.getDimSize(1),
                                lhs.getDimSize(1)};
}

/// Returns the tiles for `op`: those of its lowering config, else those the
/// target's model chooses; nothing if it is not a plain static f32 matmul
/// on tensors or no tiles fit. A config whose tiles do not fit is an error.
static FailureOr<std::optional<GemmTiles>>
getScheduleTiles(linalg::MatmulOp op, CpuTargetAttr target) {
  std::optional<std::array<int64_t, 3>> shape = getSchedulableMatmulShape(op);
  if (!shape)
    return std::optional<GemmTiles>();
  auto [m, n, k] = *shape;
  auto config = op->getAttrOfType<GemmConfigAttr>(kLoweringConfigAttrName);
  if (!config)
    return chooseGemmTiles(target, m, n, k);
  std::optional<GemmTiles> tiles = getGemmTiles(config, m, n, k);
  if (!tiles)
    return op->emitOpError("lowering config ")
           << config << " does not tile " << m << " x " << n << " x " << k
           << ": threads·mc must divide M, nc N and kc K";
  return tiles;
}

namespace {
struct EffAttnScheduleMatmulsPass
    : effattn::impl::EffAttnScheduleMatmulsPassBase<
          EffAttnScheduleMatmulsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    CpuTargetAttr target = getCpuTarget(func);
    // Number the matmuls to schedule; each schedule matches its number.
    int64_t count = 0;
    SmallVector<GemmTiles> schedules;
    WalkResult walk = func.walk([&](linalg::MatmulOp op) {
      FailureOr<std::optional<GemmTiles>> tiles = getScheduleTiles(op, target);
      if (failed(tiles))
        return WalkResult::interrupt();
      if (*tiles) {
        op->setAttr(
            kScheduledAttr,
            IntegerAttr::get(IntegerType::get(&getContext(), 64), count++));
        schedules.push_back(**tiles);
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (int64_t id = 0; id < count; ++id) {
      OwningOpRef<ModuleOp> script = parseSourceString<ModuleOp>(
          buildSchedule(schedules[id], id), ParserConfig(&getContext()));
      auto entry = script ? script->lookupSymbol<transform::NamedSequenceOp>(
                                "__transform_main")
                          : transform::NamedSequenceOp();
      if (!entry) {
        func.emitError("effattn-schedule-matmuls: invalid GEMM schedule");
        return signalPassFailure();
      }
      // Scheduled on a copy: a shape the schedule cannot handle (e.g. a
      // vectorization the upstream patterns refuse) keeps the generic
      // lowering instead of failing the compilation.
      OwningOpRef<func::FuncOp> copy = func.clone();
      ScopedDiagnosticHandler quiet(&getContext(),
                                    [](Diagnostic &) { return success(); });
      if (succeeded(transform::applyTransformNamedSequence(
              *copy, entry, *script, transform::TransformOptions())))
        func.getBody().takeBody(copy->getBody());
    }
    func.walk([](linalg::MatmulOp op) { op->removeAttr(kScheduledAttr); });
  }
};
} // namespace
