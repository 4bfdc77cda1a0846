// RUN: effattn-opt %s --transform-interpreter --split-input-file -verify-diagnostics

/// YOSO normalises each output row over all E columns, so E is a reduction
/// loop: a schedule that tiles it is refused with diagnostics, not turned
/// into wrong rows.

func.func @yoso_tile_value_columns(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x8xf32>, %o: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+3 {{'effattn.yoso_attention' op cannot tile the normalised value dimension E}}
  // expected-error @+2 {{'effattn.yoso_attention' op faild to tile operation}}
  // expected-error @+1 {{'effattn.yoso_attention' op failed to generate tiling loops}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x8xf32>) outs(%o : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %yoso = transform.structured.match ops{["effattn.yoso_attention"]} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %yoso tile_sizes [0, 4] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    transform.yield
  }
}
