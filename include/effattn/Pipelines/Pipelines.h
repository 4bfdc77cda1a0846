//===- Pipelines.h - effattn end-to-end pass pipelines ----------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_PIPELINES_PIPELINES_H
#define EFFATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

/// The CUDA toolkit found at configure time.
#ifndef EFFATTN_DEFAULT_CUDA_TOOLKIT
#define EFFATTN_DEFAULT_CUDA_TOOLKIT "/usr/local/cuda"
#endif

namespace mlir {
namespace effattn {
/// Options of `effattn-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<int64_t> rowTileSize{
      *this, "row-tile-size",
      llvm::cl::desc("Tile size of the query/row dimension of effattn ops"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_<name> wrappers for public functions "
                     "(the entry points C callers and the Python loader use)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run scf.forall tiles on OpenMP threads (the code then "
                     "needs libomp); otherwise as sequential loops"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> inlineFunctions{
      *this, "inline-functions",
      llvm::cl::desc("Inline calls to private functions first, so that "
                     "helpers see the static shapes of their call sites"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> resultsToOutParams{
      *this, "results-to-out-params",
      llvm::cl::desc("Turn the memref results of public functions into "
                     "caller-allocated out-parameters (static shapes only; "
                     "the C ABI of effattn-compile)"),
      llvm::cl::init(false)};
};

/// The stages of the CPU pipeline, in order; a pipeline can stop after any.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture (a #effattn.gpu preset: sm_80, "
                     "sm_90); a module's effattn.target takes precedence"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the GPU code is embedded as: fatbin (SASS and "
                     "PTX; needs ptxas and fatbinary), bin (cubin) or isa "
                     "(PTX text, no CUDA toolkit needed)"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit directory (ptxas, fatbinary, libdevice)"),
      llvm::cl::init(EFFATTN_DEFAULT_CUDA_TOOLKIT)};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_<name> wrappers for public functions"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> inlineFunctions{
      *this, "inline-functions",
      llvm::cl::desc("Inline calls to private functions first"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> resultsToOutParams{
      *this, "results-to-out-params",
      llvm::cl::desc("Turn the memref results of public functions into "
                     "caller-allocated out-parameters (static shapes only)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> attentionWarpRows{
      *this, "attention-warp-rows",
      llvm::cl::desc("Query rows per warp of the tensor-core attention "
                     "kernel: 16 or 32; 0 for the tile model's choice"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> f32Contractions{
      *this, "f32-contractions",
      llvm::cl::desc("How f32 GEMMs multiply: 3xtf32 (tensor cores, three "
                     "tf32 products per multiply-add, near-f32 accuracy) or "
                     "fma (f32 FMAs)"),
      llvm::cl::init("3xtf32")};
  PassOptions::Option<bool> emulate{
      *this, "emulate",
      llvm::cl::desc("Run the kernels on the host as loops over blocks and "
                     "threads instead of compiling them (host code only; "
                     "for checking the GPU lowering without a GPU)"),
      llvm::cl::init(false)};
};

enum class CPUPipelineStage {
  /// effattn ops tiled into scf.forall nests (still effattn ops on tensors).
  Tile,
  /// effattn ops decomposed into linalg on tensors.
  Decompose,
  /// Bufferized: linalg and scf on memrefs.
  Bufferize,
  /// The LLVM dialect, ready for translation to LLVM IR.
  LLVM,
};

/// Parses a stage name ("tile", "decompose", "bufferize", "llvm").
std::optional<CPUPipelineStage> parseCPUPipelineStage(StringRef name);

/// Builds the pipeline that takes a module of effattn ops on tensors down to
/// the LLVM dialect for a CPU:
///   tile (scf.forall) -> decompose (linalg) -> bufferize (one-shot, identity
///   layouts at function boundaries) -> loops -> LLVM dialect.
/// Stops after `last`.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options,
                      CPUPipelineStage last = CPUPipelineStage::LLVM);

/// Registers `effattn-cpu-pipeline` with the pass registry.
/// The GPU pipeline: effattn ops become kernels (effattn-convert-to-gpu), the
/// host code is bufferized with its buffers in device memory, kernels are
/// outlined and lowered to NVVM and embedded as `format`, and the host code
/// (calling the mgpu* runtime) is lowered to the LLVM dialect.
void buildGPUPipeline(OpPassManager &pm, const GPUPipelineOptions &options);

void registerPipelines();
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_PIPELINES_PIPELINES_H
