// RUN: effattn-opt %s --split-input-file --verify-diagnostics \
// RUN:   --effattn-quantize-weights | FileCheck %s

// Constant weights become constants of packed codes, scales and zero
// points; the f32 weights lose their last use.

// CHECK-LABEL: func.func @constant_weights
// CHECK-NOT: effattn.frame_quantize
// CHECK-DAG: %[[CODES:.+]] = arith.constant dense<"0x{{[0-9A-F]+}}"> : tensor<2x4x16xi32>
// CHECK-DAG: %[[SCALE:.+]] = arith.constant dense<{{.+}}> : tensor<32xf32>
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<{{.+}}> : tensor<32xf32>
// CHECK: effattn.frame_linear {seed_in = 7 : i64} ins(%{{.+}}, %[[CODES]], %[[SCALE]], %[[ZERO]] :
func.func @constant_weights(%x: tensor<4x64xf32>) -> tensor<4x32xf32> {
  %w = arith.constant dense<0.25> : tensor<32x64xf32>
  %c, %s, %z = effattn.frame_quantize {seed_in = 7} %w
      : tensor<32x64xf32> -> tensor<2x4x16xi32>, tensor<32xf32>, tensor<32xf32>
  %init = tensor.empty() : tensor<4x32xf32>
  %y = effattn.frame_linear {seed_in = 7} ins(%x, %c, %s, %z : tensor<4x64xf32>, tensor<2x4x16xi32>, tensor<32xf32>, tensor<32xf32>)
      outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// Two-sided, redundancy 1.1: 2·9·32/16 = 36 rows of 2·9·32/16 = 36 codes.
// Zero weights give constant (zero) rows in the frame domain, where the
// authors' formula divides by zero: they are stored exactly (code 0,
// zero 0, scale 1).

// CHECK-LABEL: func.func @zero_weights_two_sided
// CHECK-DAG: %[[CODES:.+]] = arith.constant dense<0> : tensor<3x3x16xi32>
// CHECK-DAG: %[[SCALE:.+]] = arith.constant dense<1.000000e+00> : tensor<36xf32>
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<36xf32>
// CHECK: return %[[CODES]], %[[SCALE]], %[[ZERO]]
func.func @zero_weights_two_sided() -> (tensor<3x3x16xi32>, tensor<36xf32>, tensor<36xf32>) {
  %w = arith.constant dense<0.0> : tensor<32x32xf32>
  %c, %s, %z = effattn.frame_quantize {redundancy = 1.1, seed_in = 1, seed_out = 2} %w
      : tensor<32x32xf32> -> tensor<3x3x16xi32>, tensor<36xf32>, tensor<36xf32>
  return %c, %s, %z : tensor<3x3x16xi32>, tensor<36xf32>, tensor<36xf32>
}

// -----

func.func @runtime_weights(%w: tensor<32x64xf32>) -> tensor<2x4x16xi32> {
  // expected-error @+1 {{'effattn.frame_quantize' op expects constant weights (FrameQuant quantizes at compile time); pass the weights as a constant, or pass the packed codes, scale and zero to effattn.frame_linear}}
  %c, %s, %z = effattn.frame_quantize %w
      : tensor<32x64xf32> -> tensor<2x4x16xi32>, tensor<32xf32>, tensor<32xf32>
  return %c : tensor<2x4x16xi32>
}

// -----

/// Weights whose values are not in the module (an elided resource, as MLIR
/// prints large constants with --mlir-elide-resource-strings-if-larger).

func.func @elided_weights() -> tensor<2x4x16xi32> {
  %w = arith.constant dense_resource<__elided__> : tensor<32x64xf32>
  // expected-error @+1 {{'effattn.frame_quantize' op cannot read the constant weights as f32 values}}
  %c, %s, %z = effattn.frame_quantize %w
      : tensor<32x64xf32> -> tensor<2x4x16xi32>, tensor<32xf32>, tensor<32xf32>
  return %c : tensor<2x4x16xi32>
}
