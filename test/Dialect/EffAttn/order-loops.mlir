// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(linalg-generalize-named-ops,effattn-order-loops))" | FileCheck %s

/// [Pattern: ContiguousInnerLoop] IN: matmul loops (i, j, k), k innermost.
/// OUT: (i, k, j): the inner loop streams rows of B and C.

// CHECK-DAG: #[[$A:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[$B:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$C:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @matmul_reduction_moves_out
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<16x32xf32>, %[[C:[a-zA-Z0-9_]+]]: tensor<8x32xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[A]], %[[B]] : tensor<8x16xf32>, tensor<16x32xf32>) outs(%[[C]] : tensor<8x32xf32>)
func.func @matmul_reduction_moves_out(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

/// Q·Kᵀ reads K[j, d]: moving j innermost would stride through K, so the
/// contiguous reduction over d stays innermost.

// CHECK-LABEL: func.func @negative_transposed_operand_stays
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
func.func @negative_transposed_operand_stays(%q: tensor<8x16xf32>, %k: tensor<32x16xf32>, %s: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, d) -> (i, d)>, affine_map<(i, j, d) -> (j, d)>, affine_map<(i, j, d) -> (i, j)>]
      ins(%q, %k : tensor<8x16xf32>, tensor<32x16xf32>) outs(%s : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

/// Elementwise ops have a parallel innermost loop already.

// CHECK-LABEL: func.func @negative_parallel_innermost
// CHECK: iterator_types = ["parallel", "parallel"]
func.func @negative_parallel_innermost(%a: tensor<8x16xf32>, %b: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.add ins(%a, %a : tensor<8x16xf32>, tensor<8x16xf32>) outs(%b : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}
