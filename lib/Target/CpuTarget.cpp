//===- CpuTarget.cpp - CPU target descriptions ------------------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Target/CpuTarget.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/Host.h"

#include <unistd.h>

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// A named CPU: its features and caches (per core; L3 shared).
struct CpuPreset {
  StringRef name;
  StringRef llvmCpu;
  ArrayRef<StringRef> features;
  int64_t l1Bytes, l2Bytes, l3Bytes;
};
} // namespace

/// The features the code generator distinguishes, in a stable order.
static constexpr StringRef kKnownFeatures[] = {
    "sse4.2",     "avx",        "avx2",      "fma",      "f16c",
    "avxvnni",    "avx512f",    "avx512bw",  "avx512dq", "avx512vl",
    "avx512vnni", "avx512bf16", "avx512fp16"};

static constexpr StringRef kV3[] = {"sse4.2", "avx", "avx2", "fma", "f16c"};
static constexpr StringRef kV4[] = {"sse4.2",   "avx",      "avx2",
                                    "fma",      "f16c",     "avx512f",
                                    "avx512bw", "avx512dq", "avx512vl"};
static constexpr StringRef kVnni512[] = {
    "sse4.2",   "avx",      "avx2",     "fma",        "f16c",      "avx512f",
    "avx512bw", "avx512dq", "avx512vl", "avx512vnni", "avx512bf16"};

static const CpuPreset kPresets[] = {
    {"x86-64-v3", "x86-64-v3", kV3, 32 << 10, 256 << 10, 8 << 20},
    {"x86-64-v4", "x86-64-v4", kV4, 32 << 10, 1 << 20, 16 << 20},
    {"skylake-avx512", "skylake-avx512", kV4, 32 << 10, 1 << 20, 16 << 20},
    {"znver3", "znver3", kV3, 32 << 10, 512 << 10, 32 << 20},
    {"znver4", "znver4", kVnni512, 32 << 10, 1 << 20, 32 << 20},
};

ArrayRef<StringRef> mlir::effattn::getCpuPresetNames() {
  static const SmallVector<StringRef> names = [] {
    SmallVector<StringRef> result;
    for (const CpuPreset &preset : kPresets)
      result.push_back(preset.name);
    return result;
  }();
  return names;
}

/// Builds the attribute from a feature list; vector width and registers
/// follow from the features.
static CpuTargetAttr buildTarget(MLIRContext *context, StringRef cpu,
                                 ArrayRef<StringRef> features, int64_t l1,
                                 int64_t l2, int64_t l3, int64_t cores) {
  Builder b(context);
  SmallVector<Attribute> names;
  for (StringRef feature : features)
    names.push_back(b.getStringAttr(feature));
  bool avx512 = llvm::is_contained(features, "avx512f");
  bool avx = llvm::is_contained(features, "avx");
  return CpuTargetAttr::get(context, cpu, b.getArrayAttr(names),
                            avx512 ? 512 : (avx ? 256 : 128), avx512 ? 32 : 16,
                            l1, l2, l3, cores);
}

/// Returns the size in bytes of the cache of `level` (data or unified) of
/// CPU 0 from sysfs, or 0.
static int64_t readCacheSize(int level) {
  for (int index = 0; index < 8; ++index) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    auto read = [&](StringRef file) -> std::string {
      // sysfs files report a size they do not have: read them as streams.
      auto buffer = llvm::MemoryBuffer::getFileAsStream(dir + "/" + file.str());
      return buffer ? (*buffer)->getBuffer().trim().str() : std::string();
    };
    std::string levelText = read("level");
    if (levelText.empty())
      return 0;
    if (std::stoi(levelText) != level || read("type") == "Instruction")
      continue;
    std::string sizeText = read("size");
    StringRef size = sizeText;
    int64_t value = 0;
    if (size.consumeInteger(10, value))
      return 0;
    if (size == "K")
      value <<= 10;
    else if (size == "M")
      value <<= 20;
    return value;
  }
  return 0;
}

CpuTargetAttr mlir::effattn::detectHostCpu(MLIRContext *context) {
  context->getOrLoadDialect<EffAttnDialect>();
  llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
  SmallVector<StringRef> features;
  for (StringRef feature : kKnownFeatures)
    if (hostFeatures.lookup(feature))
      features.push_back(feature);
  // Sizes the OS does not report fall back to common values.
  int64_t l1 = readCacheSize(1), l2 = readCacheSize(2), l3 = readCacheSize(3);
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return buildTarget(context, llvm::sys::getHostCPUName(), features,
                     l1 > 0 ? l1 : 32 << 10, l2 > 0 ? l2 : 256 << 10,
                     l3 > 0 ? l3 : 0, cores > 0 ? cores : 0);
}

CpuTargetAttr mlir::effattn::lookupCpuTarget(MLIRContext *context,
                                             StringRef name) {
  context->getOrLoadDialect<EffAttnDialect>();
  if (name == "host")
    return detectHostCpu(context);
  for (const CpuPreset &preset : kPresets)
    if (preset.name == name)
      return buildTarget(context, preset.llvmCpu, preset.features,
                         preset.l1Bytes, preset.l2Bytes, preset.l3Bytes,
                         /*cores=*/0);
  return nullptr;
}
