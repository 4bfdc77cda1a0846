//===- StructuredMutator.cpp - mutate valid effattn ops ---------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The custom mutator of effattn-fuzz-ops: it parses the input as MLIR and
// changes one effattn op structurally — a dimension of an operand or result
// (0, 1, small, odd, dynamic, huge), an element type, an attribute value
// (integers at and past every bound, non-finite floats, unknown strings), or
// drops an operand — then prints the module in generic form, keeping the
// function signatures consistent with the changed values. Inputs that do not
// parse get libFuzzer's byte-level mutations. The fuzzed function itself is
// effattn-fuzz.cpp's: parse, verify, effattn-cpu-pipeline.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <cstring>
#include <limits>
#include <random>
#include <string>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {
/// Picks one of `values` with `rng`.
template <typename T>
const T &pick(std::mt19937_64 &rng, ArrayRef<T> values) {
  return values[rng() % values.size()];
}

/// Returns `type` with one dimension or the element type changed.
Type mutateTensorType(std::mt19937_64 &rng, RankedTensorType type) {
  MLIRContext *ctx = type.getContext();
  if (type.getRank() > 0 && rng() % 2) {
    SmallVector<int64_t> shape(type.getShape());
    static const int64_t sizes[] = {
        0, 1, 2, 3, 7, 16, 33, 64, ShapedType::kDynamic, int64_t(1) << 32};
    shape[rng() % shape.size()] = pick(rng, ArrayRef(sizes));
    return RankedTensorType::get(shape, type.getElementType());
  }
  Type elements[] = {Float32Type::get(ctx),     Float16Type::get(ctx),
                     BFloat16Type::get(ctx),    Float64Type::get(ctx),
                     IntegerType::get(ctx, 1),  IntegerType::get(ctx, 8),
                     IntegerType::get(ctx, 32), IntegerType::get(ctx, 64),
                     IndexType::get(ctx)};
  return RankedTensorType::get(type.getShape(), pick(rng, ArrayRef(elements)));
}

/// Returns a new value for the attribute `attr`, or null to remove it.
Attribute mutateAttribute(std::mt19937_64 &rng, Attribute attr) {
  Builder b(attr.getContext());
  if (auto integer = dyn_cast<IntegerAttr>(attr)) {
    static const int64_t values[] = {
        -1, 0,       1,         2,
        3,  4,       5,         7,
        8,  16,      17,        32,
        64, 1 << 20, 1LL << 31, std::numeric_limits<int64_t>::max()};
    return IntegerAttr::get(integer.getType(), pick(rng, ArrayRef(values)));
  }
  if (auto real = dyn_cast<FloatAttr>(attr)) {
    static const double values[] = {0.0,
                                    -1.0,
                                    0.5,
                                    2.0,
                                    1e30,
                                    std::numeric_limits<double>::infinity(),
                                    std::numeric_limits<double>::quiet_NaN()};
    return FloatAttr::get(real.getType(), pick(rng, ArrayRef(values)));
  }
  if (isa<StringAttr>(attr)) {
    static const char *values[] = {
        "row",  "column", "both",  "dense",    "bh4", "lsh",  "expectation",
        "full", "sparse", "exact", "original", "",    "bogus"};
    return b.getStringAttr(pick(rng, ArrayRef(values)));
  }
  return nullptr;
}

/// Makes each function's type match its entry block and its returns.
void syncFunctionTypes(ModuleOp module) {
  module.walk([](func::FuncOp func) {
    if (func.isExternal())
      return;
    SmallVector<Type> results;
    func.walk([&](func::ReturnOp ret) {
      results.assign(ret.getOperandTypes().begin(),
                     ret.getOperandTypes().end());
    });
    func.setFunctionType(FunctionType::get(
        func.getContext(), func.front().getArgumentTypes(), results));
  });
}

/// Applies one structural mutation to an effattn op of `module`; returns
/// false if there is none.
bool mutateModule(std::mt19937_64 &rng, ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "effattn")
      ops.push_back(op);
  });
  if (ops.empty())
    return false;
  Operation *op = pick(rng, ArrayRef(ops));
  switch (rng() % 4) {
  case 0:
  case 1: {
    // A type: of an operand (any value feeding the op) or a result.
    SmallVector<Value> values(op->getOperands());
    llvm::append_range(values, op->getResults());
    if (values.empty())
      return false;
    Value value = pick(rng, ArrayRef(values));
    if (auto type = dyn_cast<RankedTensorType>(value.getType()))
      value.setType(mutateTensorType(rng, type));
    break;
  }
  case 2: {
    SmallVector<NamedAttribute> attrs(op->getAttrs());
    if (attrs.empty())
      return false;
    NamedAttribute attr = pick(rng, ArrayRef(attrs));
    if (attr.getName() == "operandSegmentSizes")
      return false;
    if (Attribute value = mutateAttribute(rng, attr.getValue()))
      op->setAttr(attr.getName(), value);
    else
      op->removeAttr(attr.getName());
    break;
  }
  default:
    if (op->getNumOperands() == 0)
      return false;
    op->eraseOperand(rng() % op->getNumOperands());
    break;
  }
  syncFunctionTypes(module);
  return true;
}
} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned int seed) {
  std::mt19937_64 rng(seed);
  MLIRContext &context = effattn_fuzz::getContext();
  ScopedDiagnosticHandler silence(&context,
                                  [](Diagnostic &) { return success(); });
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || !mutateModule(rng, *module))
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string mutated;
  llvm::raw_string_ostream os(mutated);
  module->print(os, OpPrintingFlags().printGenericOpForm());
  if (mutated.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, mutated.data(), mutated.size());
  return mutated.size();
}
