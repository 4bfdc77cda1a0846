//===- effattn-compile.cpp - Ahead-of-time compiler driver ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// effattn-compile model.mlir --target=host -o libmodel.so
//
// Runs effattn-cpu-pipeline (the same registered pipeline as effattn-opt),
// translates to LLVM IR, optimizes and emits machine code for the target
// through LLVM's TargetMachine, compiles the generated C entry points and
// links everything with libeffattn_runtime into a shared library, a static
// library or one object, next to a C header (docs/ABI.md).
//
//===----------------------------------------------------------------------===//

#include "effattn/AOT/CInterface.h"
#include "effattn/AOT/ObjectEmitter.h"
#include "effattn/InitAllDialects.h"
#include "effattn/InitAllPasses.h"
#include "effattn/Pipelines/Pipelines.h"
#include "effattn/Target/CpuTarget.h"
#include "effattn/Target/GpuTarget.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::effattn;

namespace cl = llvm::cl;

static cl::OptionCategory category("effattn-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.mlir>"),
                                      cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::Required,
                                       cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("What to compile for: 'host' (the running CPU and its "
                    "features), an LLVM CPU name (x86-64-v3, znver4, ...), "
                    "or an NVIDIA GPU, cuda:sm_80 or cuda:sm_90 (tensors "
                    "are then device pointers; host code for this CPU)"),
           cl::init("host"), cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to write: shared (default), static, obj, llvm, asm, "
                  "or mlir-after=<tile|decompose|bufferize|llvm>"),
         cl::init("shared"), cl::cat(category));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("C header to write (default: output with .h)"),
               cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string>
    moduleName("module-name",
               cl::desc("Prefix of the module-level C symbols (default: the "
                        "output's file name without 'lib' and extension)"),
               cl::cat(category));
static cl::opt<bool>
    parallel("parallel",
             cl::desc("Run parallel tiles on OpenMP threads (links libomp; "
                      "OMP_NUM_THREADS sets the thread count)"),
             cl::init(true), cl::cat(category));
static cl::opt<bool> emulateGpu(
    "emulate-gpu",
    cl::desc("With a cuda: target, run the GPU kernels on this CPU (each "
             "launch a loop nest over blocks and threads) instead of "
             "embedding them: a library with host pointers that computes what "
             "the GPU library would, for checking it without a GPU"),
    cl::init(false), cl::cat(category));
static cl::opt<int64_t> gpuAttentionWarpRows(
    "gpu-attention-warp-rows",
    cl::desc("With a cuda: target, query rows per warp of the tensor-core "
             "attention kernel: 16 or 32 (0: the tile model's choice)"),
    cl::init(0), cl::cat(category));
static cl::opt<std::string> gpuF32Contractions(
    "gpu-f32-contractions",
    cl::desc("With a cuda: target, how f32 GEMMs multiply: 3xtf32 (tensor "
             "cores, three tf32 products per multiply-add, near-f32 "
             "accuracy; the default) or fma (f32 FMAs)"),
    cl::init("3xtf32"), cl::cat(category));
static cl::opt<int64_t> rowTileSize("row-tile-size",
                                    cl::desc("effattn-tile row tile size"),
                                    cl::init(32), cl::cat(category));

/// Tools and the runtime library, fixed at configure time.
static constexpr const char *kClang = EFFATTN_CLANG_PATH;
static constexpr const char *kLlvmAr = EFFATTN_LLVM_AR_PATH;
static constexpr const char *kRuntimeLibrary = EFFATTN_RUNTIME_LIBRARY;
static constexpr const char *kOpenMPLibraryDir = EFFATTN_OPENMP_LIBRARY_DIR;
/// Empty when the build found no CUDA toolkit.
static constexpr const char *kCudaRuntimeLibrary = EFFATTN_CUDA_RUNTIME_LIBRARY;

/// Prints `message` as an effattn-compile error and returns 1.
static int fail(const llvm::Twine &message) {
  llvm::errs() << "effattn-compile: error: " << message << "\n";
  return 1;
}

/// Runs `program` with `args`; on failure returns false and sets `error`.
static bool run(StringRef program, ArrayRef<std::string> args,
                std::string &error) {
  SmallVector<StringRef> argv{program};
  for (const std::string &arg : args)
    argv.push_back(arg);
  std::string message;
  int status = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, {}, 0, 0,
                                         &message);
  if (status == 0)
    return true;
  error = (program + " failed" + (message.empty() ? "" : " (" + message + ")") +
           "; command:")
              .str();
  for (StringRef arg : argv)
    error += " " + arg.str();
  return false;
}

/// Writes `text` to `path`.
static bool writeFile(StringRef path, StringRef text, std::string &error) {
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return false;
  file->os() << text;
  file->keep();
  return true;
}

/// Creates a temporary file name with `suffix` removed at exit.
static std::string temporaryPath(StringRef prefix, StringRef suffix,
                                 SmallVectorImpl<llvm::FileRemover> &removers) {
  SmallString<128> path;
  if (llvm::sys::fs::createTemporaryFile(prefix, suffix, path))
    return "";
  removers.emplace_back(path);
  return std::string(path);
}

/// Returns the default module name for `output`: "libmodel.so" -> "model".
static std::string defaultModuleName(StringRef output) {
  StringRef stem = llvm::sys::path::stem(output);
  stem.consume_front("lib");
  return sanitizeCIdentifier(stem.empty() ? "model" : stem);
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "effattn ahead-of-time compiler\n");

  StringRef emitKind = emit;
  std::optional<CPUPipelineStage> stopAfter;
  if (emitKind.consume_front("mlir-after=")) {
    stopAfter = parseCPUPipelineStage(emitKind);
    if (!stopAfter)
      return fail("unknown stage '" + emitKind +
                  "' (expected tile, decompose, bufferize or llvm)");
  } else if (!llvm::is_contained({"shared", "static", "obj", "llvm", "asm"},
                                 emitKind)) {
    return fail("unknown --emit=" + emitKind);
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input = openInputFile(inputFile, &error);
  if (!input)
    return fail(error);
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // The C interface is read off the tensor signatures, before lowering.
  FailureOr<ModuleInterface> interface = collectModuleInterface(
      *module, moduleName.empty() ? defaultModuleName(outputFile)
                                  : std::string(moduleName));
  if (failed(interface))
    return 1;
  if (failed(renameImplementations(*module, *interface)))
    return 1;

  StringRef targetName = target;
  bool gpuTarget = targetName.starts_with("cuda:");
  if (emulateGpu && !gpuTarget)
    return fail("--emulate-gpu needs a cuda: target");
  if (gpuTarget && !lookupGpuTarget(&context, targetName))
    return fail("unknown GPU target '" + targetName + "' (expected cuda:" +
                llvm::join(getGpuPresetNames(), " or cuda:") + ")");
  // Code for a GPU (device pointers, the CUDA runtime), not its emulation.
  bool cuda = gpuTarget && !emulateGpu;
  if (cuda) {
    if (!*kCudaRuntimeLibrary)
      return fail("this effattn-compile was built without a CUDA toolkit; "
                  "GPU targets need one (EFFATTN_CUDA_TOOLKIT)");
    if (stopAfter)
      return fail("--emit=mlir-after=... shows CPU pipeline stages; for a "
                  "GPU target use effattn-opt --effattn-gpu-pipeline");
    interface->device = targetName.str();
  }

  PassManager pm(&context, ModuleOp::getOperationName());
  if (gpuTarget) {
    if (emulateGpu && stopAfter)
      return fail("--emit=mlir-after=... shows CPU pipeline stages; use "
                  "effattn-opt --effattn-gpu-pipeline=emulate");
    GPUPipelineOptions options;
    options.chip = targetName.drop_front(strlen("cuda:")).str();
    options.inlineFunctions = true;
    options.resultsToOutParams = true;
    options.emulate = emulateGpu;
    options.attentionWarpRows = gpuAttentionWarpRows;
    options.f32Contractions = gpuF32Contractions;
    buildGPUPipeline(pm, options);
  } else {
    // The description the tile models read (host: this machine), unless the
    // module names one; other LLVM CPU names keep the models' defaults.
    if (!(*module)->hasAttr(effattn::kTargetAttrName))
      if (CpuTargetAttr cpu = lookupCpuTarget(&context, targetName))
        (*module)->setAttr(effattn::kTargetAttrName, cpu);
    CPUPipelineOptions options;
    options.rowTileSize = rowTileSize;
    options.inlineFunctions = true;
    options.parallel = parallel;
    options.resultsToOutParams = true;
    buildCPUPipeline(pm, options, stopAfter.value_or(CPUPipelineStage::LLVM));
  }
  if (failed(pm.run(*module))) {
    std::string pipeline;
    llvm::raw_string_ostream os(pipeline);
    pm.printAsTextualPipeline(os);
    return fail("the lowering pipeline failed; reproduce with:\n  "
                "effattn-opt " +
                inputFile + " --pass-pipeline='" + pipeline + "'");
  }
  if (stopAfter) {
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(outputFile, &error);
    if (!out)
      return fail(error);
    module->print(out->os());
    out->keep();
    return 0;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, interface->moduleName);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  // GPU libraries run their host code on this machine.
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(gpuTarget ? std::string("host") : target, error);
  if (!machine)
    return fail(error);
  optimizeModule(*llvmModule, *machine);

  if (emitKind == "llvm" || emitKind == "asm") {
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(outputFile, &error);
    if (!out)
      return fail(error);
    if (emitKind == "llvm")
      llvmModule->print(out->os(), nullptr);
    else if (!emitMachineCode(*llvmModule, *machine,
                              llvm::CodeGenFileType::AssemblyFile, out->os(),
                              error))
      return fail(error);
    out->keep();
    return 0;
  }

  // Object code of the model, the compiled C entry points, and the runtime,
  // combined into one relocatable object.
  SmallVector<llvm::FileRemover> removers;
  std::string modelObject = temporaryPath("model", "o", removers);
  std::string wrapperSource = temporaryPath("entry", "c", removers);
  std::string wrapperObject = temporaryPath("entry", "o", removers);
  std::string combinedObject = temporaryPath("combined", "o", removers);
  {
    std::unique_ptr<llvm::ToolOutputFile> out =
        openOutputFile(modelObject, &error);
    if (!out ||
        !emitMachineCode(*llvmModule, *machine,
                         llvm::CodeGenFileType::ObjectFile, out->os(), error))
      return fail(error);
    out->keep();
  }
  std::vector<std::string> combineArgs{"-fuse-ld=lld", "-r",
                                       "-nostdlib",    modelObject,
                                       wrapperObject,  "-Wl,--whole-archive",
                                       kRuntimeLibrary};
  if (cuda)
    combineArgs.push_back(kCudaRuntimeLibrary);
  for (const char *arg : {"-Wl,--no-whole-archive", "-o"})
    combineArgs.push_back(arg);
  combineArgs.push_back(combinedObject);
  if (!writeFile(wrapperSource, emitCWrapper(*interface), error) ||
      !run(kClang,
           {"-O2", "-fPIC", "-fvisibility=hidden", "-c", wrapperSource, "-o",
            wrapperObject},
           error) ||
      !run(kClang, combineArgs, error))
    return fail(error);

  if (emitKind == "obj") {
    if (llvm::sys::fs::copy_file(combinedObject, outputFile))
      return fail("cannot write " + outputFile);
  } else if (emitKind == "static") {
    llvm::sys::fs::remove(outputFile);
    if (!run(kLlvmAr, {"rcs", outputFile, combinedObject}, error))
      return fail(error);
  } else {
    std::vector<std::string> linkArgs{"-fuse-ld=lld", "-shared",
                                      combinedObject};
    if (cuda) {
      // The CUDA runtime opens the driver with dlopen.
      linkArgs.push_back("-ldl");
      linkArgs.push_back("-lpthread");
    } else if (parallel) {
      linkArgs.push_back(std::string("-L") + kOpenMPLibraryDir);
      linkArgs.push_back(std::string("-Wl,-rpath,") + kOpenMPLibraryDir);
      linkArgs.push_back("-lomp");
    }
    for (const char *arg : {"-lmvec", "-lm", "-o"})
      linkArgs.push_back(arg);
    linkArgs.push_back(outputFile);
    if (!run(kClang, linkArgs, error))
      return fail(error);
  }

  std::string header = headerFile;
  if (header.empty()) {
    SmallString<128> path(outputFile);
    llvm::sys::path::replace_extension(path, "h");
    header = std::string(path);
  }
  if (!writeFile(header, emitCHeader(*interface), error))
    return fail(error);
  return 0;
}
