//===- EffAttnDialect.cpp - EffAttn dialect ---------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

using namespace mlir;
using namespace mlir::effattn;

#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/TypeSwitch.h"

#include "effattn/Dialect/EffAttn/IR/EffAttnOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "effattn/Dialect/EffAttn/IR/EffAttnAttrs.cpp.inc"

void EffAttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "effattn/Dialect/EffAttn/IR/EffAttnAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// CpuTargetAttr
//===----------------------------------------------------------------------===//

LogicalResult
CpuTargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      StringRef cpu, ArrayAttr features, int64_t vectorBits,
                      int64_t vectorRegisters, int64_t l1Bytes, int64_t l2Bytes,
                      int64_t l3Bytes, int64_t cores) {
  if (cpu.empty())
    return emitError() << "expects a CPU name";
  if (!llvm::all_of(features, [](Attribute a) { return isa<StringAttr>(a); }))
    return emitError() << "expects features to be strings";
  if (vectorBits != 128 && vectorBits != 256 && vectorBits != 512)
    return emitError() << "expects vector_bits of 128, 256 or 512, got "
                       << vectorBits;
  if (vectorRegisters < 1)
    return emitError() << "expects vector_registers >= 1, got "
                       << vectorRegisters;
  if (l1Bytes < 1 || l2Bytes < 1 || l3Bytes < 0)
    return emitError() << "expects positive L1 and L2 sizes and a "
                          "non-negative L3 size";
  if (cores < 0)
    return emitError() << "expects cores >= 0 (0: decided at run time), got "
                       << cores;
  return success();
}

Attribute mlir::effattn::getTargetAttr(Operation *op) {
  auto module = dyn_cast<ModuleOp>(op);
  if (!module)
    module = op->getParentOfType<ModuleOp>();
  return module ? module->getAttr(kTargetAttrName) : Attribute();
}

LogicalResult
FlashConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t vectorWidth, int64_t queryTile,
                        int64_t keyBlock, int64_t keyRegisterTile,
                        int64_t valueRegisterTile) {
  if (vectorWidth < 1 || !llvm::isPowerOf2_64(vectorWidth) || vectorWidth > 64)
    return emitError() << "expects vector_width to be a power of two in "
                          "[1, 64], got "
                       << vectorWidth;
  if (queryTile < 1 || queryTile % vectorWidth != 0 ||
      queryTile / vectorWidth > kMaxRegisterTile)
    return emitError() << "expects query_tile to be 1 to " << kMaxRegisterTile
                       << " multiples of vector_width, got " << queryTile;
  if (keyRegisterTile < 1 || keyRegisterTile > kMaxRegisterTile ||
      valueRegisterTile < 1 || valueRegisterTile > kMaxRegisterTile)
    return emitError() << "expects register tiles in [1, " << kMaxRegisterTile
                       << "], got key_register_tile " << keyRegisterTile
                       << " and value_register_tile " << valueRegisterTile;
  if (keyBlock < 1 || keyBlock % keyRegisterTile != 0)
    return emitError() << "expects key_block to be a positive multiple of "
                          "key_register_tile, got "
                       << keyBlock;
  return success();
}

LogicalResult
GemmConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       int64_t threads, int64_t mc, int64_t nc, int64_t kc,
                       int64_t mr, int64_t nr) {
  if (threads < 1 || mc < 1 || nc < 1 || kc < 1 || mr < 1 || nr < 1)
    return emitError() << "expects positive threads and tile sizes";
  if (mr > kMaxRegisterTile || nr > 4 * kMaxRegisterTile)
    return emitError() << "expects a register tile of at most "
                       << kMaxRegisterTile << " x " << 4 * kMaxRegisterTile
                       << ", got " << mr << " x " << nr;
  if (nc % nr != 0 || mc < mr)
    return emitError() << "expects nr to divide nc and mr <= mc, got mc = "
                       << mc << ", nc = " << nc << ", mr = " << mr
                       << ", nr = " << nr;
  return success();
}

LogicalResult
PairGemmConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           int64_t vectorWidth, int64_t mr, int64_t nr) {
  if (vectorWidth < 1 || !llvm::isPowerOf2_64(vectorWidth) || vectorWidth > 64)
    return emitError() << "expects vector_width to be a power of two in "
                          "[1, 64], got "
                       << vectorWidth;
  if (mr < 1 || mr > kMaxRegisterTile)
    return emitError() << "expects mr in [1, " << kMaxRegisterTile << "], got "
                       << mr;
  if (nr < 1 || nr % vectorWidth != 0 || nr / vectorWidth > kMaxRegisterTile)
    return emitError() << "expects nr to be 1 to " << kMaxRegisterTile
                       << " multiples of vector_width, got " << nr;
  return success();
}

LogicalResult
GpuTargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      StringRef chip, StringRef features, int64_t smCount,
                      int64_t warpSize, int64_t maxThreadsPerBlock,
                      int64_t sharedMemoryPerBlock, int64_t sharedMemoryPerSM,
                      int64_t registersPerSM, int64_t maxRegistersPerThread,
                      ArrayAttr mmaShapes) {
  StringRef version = chip;
  unsigned number;
  if (!version.consume_front("sm_") || version.getAsInteger(10, number))
    return emitError() << "expects chip to be sm_<version>, got '" << chip
                       << "'";
  if (smCount < 1 || warpSize < 1 || maxThreadsPerBlock < warpSize)
    return emitError() << "expects sm_count >= 1, warp_size >= 1 and "
                          "max_threads_per_block >= warp_size";
  if (sharedMemoryPerBlock < 1 || sharedMemoryPerSM < sharedMemoryPerBlock)
    return emitError() << "expects 0 < shared_memory_per_block <= "
                          "shared_memory_per_sm, got "
                       << sharedMemoryPerBlock << " and " << sharedMemoryPerSM;
  if (maxRegistersPerThread < 1 || registersPerSM < maxRegistersPerThread)
    return emitError() << "expects 0 < max_registers_per_thread <= "
                          "registers_per_sm, got "
                       << maxRegistersPerThread << " and " << registersPerSM;
  if (!llvm::all_of(mmaShapes, [](Attribute a) { return isa<StringAttr>(a); }))
    return emitError() << "expects mma_shapes to be strings";
  return success();
}

bool CpuTargetAttr::hasFeature(StringRef feature) const {
  return llvm::any_of(getFeatures(), [&](Attribute a) {
    return cast<StringAttr>(a).getValue() == feature;
  });
}
