//===- ObjectEmitter.cpp - LLVM IR to machine code --------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/AOT/ObjectEmitter.h"

#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;

std::unique_ptr<llvm::TargetMachine>
mlir::effattn::createTargetMachine(StringRef target, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return nullptr;

  std::string cpu = target.str();
  llvm::SubtargetFeatures features;
  if (target == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.getKey(), feature.getValue());
  }
  // Constructors (the GPU code's module load) go to .init_array, the only
  // list the dynamic loader runs; LLVM's default for ELF is .ctors.
  llvm::TargetOptions options;
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, cpu, features.getString(), options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    error = "cannot create a target machine for " + triple.str();
    return nullptr;
  }
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for " + triple.str() +
            " (use 'host' or an LLVM CPU name such as x86-64-v3)";
    return nullptr;
  }
  return machine;
}

void mlir::effattn::optimizeModule(llvm::Module &module,
                                   llvm::TargetMachine &machine) {
  module.setTargetTriple(machine.getTargetTriple());
  module.setDataLayout(machine.createDataLayout());
  // The explicit vector code of the flash and GEMM kernels already uses
  // 512-bit registers on AVX-512 targets; LLVM's vectorizers, which keep to
  // 256 bits on most Intel CPUs by default, may as well.
  bool avx512 = machine.getMCSubtargetInfo()->checkFeatures("+avx512f");
  for (llvm::Function &function : module) {
    if (function.isDeclaration())
      continue;
    function.setVisibility(llvm::GlobalValue::HiddenVisibility);
    if (avx512)
      function.addFnAttr("prefer-vector-width", "512");
  }

  llvm::LoopAnalysisManager loopAM;
  llvm::FunctionAnalysisManager functionAM;
  llvm::CGSCCAnalysisManager cgsccAM;
  llvm::ModuleAnalysisManager moduleAM;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning);

  // Vectorized calls to expf & co. go to glibc's libmvec.
  llvm::TargetLibraryInfoImpl libraryInfo(module.getTargetTriple());
  libraryInfo.addVectorizableFunctionsFromVecLib(llvm::VectorLibrary::LIBMVEC,
                                                 module.getTargetTriple());
  functionAM.registerPass(
      [&] { return llvm::TargetLibraryAnalysis(libraryInfo); });

  builder.registerModuleAnalyses(moduleAM);
  builder.registerCGSCCAnalyses(cgsccAM);
  builder.registerFunctionAnalyses(functionAM);
  builder.registerLoopAnalyses(loopAM);
  builder.crossRegisterProxies(loopAM, functionAM, cgsccAM, moduleAM);
  llvm::ModulePassManager passes =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(module, moduleAM);
}

bool mlir::effattn::emitMachineCode(llvm::Module &module,
                                    llvm::TargetMachine &machine,
                                    llvm::CodeGenFileType fileType,
                                    llvm::raw_pwrite_stream &os,
                                    std::string &error) {
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr, fileType)) {
    error = "the target cannot emit this file type";
    return false;
  }
  passes.run(module);
  return true;
}
