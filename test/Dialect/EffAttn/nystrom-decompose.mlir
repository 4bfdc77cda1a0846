// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.nystrom_attention with mask,
/// conv skip and the "exact" pinv init. OUT: masked/scaled Q and K, landmark
/// gathers, three softmax kernels, the pseudo-inverse as an scf.for over
/// tensors, the GEMM chain, the conv skip, and one write into init.

// CHECK-LABEL: func.func @nystrom_masked_conv_exact
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x10x4xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x10x4xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x10x3xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x10xi1>, %[[W:[a-zA-Z0-9_]+]]: tensor<2x3xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x10x3xf32>
// CHECK: %[[QS:.+]] = linalg.generic {{.*}} ins(%[[Q]], %[[M]] : tensor<2x10x4xf32>, tensor<2x10xi1>)
// CHECK: %[[KS:.+]] = linalg.generic {{.*}} ins(%[[K]], %[[M]] : tensor<2x10x4xf32>, tensor<2x10xi1>)
/// Landmarks: a reduction over each segment, reading the scaled operand.
// CHECK: %[[QT:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "parallel"]{{.*}} outs(%{{.+}} : tensor<2x4x4xf32>)
// CHECK: tensor.extract %[[QS]]
// CHECK: %[[KT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<2x4x4xf32>)
// CHECK: tensor.extract %[[KS]]
/// Three softmax kernels.
// CHECK: math.exp
// CHECK: math.exp
// CHECK: ins(%[[M]] : tensor<2x10xi1>) outs(%{{.+}} : tensor<2x4x10xf32>)
// CHECK: math.exp
/// "exact" init: one normaliser per matrix.
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<2xf32>)
// CHECK: %[[Z:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ZI:.+]] = %{{.+}}) -> (tensor<2x4x4xf32>)
// CHECK-DAG: arith.constant 7.000000e+00 : f32
// CHECK-DAG: arith.constant 1.500000e+01 : f32
// CHECK-DAG: arith.constant 1.300000e+01 : f32
// CHECK-DAG: arith.constant 2.500000e-01 : f32
// CHECK: scf.yield
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[Z]] : tensor<2x10x4xf32>, tensor<2x4x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[V]] : tensor<2x4x10xf32>, tensor<2x10x3xf32>)
/// Conv skip over the masked V.
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[W]] : tensor<3xf32>, tensor<2x3xf32>)
// CHECK: tensor.extract %[[M]]
// CHECK: tensor.extract %[[V]]
// CHECK: %[[R:.+]] = linalg.generic {{.*}} outs(%[[O]] : tensor<2x10x3xf32>)
// CHECK: return %[[R]]
// CHECK-NOT: effattn.nystrom_attention
func.func @nystrom_masked_conv_exact(%q: tensor<2x10x4xf32>, %k: tensor<2x10x4xf32>, %v: tensor<2x10x3xf32>, %m: tensor<2x10xi1>, %w: tensor<2x3xf32>, %o: tensor<2x10x3xf32>) -> tensor<2x10x3xf32> {
  %r = effattn.nystrom_attention {num_landmarks = 4, pinv_iterations = 2, pinv_init = "exact"} ins(%q, %k, %v : tensor<2x10x4xf32>, tensor<2x10x4xf32>, tensor<2x10x3xf32>) mask(%m : tensor<2x10xi1>) conv_weight(%w : tensor<2x3xf32>) outs(%o : tensor<2x10x3xf32>) -> tensor<2x10x3xf32>
  return %r : tensor<2x10x3xf32>
}

// -----

/// "original" init: one normaliser over the whole batch (a 0-d tensor).

// CHECK-LABEL: func.func @nystrom_original_init
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} outs(%{{.+}} : tensor<f32>)
// CHECK: scf.for
func.func @nystrom_original_init(%q: tensor<2x8x4xf32>, %k: tensor<2x8x4xf32>, %v: tensor<2x8x4xf32>, %o: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  %r = effattn.nystrom_attention {num_landmarks = 2} ins(%q, %k, %v : tensor<2x8x4xf32>, tensor<2x8x4xf32>, tensor<2x8x4xf32>) outs(%o : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

// -----

/// num_landmarks == N is exact attention on the masked, scaled operands,
/// itself decomposed (no effattn op is left).

// CHECK-LABEL: func.func @nystrom_all_landmarks
// CHECK-NOT: scf.for
// CHECK-NOT: effattn.
// CHECK: return
func.func @nystrom_all_landmarks(%q: tensor<8x4xf32>, %k: tensor<8x4xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}
