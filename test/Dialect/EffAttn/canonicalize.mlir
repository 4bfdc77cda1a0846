// RUN: effattn-opt %s -canonicalize="test-convergence" -split-input-file | FileCheck %s

/// [Pattern: FoldZeroQueryOffset] IN: query_offset(%c0). OUT: no query_offset.

// CHECK-LABEL: func.func @attention_zero_query_offset
// CHECK: effattn.attention {causal} ins(
// CHECK-NOT: query_offset
// CHECK-SAME: outs(
func.func @attention_zero_query_offset(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  %c0 = arith.constant 0 : index
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) query_offset(%c0) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

/// A non-zero offset must stay.

// CHECK-LABEL: func.func @negative_attention_nonzero_query_offset
// CHECK: %[[C3:.+]] = arith.constant 3 : index
// CHECK: effattn.attention {causal} {{.*}} query_offset(%[[C3]])
func.func @negative_attention_nonzero_query_offset(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  %c3 = arith.constant 3 : index
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) query_offset(%c3) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

/// [Pattern: FoldTensorCastIntoAttention] IN: operands cast to dynamic
/// shapes. OUT: the static operands, and a cast of the static result.

// CHECK-LABEL: func.func @attention_fold_tensor_cast
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<5x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<7x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<7x8xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<5x8xf32>
// CHECK: %[[R:.+]] = effattn.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%[[O]] : tensor<5x8xf32>) -> tensor<5x8xf32>
// CHECK: %[[CAST:.+]] = tensor.cast %[[R]] : tensor<5x8xf32> to tensor<?x?xf32>
// CHECK: return %[[CAST]]
func.func @attention_fold_tensor_cast(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<?x?xf32> {
  %qd = tensor.cast %q : tensor<5x16xf32> to tensor<?x?xf32>
  %kd = tensor.cast %k : tensor<7x16xf32> to tensor<?x?xf32>
  %vd = tensor.cast %v : tensor<7x8xf32> to tensor<?x?xf32>
  %od = tensor.cast %o : tensor<5x8xf32> to tensor<?x?xf32>
  %r = effattn.attention ins(%qd, %kd, %vd : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%od : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

/// The op is pure: an unused result is erased.

// CHECK-LABEL: func.func @attention_dead
// CHECK-NOT: effattn.attention
// CHECK: return
func.func @attention_dead(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) {
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return
}
