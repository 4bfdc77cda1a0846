// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.quantize, beta < 1.
/// OUT: i32 keys of |x|, flattened to [1, numel]; effattn.kth_largest for
/// the k-th largest key (k = int(numel·(1 - beta)) = 51 here), decomposed in
/// turn into its 32-step bisection; alpha back
/// from its key; scale = (1/alpha)·levels/2 in a 0-d generic; round half to
/// even, clamp, fptosi; the scale copied into its 0-d init.

// CHECK-LABEL: func.func @quantize_percentile
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<32x32xf32>, %[[Q:[a-zA-Z0-9_]+]]: tensor<32x32xi32>, %[[S:[a-zA-Z0-9_]+]]: tensor<f32>
// CHECK: %[[KEYS:.+]] = linalg.generic {{.*}} ins(%[[X]] : tensor<32x32xf32>) outs(%{{.+}} : tensor<32x32xi32>)
// CHECK: math.absf
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[KEYS]] {{\[}}[0, 1]] : tensor<32x32xi32> into tensor<1024xi32>
// CHECK: %[[ROWS:.+]] = tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [1, 1024] : tensor<1024xi32> into tensor<1x1024xi32>
// CHECK: %[[BOUNDS:.+]]:2 = scf.for {{.+}} -> (tensor<1xi32>, tensor<1xi32>)
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %{{.+}}, %{{.+}} : tensor<1x1024xi32>, tensor<1xi32>, tensor<1xi32>)
// CHECK: %[[K:.+]] = arith.constant 51 : i64
// CHECK: arith.cmpi sge, %{{.+}}, %[[K]] : i64
/// The scale stays a 0-d tensor the kernels read (nothing is read on the
/// host of a GPU library).
// CHECK: %[[KEY:.+]] = tensor.collapse_shape %[[BOUNDS]]#0 [] : tensor<1xi32> into tensor<i32>
// CHECK: %[[SCALE:.+]] = linalg.generic {{.*}} iterator_types = []} ins(%[[KEY]] : tensor<i32>) outs(%{{.+}} : tensor<f32>)
// CHECK: %[[ALPHA:.+]] = arith.bitcast %{{.+}} : i32 to f32
// CHECK: %[[CLAMPED:.+]] = arith.maximumf %[[ALPHA]], %{{.+}} : f32
// CHECK: %[[RECIP:.+]] = arith.divf %{{.+}}, %[[CLAMPED]] : f32
// CHECK: %[[S1:.+]] = arith.mulf %[[RECIP]], %{{.+}} : f32
// CHECK: linalg.yield %[[S1]] : f32
// CHECK: %[[INTS:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[SCALE]] : tensor<32x32xf32>, tensor<f32>) outs(%[[Q]] : tensor<32x32xi32>)
// CHECK: math.roundeven
// CHECK: arith.fptosi %{{.+}} : f32 to i32
// CHECK: %[[SOUT:.+]] = linalg.generic {{.*}} ins(%[[SCALE]] : tensor<f32>) outs(%[[S]] : tensor<f32>)
// CHECK: return %[[INTS]], %[[SOUT]]
func.func @quantize_percentile(%x: tensor<32x32xf32>, %q: tensor<32x32xi32>, %s: tensor<f32>) -> (tensor<32x32xi32>, tensor<f32>) {
  %r:2 = effattn.quantize {beta = 0.95, levels = 15} ins(%x : tensor<32x32xf32>) outs(%q, %s : tensor<32x32xi32>, tensor<f32>) -> tensor<32x32xi32>, tensor<f32>
  return %r#0, %r#1 : tensor<32x32xi32>, tensor<f32>
}

// -----

/// beta = 1: alpha is one max reduction of |x|, no bisection.

// CHECK-LABEL: func.func @quantize_max
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.+}} : tensor<8xf16>) outs(%{{.+}} : tensor<f32>)
// CHECK-NOT: scf.for
// CHECK: arith.fptosi %{{.+}} : f32 to i64
func.func @quantize_max(%x: tensor<8xf16>, %q: tensor<8xi64>, %s: tensor<f32>) -> (tensor<8xi64>, tensor<f32>) {
  %r:2 = effattn.quantize ins(%x : tensor<8xf16>) outs(%q, %s : tensor<8xi64>, tensor<f32>) -> tensor<8xi64>, tensor<f32>
  return %r#0, %r#1 : tensor<8xi64>, tensor<f32>
}
