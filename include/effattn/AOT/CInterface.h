//===- CInterface.h - Plain C entry points of compiled modules --*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The plain C ABI of libraries built by effattn-compile (docs/ABI.md): one C
// function per public func.func taking a data pointer and a shape array per
// tensor, returning a status code; plus `<module>_last_error` and
// `<module>_manifest`. This file collects the signatures from a module on
// tensors and writes the C header, the C wrapper source that checks the
// arguments and calls the compiled code, and the JSON manifest.
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_AOT_CINTERFACE_H
#define EFFATTN_AOT_CINTERFACE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>
#include <vector>

namespace mlir {
namespace effattn {
/// A tensor crossing the C boundary: its C parameter name, element type and
/// static shape.
struct TensorSignature {
  std::string name;
  Type elementType;
  SmallVector<int64_t> shape;
};

/// A public function of a module: its C name and its tensors.
struct FunctionSignature {
  std::string name;
  std::vector<TensorSignature> inputs;
  std::vector<TensorSignature> outputs;
};

/// A module's C interface.
struct ModuleInterface {
  /// Prefix of the module-level C symbols (`<module>_last_error`, ...).
  std::string moduleName;
  std::vector<FunctionSignature> functions;
  /// Where the tensors live: "cpu" (host pointers) or "cuda:sm_XX" (device
  /// pointers; the library exports <module>_cuda_alloc, ... as well).
  std::string device = "cpu";

  bool isCuda() const { return device != "cpu"; }
};

/// Prefix prepended to the compiled implementation of each public function;
/// the C entry point keeps the function's own name.
inline constexpr llvm::StringLiteral kImplementationPrefix = "__effattn_impl_";

/// Collects the public functions of `module` (on tensors). Emits an error and
/// fails for anything the C ABI cannot carry: a name that is not a C
/// identifier, a non-tensor argument or result, a dynamic dimension, or an
/// element type other than f32, f16, bf16, i1, i8, i16, i32, i64.
FailureOr<ModuleInterface> collectModuleInterface(ModuleOp module,
                                                  StringRef moduleName);

/// Renames every public function `f` collected in `interface` to
/// `__effattn_impl_f` so that the C entry point can take its name. Fails with
/// an error if that name is already taken.
LogicalResult renameImplementations(ModuleOp module,
                                    const ModuleInterface &interface);

/// Returns the C header declaring the entry points.
std::string emitCHeader(const ModuleInterface &interface);

/// Returns the C source of the entry points: argument checks, memref
/// descriptors, the call into `_mlir_ciface___effattn_impl_<f>` (results as
/// out-parameters), and the manifest.
std::string emitCWrapper(const ModuleInterface &interface);

/// Returns the JSON manifest describing every entry point (name, dtypes,
/// shapes), as `<module>_manifest()` returns it.
std::string emitManifest(const ModuleInterface &interface);

/// Returns `name` with every character that cannot appear in a C identifier
/// replaced by '_' (and a leading '_' if it starts with a digit).
std::string sanitizeCIdentifier(StringRef name);
} // namespace effattn
} // namespace mlir

#endif // EFFATTN_AOT_CINTERFACE_H
