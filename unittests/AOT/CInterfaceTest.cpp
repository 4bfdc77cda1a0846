//===- CInterfaceTest.cpp - C interface generation unit tests ---*- C++ -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "effattn/AOT/CInterface.h"
#include "effattn/Dialect/EffAttn/IR/EffAttnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/JSON.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::effattn;

namespace {
class CInterfaceTest : public ::testing::Test {
protected:
  CInterfaceTest()
      : handler(&context, [this](Diagnostic &diag) {
          diagnostics.push_back(diag.str());
        }) {
    context.loadDialect<EffAttnDialect, func::FuncDialect>();
  }

  FailureOr<ModuleInterface> collect(StringRef text) {
    module = parseSourceString<ModuleOp>(text, &context);
    if (!module)
      return failure();
    return collectModuleInterface(*module, "my-model.v2");
  }

  MLIRContext context;
  ScopedDiagnosticHandler handler;
  std::vector<std::string> diagnostics;
  OwningOpRef<ModuleOp> module;
};

constexpr const char *kTwoFunctions = R"mlir(
func.func @scale(%x: tensor<4x3xf32>, %m: tensor<4xi1>) -> tensor<4x3xf32> {
  return %x : tensor<4x3xf32>
}
func.func @pair(%x: tensor<bf16>) -> (tensor<bf16>, tensor<2xi64>) {
  %c = arith.constant dense<[1, 2]> : tensor<2xi64>
  return %x, %c : tensor<bf16>, tensor<2xi64>
}
func.func private @helper(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
)mlir";

TEST_F(CInterfaceTest, CollectsPublicFunctionsOnly) {
  context.loadDialect<arith::ArithDialect>();
  FailureOr<ModuleInterface> interface = collect(kTwoFunctions);
  ASSERT_TRUE(succeeded(interface));
  EXPECT_EQ(interface->moduleName, "my_model_v2");
  ASSERT_EQ(interface->functions.size(), 2u);
  const FunctionSignature &scale = interface->functions[0];
  EXPECT_EQ(scale.name, "scale");
  ASSERT_EQ(scale.inputs.size(), 2u);
  EXPECT_EQ(scale.inputs[1].name, "arg1");
  EXPECT_TRUE(scale.inputs[1].elementType.isInteger(1));
  EXPECT_EQ(scale.outputs[0].shape, (SmallVector<int64_t>{4, 3}));
  EXPECT_EQ(interface->functions[1].outputs.size(), 2u);
}

TEST_F(CInterfaceTest, HeaderDeclaresPlainCPrototypes) {
  context.loadDialect<arith::ArithDialect>();
  FailureOr<ModuleInterface> interface = collect(kTwoFunctions);
  ASSERT_TRUE(succeeded(interface));
  std::string header = emitCHeader(*interface);
  EXPECT_NE(header.find("int32_t scale(const float *arg0, const int64_t "
                        "*arg0_shape, const uint8_t *arg1, const int64_t "
                        "*arg1_shape, float *result0, const int64_t "
                        "*result0_shape);"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("static const int64_t scale_arg0_shape[2] = {4, 3};"),
            std::string::npos);
  EXPECT_NE(header.find("#define PAIR_ARG0_RANK 0"), std::string::npos);
  EXPECT_NE(header.find("const char *my_model_v2_last_error(void);"),
            std::string::npos);
}

TEST_F(CInterfaceTest, ManifestIsValidJson) {
  context.loadDialect<arith::ArithDialect>();
  FailureOr<ModuleInterface> interface = collect(kTwoFunctions);
  ASSERT_TRUE(succeeded(interface));
  llvm::Expected<llvm::json::Value> manifest =
      llvm::json::parse(emitManifest(*interface));
  ASSERT_TRUE(bool(manifest)) << llvm::toString(manifest.takeError());
  const llvm::json::Object *root = manifest->getAsObject();
  ASSERT_TRUE(root);
  EXPECT_EQ(root->getString("module"), "my_model_v2");
  const llvm::json::Array *functions = root->getArray("functions");
  ASSERT_TRUE(functions && functions->size() == 2);
  const llvm::json::Object *pair = (*functions)[1].getAsObject();
  EXPECT_EQ(
      pair->getArray("outputs")->front().getAsObject()->getString("dtype"),
      "bf16");
}

TEST_F(CInterfaceTest, WrapperEscapesTheManifestAndCallsTheImplementation) {
  context.loadDialect<arith::ArithDialect>();
  FailureOr<ModuleInterface> interface = collect(kTwoFunctions);
  ASSERT_TRUE(succeeded(interface));
  std::string wrapper = emitCWrapper(*interface);
  EXPECT_NE(wrapper.find("_mlir_ciface___effattn_impl_scale(&arg0_desc, "
                         "&arg1_desc, &result0_desc);"),
            std::string::npos)
      << wrapper;
  EXPECT_NE(wrapper.find("effattn_check_bool(\"scale\", \"arg1\", arg1, 4)"),
            std::string::npos);
  EXPECT_NE(wrapper.find("\\\"module\\\":\\\"my_model_v2\\\""),
            std::string::npos);
}

TEST_F(CInterfaceTest, RejectsDynamicShapes) {
  FailureOr<ModuleInterface> interface = collect(R"mlir(
func.func @f(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  return %x : tensor<?x3xf32>
}
)mlir");
  EXPECT_TRUE(failed(interface));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0], "effattn-compile: arg0 of @f has type "
                            "'tensor<?x3xf32>'; the C ABI requires static "
                            "shapes");
}

TEST_F(CInterfaceTest, RejectsNonTensorsAndUnsupportedElementTypes) {
  EXPECT_TRUE(failed(collect(R"mlir(
func.func @f(%x: f32) { return }
)mlir")));
  EXPECT_TRUE(failed(collect(R"mlir(
func.func @g(%x: tensor<2xf64>) { return }
)mlir")));
  ASSERT_EQ(diagnostics.size(), 2u);
  EXPECT_NE(diagnostics[0].find("the C ABI carries only ranked tensors"),
            std::string::npos);
  EXPECT_NE(diagnostics[1].find("has element type 'f64'"), std::string::npos);
}

TEST_F(CInterfaceTest, RejectsModulesWithoutEntryPoints) {
  EXPECT_TRUE(failed(collect("func.func private @f()")));
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0],
            "effattn-compile: the module has no public function to export");
}

TEST(SanitizeCIdentifierTest, ReplacesInvalidCharacters) {
  EXPECT_EQ(sanitizeCIdentifier("encoder-layer.v1"), "encoder_layer_v1");
  EXPECT_EQ(sanitizeCIdentifier("9lives"), "_9lives");
  EXPECT_EQ(sanitizeCIdentifier(""), "_");
  EXPECT_EQ(sanitizeCIdentifier("ok_name42"), "ok_name42");
}
} // namespace
