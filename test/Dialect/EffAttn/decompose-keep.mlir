// RUN: effattn-opt %s --pass-pipeline="builtin.module(func.func(effattn-decompose{keep=effattn.block_sparse_attention}))" | FileCheck %s
// RUN: not effattn-opt %s --pass-pipeline="builtin.module(func.func(effattn-decompose{keep=effattn.no_such_op}))" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

/// [Pass option: effattn-decompose{keep}] MRA is decomposed, but the
/// effattn.block_sparse_attention its decomposition emits is kept (for
/// effattn-convert-to-gpu), with the selected blocks, their counts per row
/// and the low-resolution terms as operands.

// CHECK-LABEL: func.func @mra_keeps_block_sparse
// CHECK-NOT: effattn.mra_attention
// CHECK: %[[COUNTS:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<6x4x1xi32> into tensor<6x4xi32>
// CHECK: effattn.block_sparse_attention %{{.+}}, %{{.+}}, %{{.+}} blocks(%{{.+}}, %[[COUNTS]]) scale(%{{.+}}) mask(%{{.+}} : tensor<6x128xi1>) low_resolution(%{{.+}}, %{{.+}}, %{{.+}} : tensor<6x4x8xf32>, tensor<6x4xf32>, tensor<6x4xf32>) {block_size = 32 : i64} : tensor<6x128x16xf32>, tensor<6x128x16xf32>, tensor<6x128x8xf32>, tensor<6x4x4xi32>, tensor<6x4xi32> -> tensor<6x128x8xf32>
func.func @mra_keeps_block_sparse(%q: tensor<2x3x128x16xf32>, %k: tensor<2x3x128x16xf32>, %v: tensor<2x3x128x8xf32>, %m: tensor<2x3x128xi1>, %o: tensor<2x3x128x8xf32>) -> tensor<2x3x128x8xf32> {
  %r = effattn.mra_attention {block_size = 32, blocks_per_row = 2} ins(%q, %k, %v : tensor<2x3x128x16xf32>, tensor<2x3x128x16xf32>, tensor<2x3x128x8xf32>) mask(%m : tensor<2x3x128xi1>) outs(%o : tensor<2x3x128x8xf32>) -> tensor<2x3x128x8xf32>
  return %r : tensor<2x3x128x8xf32>
}


/// A name that is not an op is an error.
// UNKNOWN: error: effattn-decompose: unknown op 'effattn.no_such_op' to keep
