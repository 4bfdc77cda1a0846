//===- GpuTarget.cpp - GPU target descriptions ------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/GpuTarget.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// The limits of one compute capability (CUDA C++ Programming Guide,
/// "Technical Specifications per Compute Capability"); SM counts of the
/// data-center parts (A100 SXM, H100 SXM).
struct GpuPreset {
  StringRef chip;
  StringRef features;
  int64_t smCount;
  int64_t sharedMemoryPerBlock;
  int64_t sharedMemoryPerSM;
};
} // namespace

static constexpr GpuPreset kPresets[] = {
    {"sm_80", "+ptx70", 108, 166912, 167936},
    {"sm_90", "+ptx80", 132, 232448, 233472},
};

static constexpr StringRef kPresetNames[] = {"sm_80", "sm_90"};

ArrayRef<StringRef> mlir::effattn::getGpuPresetNames() { return kPresetNames; }

GpuTargetAttr mlir::effattn::lookupGpuTarget(MLIRContext *context,
                                             StringRef name) {
  // The attribute's storage is registered with the dialect.
  context->getOrLoadDialect<EffAttnDialect>();
  name.consume_front("cuda:");
  for (const GpuPreset &preset : kPresets) {
    if (preset.chip != name)
      continue;
    Builder b(context);
    // Both architectures run m16n8k16 f16/bf16, m16n8k32 i8 and m16n8k8
    // tf32 mma.sync.
    ArrayAttr mmaShapes = b.getStrArrayAttr(
        {"f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32", "tf32:m16n8k8"});
    return GpuTargetAttr::get(
        context, preset.chip, preset.features, preset.smCount, /*warpSize=*/32,
        /*maxThreadsPerBlock=*/1024, preset.sharedMemoryPerBlock,
        preset.sharedMemoryPerSM,
        /*registersPerSM=*/65536,
        /*maxRegistersPerThread=*/255, mmaShapes);
  }
  return {};
}

bool mlir::effattn::hasMmaShape(GpuTargetAttr target, StringRef shape) {
  return llvm::any_of(target.getMmaShapes(), [&](Attribute a) {
    return cast<StringAttr>(a).getValue() == shape;
  });
}
