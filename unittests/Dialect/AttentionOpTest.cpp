//===- AttentionOpTest.cpp - effattn.attention unit tests -------*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/Dialect/EffAttn/IR/EffAttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::effattn;

namespace {
/// Parses modules with the effattn, func, tensor and arith dialects loaded,
/// recording the diagnostics they produce.
class AttentionOpTest : public ::testing::Test {
protected:
  AttentionOpTest()
      : handler(&context, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
        }) {
    context.loadDialect<EffAttnDialect, func::FuncDialect>();
  }

  /// Parses a function whose body is `body` and returns its only
  /// effattn.attention op (null if parsing or verification failed).
  AttentionOp parseAttention(StringRef signature, StringRef body) {
    std::string text =
        ("func.func @f(" + signature + ") {\n" + body + "\n  return\n}\n")
            .str();
    module = parseSourceString<ModuleOp>(text, &context);
    if (!module)
      return nullptr;
    AttentionOp result;
    module->walk([&](AttentionOp op) { result = op; });
    return result;
  }

  MLIRContext context;
  ScopedDiagnosticHandler handler;
  std::vector<std::string> diagnostics;
  OwningOpRef<ModuleOp> module;
};

constexpr const char *kBatchedSignature =
    "%q: tensor<2x3x5x16xf32>, %k: tensor<2x3x7x16xf32>, "
    "%v: tensor<2x3x7x8xf32>, %o: tensor<2x3x5x8xf32>";

TEST_F(AttentionOpTest, IterationDomainIsBatchRowsAndValueColumns) {
  AttentionOp op = parseAttention(
      kBatchedSignature,
      "  %r = effattn.attention ins(%q, %k, %v : tensor<2x3x5x16xf32>, "
      "tensor<2x3x7x16xf32>, tensor<2x3x7x8xf32>) outs(%o : "
      "tensor<2x3x5x8xf32>) -> tensor<2x3x5x8xf32>");
  ASSERT_TRUE(op) << (diagnostics.empty() ? "" : diagnostics.front());
  EXPECT_EQ(op.getNumBatchDims(), 2);

  OpBuilder b(op);
  SmallVector<Range> domain = op.getIterationDomain(b);
  ASSERT_EQ(domain.size(), 4u);
  std::vector<int64_t> sizes;
  for (const Range &range : domain)
    sizes.push_back(*getConstantIntValue(range.size));
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 3, 5, 8}));
  for (utils::IteratorType type : op.getLoopIteratorTypes())
    EXPECT_EQ(type, utils::IteratorType::parallel);
}

TEST_F(AttentionOpTest, DefaultScaleIsInverseSqrtOfHeadDim) {
  AttentionOp op = parseAttention(
      kBatchedSignature,
      "  %r = effattn.attention ins(%q, %k, %v : tensor<2x3x5x16xf32>, "
      "tensor<2x3x7x16xf32>, tensor<2x3x7x8xf32>) outs(%o : "
      "tensor<2x3x5x8xf32>) -> tensor<2x3x5x8xf32>");
  ASSERT_TRUE(op);
  std::optional<double> scale = op.getStaticScale();
  ASSERT_TRUE(scale.has_value());
  EXPECT_DOUBLE_EQ(*scale, 0.25);
}

TEST_F(AttentionOpTest, DynamicHeadDimHasNoStaticDefaultScale) {
  AttentionOp op = parseAttention(
      "%q: tensor<5x?xf16>, %k: tensor<7x?xf16>, %v: tensor<7x8xf16>, "
      "%o: tensor<5x8xf16>",
      "  %r = effattn.attention ins(%q, %k, %v : tensor<5x?xf16>, "
      "tensor<7x?xf16>, tensor<7x8xf16>) outs(%o : tensor<5x8xf16>) -> "
      "tensor<5x8xf16>");
  ASSERT_TRUE(op);
  EXPECT_FALSE(op.getStaticScale().has_value());
}

TEST_F(AttentionOpTest, VerifierNamesTheMismatchedHeadDim) {
  AttentionOp op = parseAttention(
      "%q: tensor<5x16xf32>, %k: tensor<7x12xf32>, %v: tensor<7x8xf32>, "
      "%o: tensor<5x8xf32>",
      "  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, "
      "tensor<7x12xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> "
      "tensor<5x8xf32>");
  EXPECT_FALSE(op);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_NE(diagnostics.front().find("'effattn.attention' op expects the "
                                     "head dimension D of key (12) to match "
                                     "query (16)"),
            std::string::npos)
      << diagnostics.front();
}

TEST_F(AttentionOpTest, DecompositionProducesOneResultOfTheInitType) {
  AttentionOp op = parseAttention(
      kBatchedSignature,
      "  %r = effattn.attention {causal} ins(%q, %k, %v : "
      "tensor<2x3x5x16xf32>, tensor<2x3x7x16xf32>, tensor<2x3x7x8xf32>) "
      "outs(%o : tensor<2x3x5x8xf32>) -> tensor<2x3x5x8xf32>");
  ASSERT_TRUE(op);
  OpBuilder b(op);
  FailureOr<SmallVector<Value>> values = op.decomposeOperation(b);
  ASSERT_TRUE(succeeded(values));
  ASSERT_EQ(values->size(), 1u);
  EXPECT_EQ(values->front().getType(), op.getType());
  EXPECT_TRUE(isa<linalg::GenericOp>(values->front().getDefiningOp()));
}
} // namespace
