//===- Pipelines.cpp - effattn end-to-end pass pipelines --------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Pipelines/Pipelines.h"

#include "effattn/Conversion/Passes.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"
#include "effattn/Dialect/EffAttn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::effattn;

/// Adds canonicalization followed by CSE.
static void addCleanup(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

/// Bufferizes the module; arguments and results keep identity layouts so
/// that callers pass plain contiguous buffers.
static void addBufferization(OpPassManager &pm, bool resultsToOutParams,
                             bool deallocate) {
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  // Loops over tensors (the Nyström pseudo-inverse) may yield new buffers.
  bufferizeOptions.allowReturnAllocsFromLoops = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  if (resultsToOutParams) {
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.hoistStaticAllocs = true;
    outParams.modifyPublicFunctions = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  }
  addCleanup(pm);
  if (deallocate)
    bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
}

static void addInlining(OpPassManager &pm) {
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  addCleanup(pm);
}

std::optional<CPUPipelineStage>
mlir::effattn::parseCPUPipelineStage(StringRef name) {
  return llvm::StringSwitch<std::optional<CPUPipelineStage>>(name)
      .Case("tile", CPUPipelineStage::Tile)
      .Case("decompose", CPUPipelineStage::Decompose)
      .Case("bufferize", CPUPipelineStage::Bufferize)
      .Case("llvm", CPUPipelineStage::LLVM)
      .Default(std::nullopt);
}

/// Lowers bufferized host code (linalg, scf, vector, memref) to the LLVM
/// dialect: tiles as OpenMP worksharing loops when `parallel`, otherwise
/// sequential loops.
static void addHostLoweringToLLVM(OpPassManager &pm, bool parallel,
                                  bool emitCInterface) {
  // Loops, then the LLVM dialect.
  pm.addPass(createEffAttnLowerRuntimeErrorsPass());
  pm.addPass(createEffAttnLowerVectorOpsPass());
  if (emitCInterface)
    pm.addPass(createEffAttnEmitCInterfacePass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (parallel) {
    // Tiles run as OpenMP worksharing loops; canonicalization then inlines
    // the memref.alloca_scope the conversion wraps bodies in.
    pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(createCanonicalizerPass());
  } else {
    pm.addNestedPass<func::FuncOp>(createForallToForLoopPass());
  }
  // Transfers of rank > 1 (scheduled GEMMs' packing copies) as unrolled 1-D
  // transfers: no stack buffers inside loops.
  VectorTransferToSCFOptions vectorToSCF;
  vectorToSCF.enableFullUnroll();
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(vectorToSCF));
  pm.addPass(memref::createFoldMemRefAliasOpsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  // aligned_alloc instead of malloc plus pointer arithmetic: the buffer
  // pointers keep their provenance (a noalias call result), so LLVM's alias
  // analysis can hoist loads out of loops that store to other buffers.
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  // Whatever has no LLVM intrinsic (erf, tanh, ...) calls libm.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::effattn::buildCPUPipeline(OpPassManager &pm,
                                     const CPUPipelineOptions &options,
                                     CPUPipelineStage last) {
  if (options.inlineFunctions)
    addInlining(pm);

  // Constant weights become packed low-bit codes.
  pm.addNestedPass<func::FuncOp>(createEffAttnQuantizeWeightsPass());
  // Lowering configs from the target (kept where the user wrote one).
  pm.addNestedPass<func::FuncOp>(createEffAttnConfigureLoweringPass());
  // GEMMs: packed, register-tiled, vectorized by their configs.
  pm.addNestedPass<func::FuncOp>(createEffAttnScheduleMatmulsPass());
  // Tile, then decompose the tiles into linalg and vector code on tensors.
  EffAttnTilePassOptions tileOptions;
  tileOptions.rowTileSize = options.rowTileSize;
  pm.addNestedPass<func::FuncOp>(createEffAttnTilePass(tileOptions));
  if (last == CPUPipelineStage::Tile)
    return;
  pm.addNestedPass<func::FuncOp>(createEffAttnDecomposePass());
  // Named linalg ops (a model's matmuls) become generics whose innermost
  // loop streams contiguous memory.
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  pm.addNestedPass<func::FuncOp>(createEffAttnOrderLoopsPass());
  // Exponentials as vectorizable arithmetic rather than libm calls.
  pm.addNestedPass<func::FuncOp>(createEffAttnApproximateExpPass());
  // Linalg ops left outside parallel tiles run on every core.
  if (options.parallel)
    pm.addNestedPass<func::FuncOp>(createEffAttnDistributePass());
  addCleanup(pm);
  if (last == CPUPipelineStage::Decompose)
    return;

  addBufferization(pm, options.resultsToOutParams, /*deallocate=*/true);
  if (last == CPUPipelineStage::Bufferize)
    return;

  addHostLoweringToLLVM(pm, options.parallel, options.emitCInterface);
}

void mlir::effattn::buildGPUPipeline(OpPassManager &pm,
                                     const GPUPipelineOptions &options) {
  if (options.inlineFunctions)
    addInlining(pm);
  // Constant weights become packed low-bit codes (at compile time).
  pm.addNestedPass<func::FuncOp>(createEffAttnQuantizeWeightsPass());
  ConvertEffAttnToGPUPassOptions convertOptions;
  convertOptions.gpu = options.chip;
  convertOptions.attentionWarpRows = options.attentionWarpRows;
  convertOptions.f32Contractions = options.f32Contractions;
  pm.addPass(createConvertEffAttnToGPUPass(convertOptions));
  // The other effattn ops as linalg, each linalg op a kernel after
  // bufferization; but the block-sparse attention MRA decomposes into and
  // the top-k thresholds of MRA and the quantizer are kernels of their own.
  EffAttnDecomposePassOptions decomposeOptions;
  decomposeOptions.keep = {BlockSparseAttentionOp::getOperationName().str(),
                           KthLargestOp::getOperationName().str()};
  pm.addNestedPass<func::FuncOp>(createEffAttnDecomposePass(decomposeOptions));
  pm.addPass(createConvertEffAttnToGPUPass(convertOptions));
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  addCleanup(pm);
  // Device buffers are freed by effattn-gpu-device-buffers.
  addBufferization(pm, options.resultsToOutParams, /*deallocate=*/false);
  EffAttnGPUMapLinalgPassOptions mapOptions;
  mapOptions.f32Contractions = options.f32Contractions;
  pm.addPass(createEffAttnGPUMapLinalgPass(mapOptions));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (options.emulate) {
    // The kernels as host loops: a CPU library that computes what the GPU
    // library would, its buffers freed as a CPU library's.
    pm.addPass(createEffAttnGPUEmulateLaunchesPass());
    bufferization::buildBufferDeallocationPipeline(pm);
    pm.addPass(createConvertBufferizationToMemRefPass());
    addHostLoweringToLLVM(pm, /*parallel=*/false, options.emitCInterface);
    return;
  }
  pm.addPass(createEffAttnGPUDeviceBuffersPass());
  pm.addPass(createEffAttnLowerRuntimeErrorsPass());
  if (options.emitCInterface)
    pm.addPass(createEffAttnEmitCInterfacePass());

  // Outline the kernels, then lower host and device code (the order of
  // upstream's gpu-lower-to-nvvm-pipeline, with the toolkit made explicit).
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  // The host copies of the kernels' shared-memory globals.
  pm.addPass(createSymbolDCEPass());
  // Tensor-core ops first: convert-gpu-to-nvvm does not cover nvgpu, nor
  // convert-nvgpu-to-nvvm bf16.
  pm.addPass(createEffAttnGPULowerBf16MmaPass());
  pm.addPass(createConvertNVGPUToNVVMPass());
  // The kernels' control flow; the host's after effattn-gpu-one-stream.
  pm.addNestedPass<gpu::GPUModuleOp>(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuNVVMAttachTargetOptions attachOptions;
  attachOptions.chip = options.chip;
  // No features: the lowest PTX ISA version the chip allows (ptxas of
  // older toolkits accepts it).
  attachOptions.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(attachOptions));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  addCleanup(pm);
  // The host's GPU ops on one stream, after the last canonicalization: the
  // ops in a loop depend on the token before the loop and their own tokens
  // end there, which gpu-to-llvm lowers to one stream; upstream's gpu.wait
  // canonicalization would take a token without dependencies for a ready
  // one and drop the wait for it.
  pm.addNestedPass<func::FuncOp>(createEffAttnGPUOneStreamPass());
  pm.addNestedPass<func::FuncOp>(createSCFToControlFlowPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertGpuOpsToNVVMOps());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binaryOptions;
  binaryOptions.compilationTarget = options.format;
  binaryOptions.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::effattn::registerPipelines() {
  PassPipelineRegistration<GPUPipelineOptions>(
      "effattn-gpu-pipeline",
      "Lower a module of effattn ops on tensors to GPU kernels (NVVM, "
      "embedded as a fatbin) and host code in the LLVM dialect",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        buildGPUPipeline(pm, options);
      });
  PassPipelineRegistration<CPUPipelineOptions>(
      "effattn-cpu-pipeline",
      "Lower a module of effattn ops on tensors to the LLVM dialect for CPU "
      "(tile, decompose, bufferize, lower to loops and LLVM)",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        buildCPUPipeline(pm, options);
      });
}
