//===- CInterface.cpp - C entry points of compiled modules ------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/AOT/CInterface.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::effattn;

/// Returns the C type of one element of `type`, or "" if the ABI has none.
static StringRef getCElementType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF16() || type.isBF16())
    return "uint16_t";
  if (type.isInteger(1))
    return "uint8_t";
  if (type.isInteger(8))
    return "int8_t";
  if (type.isInteger(16))
    return "int16_t";
  if (type.isInteger(32))
    return "int32_t";
  if (type.isInteger(64))
    return "int64_t";
  return "";
}

/// Returns the manifest's name of `type` (the MLIR spelling).
static std::string getTypeName(Type type) {
  std::string name;
  llvm::raw_string_ostream os(name);
  type.print(os);
  return name;
}

std::string mlir::effattn::sanitizeCIdentifier(StringRef name) {
  std::string result;
  for (char c : name)
    result.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (result.empty() || llvm::isDigit(result.front()))
    result.insert(result.begin(), '_');
  return result;
}

/// Builds the signature of one tensor, or emits an error at `func`.
static FailureOr<TensorSignature>
getTensorSignature(func::FuncOp func, Type type, std::string name) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return func.emitError("effattn-compile: ")
           << name << " of @" << func.getSymName() << " has type " << type
           << "; the C ABI carries only ranked tensors";
  if (!tensorType.hasStaticShape())
    return func.emitError("effattn-compile: ")
           << name << " of @" << func.getSymName() << " has type " << type
           << "; the C ABI requires static shapes";
  if (getCElementType(tensorType.getElementType()).empty())
    return func.emitError("effattn-compile: ")
           << name << " of @" << func.getSymName() << " has element type "
           << tensorType.getElementType()
           << "; the C ABI carries f32, f16, bf16, i1, i8, i16, i32 and i64";
  return TensorSignature{std::move(name), tensorType.getElementType(),
                         llvm::to_vector(tensorType.getShape())};
}

FailureOr<ModuleInterface>
mlir::effattn::collectModuleInterface(ModuleOp module, StringRef moduleName) {
  ModuleInterface interface;
  interface.moduleName = sanitizeCIdentifier(moduleName);
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    StringRef name = func.getSymName();
    if (sanitizeCIdentifier(name) != name) {
      func.emitError("effattn-compile: public function @")
          << name << " is not a valid C identifier";
      return failure();
    }
    FunctionSignature signature{name.str(), {}, {}};
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes())) {
      FailureOr<TensorSignature> tensor =
          getTensorSignature(func, type, "arg" + std::to_string(i));
      if (failed(tensor))
        return failure();
      signature.inputs.push_back(std::move(*tensor));
    }
    for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
      FailureOr<TensorSignature> tensor =
          getTensorSignature(func, type, "result" + std::to_string(i));
      if (failed(tensor))
        return failure();
      signature.outputs.push_back(std::move(*tensor));
    }
    interface.functions.push_back(std::move(signature));
  }
  if (interface.functions.empty()) {
    module.emitError(
        "effattn-compile: the module has no public function to export");
    return failure();
  }
  return interface;
}

LogicalResult
mlir::effattn::renameImplementations(ModuleOp module,
                                     const ModuleInterface &interface) {
  SymbolTable symbols(module);
  for (const FunctionSignature &function : interface.functions) {
    Operation *func = symbols.lookup(function.name);
    std::string implName = (kImplementationPrefix + function.name).str();
    if (symbols.lookup(implName))
      return func->emitError("effattn-compile: the symbol @")
             << implName << " is reserved for the implementation of @"
             << function.name;
    if (failed(symbols.rename(func,
                              StringAttr::get(module.getContext(), implName))))
      return func->emitError("effattn-compile: cannot rename @")
             << function.name;
  }
  return success();
}

/// Returns "{128, 256}".
static std::string formatShape(ArrayRef<int64_t> shape) {
  return "{" +
         llvm::join(
             llvm::map_range(shape,
                             [](int64_t size) { return std::to_string(size); }),
             ", ") +
         "}";
}

/// Returns "tensor<128x256xf32>".
static std::string formatTensorType(const TensorSignature &tensor) {
  return getTypeName(RankedTensorType::get(tensor.shape, tensor.elementType));
}

/// Returns the C prototype of an entry point (without the trailing ';').
static std::string formatPrototype(const FunctionSignature &function) {
  SmallVector<std::string> params;
  for (const TensorSignature &tensor : function.inputs)
    params.push_back(llvm::formatv("const {0} *{1}, const int64_t *{1}_shape",
                                   getCElementType(tensor.elementType),
                                   tensor.name));
  for (const TensorSignature &tensor : function.outputs)
    params.push_back(llvm::formatv("{0} *{1}, const int64_t *{1}_shape",
                                   getCElementType(tensor.elementType),
                                   tensor.name));
  return llvm::formatv("int32_t {0}({1})", function.name,
                       params.empty() ? "void" : llvm::join(params, ", "));
}

/// Returns "f(arg0: tensor<...>, ...) -> (tensor<...>, ...)".
static std::string formatMlirSignature(const FunctionSignature &function) {
  SmallVector<std::string> inputs, outputs;
  for (const TensorSignature &tensor : function.inputs)
    inputs.push_back(tensor.name + ": " + formatTensorType(tensor));
  for (const TensorSignature &tensor : function.outputs)
    outputs.push_back(tensor.name + ": " + formatTensorType(tensor));
  return function.name + "(" + llvm::join(inputs, ", ") + ") -> (" +
         llvm::join(outputs, ", ") + ")";
}

std::string mlir::effattn::emitCHeader(const ModuleInterface &interface) {
  std::string guard = llvm::StringRef(interface.moduleName).upper() + "_H";
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by effattn-compile; do not edit. C ABI: docs/ABI.md. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Status codes returned by every entry point. */\n"
     << "#ifndef EFFATTN_OK\n#define EFFATTN_OK 0\n"
     << "#define EFFATTN_ERROR_NULL_ARGUMENT 1\n"
     << "#define EFFATTN_ERROR_SHAPE_MISMATCH 2\n"
     << "#define EFFATTN_ERROR_INVALID_VALUE 3\n"
     << "#define EFFATTN_ERROR_OUT_OF_RANGE 4\n"
     << "#define EFFATTN_ERROR_MISALIGNED 5\n"
     << "#define EFFATTN_ERROR_DEVICE 6\n#endif\n\n"
     << "/* Message of the last failed call on this thread (\"\" if none). */\n"
     << "const char *" << interface.moduleName << "_last_error(void);\n\n"
     << "/* JSON description of the entry points (names, dtypes, shapes). */\n"
     << "const char *" << interface.moduleName << "_manifest(void);\n";
  if (interface.isCuda())
    os << "\n/* Compiled for " << interface.device
       << ": tensors are DEVICE pointers. Device memory\n"
       << " * for callers without their own (effattn_cuda_runtime.h): */\n"
       << "#include <stddef.h>\n"
       << "int32_t " << interface.moduleName
       << "_cuda_alloc(void **pointer, size_t bytes);\n"
       << "int32_t " << interface.moduleName << "_cuda_free(void *pointer);\n"
       << "int32_t " << interface.moduleName
       << "_cuda_copy(void *dst, const void *src, size_t bytes);\n"
       << "int32_t " << interface.moduleName << "_cuda_synchronize(void);\n"
       << "/* Returns the memory kept between calls for temporaries. */\n"
       << "int32_t " << interface.moduleName << "_cuda_release_memory(void);\n";
  for (const FunctionSignature &function : interface.functions) {
    os << "\n/* " << formatMlirSignature(function) << "\n"
       << " * Tensors are dense, row-major; each comes with its shape array.\n"
       << " * Outputs are written into caller-allocated buffers. */\n"
       << formatPrototype(function) << ";\n";
    for (const TensorSignature &tensor : llvm::concat<const TensorSignature>(
             function.inputs, function.outputs)) {
      os << "#define " << llvm::StringRef(function.name).upper() << "_"
         << llvm::StringRef(tensor.name).upper() << "_RANK "
         << tensor.shape.size() << "\n";
      if (!tensor.shape.empty())
        os << "static const int64_t " << function.name << "_" << tensor.name
           << "_shape[" << tensor.shape.size()
           << "] = " << formatShape(tensor.shape) << ";\n";
    }
  }
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return text;
}

std::string mlir::effattn::emitManifest(const ModuleInterface &interface) {
  auto tensorJson = [](const TensorSignature &tensor) {
    return llvm::json::Object{{"name", tensor.name},
                              {"dtype", getTypeName(tensor.elementType)},
                              {"shape", llvm::json::Array(tensor.shape)}};
  };
  llvm::json::Array functions;
  for (const FunctionSignature &function : interface.functions) {
    llvm::json::Array inputs, outputs;
    for (const TensorSignature &tensor : function.inputs)
      inputs.push_back(tensorJson(tensor));
    for (const TensorSignature &tensor : function.outputs)
      outputs.push_back(tensorJson(tensor));
    functions.push_back(llvm::json::Object{{"name", function.name},
                                           {"inputs", std::move(inputs)},
                                           {"outputs", std::move(outputs)}});
  }
  llvm::json::Value manifest =
      llvm::json::Object{{"abi_version", 1},
                         {"module", interface.moduleName},
                         {"device", interface.device},
                         {"functions", std::move(functions)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << manifest;
  return text;
}

/// Returns `text` as a C string literal.
static std::string quoteC(StringRef text) {
  std::string result = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      result.push_back('\\');
    result.push_back(c);
  }
  return result + "\"";
}

/// GPU kernels load 16-byte vectors of their operands (cudaMalloc and
/// frameworks' allocators give 256-byte alignment).
static constexpr int64_t kDeviceAlignment = 16;

std::string mlir::effattn::emitCWrapper(const ModuleInterface &interface) {
  std::string text;
  llvm::raw_string_ostream os(text);
  StringRef module = interface.moduleName;
  os << "/* Generated by effattn-compile; do not edit. */\n"
     << "#include <stdint.h>\n\n"
     << "#define EXPORT __attribute__((visibility(\"default\")))\n\n"
     << "/* libeffattn_runtime (linked in, hidden). */\n"
     << "const char *effattn_last_error(void);\n"
     << "void effattn_clear_error(void);\n"
     << "int32_t effattn_pending_status(void);\n"
     << "int32_t effattn_check_tensor(const char *function, const char "
        "*argument, const void *data, int64_t alignment, const int64_t "
        "*shape, const int64_t *expected, int32_t rank);\n"
     << "int32_t effattn_check_bool(const char *function, const char "
        "*argument, const uint8_t *data, int64_t count);\n\n";

  SmallVector<size_t> ranks;
  for (const FunctionSignature &function : interface.functions)
    for (const TensorSignature &tensor :
         llvm::concat<const TensorSignature>(function.inputs, function.outputs))
      ranks.push_back(tensor.shape.size());
  llvm::sort(ranks);
  ranks.erase(llvm::unique(ranks), ranks.end());
  for (size_t rank : ranks) {
    os << "typedef struct {\n  void *allocated;\n  void *aligned;\n"
       << "  int64_t offset;\n";
    if (rank)
      os << "  int64_t sizes[" << rank << "];\n  int64_t strides[" << rank
         << "];\n";
    os << "} memref" << rank << "d;\n\n";
  }

  for (const FunctionSignature &function : interface.functions) {
    SmallVector<const TensorSignature *> tensors;
    for (const TensorSignature &tensor :
         llvm::concat<const TensorSignature>(function.inputs, function.outputs))
      tensors.push_back(&tensor);
    SmallVector<std::string> implParams;
    for (const TensorSignature *tensor : tensors)
      implParams.push_back("memref" + std::to_string(tensor->shape.size()) +
                           "d *");
    std::string impl =
        ("_mlir_ciface_" + kImplementationPrefix).str() + function.name;
    os << "void " << impl << "("
       << (implParams.empty() ? "void" : llvm::join(implParams, ", "))
       << ");\n\n"
       << "EXPORT " << formatPrototype(function) << " {\n"
       << "  int32_t status;\n  effattn_clear_error();\n";
    for (const TensorSignature *tensor : tensors) {
      size_t rank = tensor->shape.size();
      std::string expected = tensor->name + "_expected";
      os << "  static const int64_t " << expected << "["
         << std::max<size_t>(rank, 1)
         << "] = " << (rank ? formatShape(tensor->shape) : "{0}") << ";\n"
         << "  if ((status = effattn_check_tensor(\"" << function.name
         << "\", \"" << tensor->name << "\", " << tensor->name << ", "
         << (interface.isCuda()
                 ? kDeviceAlignment
                 : llvm::divideCeil(tensor->elementType.getIntOrFloatBitWidth(),
                                    8))
         << ", " << tensor->name << "_shape, " << expected << ", " << rank
         << ")))\n"
         << "    return status;\n";
    }
    // i1 values in device memory are not read on the host.
    for (const TensorSignature &tensor : function.inputs) {
      if (!tensor.elementType.isInteger(1) || interface.isCuda())
        continue;
      int64_t count = 1;
      for (int64_t size : tensor.shape)
        count *= size;
      os << "  if ((status = effattn_check_bool(\"" << function.name << "\", \""
         << tensor.name << "\", " << tensor.name << ", " << count << ")))\n"
         << "    return status;\n";
    }
    SmallVector<std::string> args;
    for (const TensorSignature *tensor : tensors) {
      size_t rank = tensor->shape.size();
      SmallVector<int64_t> strides(rank, 1);
      for (int64_t i = static_cast<int64_t>(rank) - 2; i >= 0; --i)
        strides[i] = strides[i + 1] * tensor->shape[i + 1];
      os << "  memref" << rank << "d " << tensor->name << "_desc = {(void *)"
         << tensor->name << ", (void *)" << tensor->name << ", 0";
      if (rank)
        os << ", " << formatShape(tensor->shape) << ", "
           << formatShape(strides);
      os << "};\n";
      args.push_back("&" + tensor->name + "_desc");
    }
    os << "  " << impl << "(" << llvm::join(args, ", ") << ");\n"
       << "  return effattn_pending_status();\n}\n\n";
  }

  if (interface.isCuda()) {
    os << "#include <stddef.h>\n"
       << "int32_t effattn_cuda_alloc(void **pointer, size_t bytes);\n"
       << "int32_t effattn_cuda_free(void *pointer);\n"
       << "int32_t effattn_cuda_copy(void *dst, const void *src, size_t "
          "bytes);\n"
       << "int32_t effattn_cuda_synchronize(void);\n"
       << "int32_t effattn_cuda_release_memory(void);\n\n";
    for (StringRef signature :
         {"alloc(void **pointer, size_t bytes)|alloc(pointer, bytes)",
          "free(void *pointer)|free(pointer)",
          "copy(void *dst, const void *src, size_t bytes)|copy(dst, src, "
          "bytes)",
          "synchronize(void)|synchronize()",
          "release_memory(void)|release_memory()"}) {
      auto [parameters, call] = signature.split('|');
      os << "EXPORT int32_t " << module << "_cuda_" << parameters
         << " {\n  return effattn_cuda_" << call << ";\n}\n\n";
    }
  }
  os << "EXPORT const char *" << module << "_last_error(void) {\n"
     << "  return effattn_last_error();\n}\n\n"
     << "EXPORT const char *" << module << "_manifest(void) {\n"
     << "  return " << quoteC(emitManifest(interface)) << ";\n}\n";
  return text;
}
