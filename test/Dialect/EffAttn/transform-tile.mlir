// RUN: effattn-opt %s --transform-interpreter --split-input-file | FileCheck %s

/// effattn.attention implements TilingInterface, so upstream transform ops
/// tile it: here rows by 16 and value columns by 8 with scf.for loops.

// CHECK-LABEL: func.func @attention_transform_tiled
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<64x32xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<48x32xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<48x24xf32>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: %[[QT:.+]] = tensor.extract_slice %[[Q]][%[[I]], 0] [16, 32] [1, 1]
// CHECK: %[[KT:.+]] = tensor.extract_slice %[[K]][0, 0] [48, 32] [1, 1]
// CHECK: %[[VT:.+]] = tensor.extract_slice %[[V]][0, %[[J]]] [48, 8] [1, 1]
// CHECK: effattn.attention {causal} ins(%[[QT]], %[[KT]], %[[VT]] : tensor<16x32xf32>, tensor<48x32xf32>, tensor<48x8xf32>) query_offset(%[[I]]) outs(%{{.+}} : tensor<16x8xf32>) -> tensor<16x8xf32>
func.func @attention_transform_tiled(%q: tensor<64x32xf32>, %k: tensor<48x32xf32>, %v: tensor<48x24xf32>, %o: tensor<64x24xf32>) -> tensor<64x24xf32> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<64x32xf32>, tensor<48x32xf32>, tensor<48x24xf32>) outs(%o : tensor<64x24xf32>) -> tensor<64x24xf32>
  return %r : tensor<64x24xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %attn = transform.structured.match ops{["effattn.attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loops:2 = transform.structured.tile_using_for %attn tile_sizes [16, 8] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
