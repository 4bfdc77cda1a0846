// RUN: effattn-opt %s --split-input-file --effattn-decompose | FileCheck %s

// One activation row, two-sided frame with redundancy 1.1 and 2 bits:
// k = 9, so the 16-wide blocks differ from group to group (in = 64: 4
// groups, out = 48: 3 groups) and are constants [2k, 16, groups], applied
// with the groups innermost; 54 code rows of 72 codes in 8 words.
//
// The transforms run per activation row (scf.forall). The packed product
// runs by parallel tiles of code rows; per vector of 8 words each of the 16
// fields is masked in place, converted and multiplied into the activations,
// which are scaled per field and padded to 8 + 16 floats per field; the
// zero point is one correction per output. 54 rows: tiles of 2 code rows.

// CHECK-DAG: #[[$ROWS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$BLOCK:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$BLOCK_T:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d1, d3)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @frame_linear
// CHECK-SAME: %[[X:[^:]+]]: tensor<1x64xf32>, %[[CODES:[^:]+]]: tensor<54x8xi32>
// CHECK: scf.forall
// CHECK: linalg.transpose ins(%{{.+}} : tensor<1x4x16xf32>) outs(%{{.+}} : tensor<1x16x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$ROWS]], #[[$BLOCK]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<1x16x4xf32>, tensor<18x16x4xf32>) outs(%{{.+}} : tensor<1x18x4xf32>)
// CHECK: scf.for {{.+}} -> (tensor<1x54xf32>)
// CHECK: scf.forall (%[[ROW:.+]]) = (0) to (54) step (2)
// CHECK: scf.for %[[WORD:[^ ]+]] = {{.+}} -> (vector<8xf32>, vector<8xf32>)
// CHECK: vector.transfer_read %[[CODES]][%{{.+}}, %[[WORD]]]{{.+}} : tensor<54x8xi32>, vector<8xi32>
// CHECK: arith.andi %{{.+}} : vector<8xi32>
// CHECK: arith.sitofp %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK: vector.transfer_read %{{.+}}[%{{.+}}, %{{.+}}, %[[WORD]]]{{.+}} : tensor<1x16x24xf32>, vector<8xf32>
// CHECK: vector.fma
// CHECK: arith.shrui %{{.+}} : vector<8xi32>
// CHECK: vector.reduction <add>
// CHECK: tensor.parallel_insert_slice
// CHECK: scf.forall
// CHECK: linalg.generic {indexing_maps = [#[[$ROWS]], #[[$BLOCK_T]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<1x18x3xf32>, tensor<18x16x3xf32>) outs(%{{.+}} : tensor<1x16x3xf32>)
// CHECK: linalg.transpose ins(%{{.+}} : tensor<1x16x3xf32>) outs(%{{.+}} : tensor<1x3x16xf32>)
func.func @frame_linear(%x: tensor<1x64xf32>, %codes: tensor<54x8xi32>, %s: tensor<54xf32>, %z: tensor<54xf32>) -> tensor<1x48xf32> {
  %init = tensor.empty() : tensor<1x48xf32>
  %y = effattn.frame_linear {redundancy = 1.1, seed_in = 3, seed_out = 4}
      ins(%x, %codes, %s, %z : tensor<1x64xf32>, tensor<54x8xi32>, tensor<54xf32>, tensor<54xf32>)
      outs(%init : tensor<1x48xf32>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// The register tile follows the target: accumulators (code rows ×
// activation rows) take at most half the vector registers. With 32
// registers: 4 code rows × 4 activation rows.

// CHECK-LABEL: func.func @wide_target
// CHECK: %[[C4:.+]] = arith.constant 4 : index
// CHECK: %[[TAIL:.+]] = arith.remui %{{.+}}, %[[C4]]
// CHECK: scf.for %{{.+}} step %[[C4]]
// CHECK: scf.forall (%{{.+}}) = (0) to (64) step (4)
// CHECK-COUNT-16: vector.fma
// CHECK-NOT: vector.fma
// CHECK: arith.andi
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @wide_target(%x: tensor<?x64xf32>, %codes: tensor<64x8xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<64x8xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
}

// -----

// Without a target (16 registers): 4 code rows × 2 activation rows, then the
// remaining activation row alone.

// CHECK-LABEL: func.func @default_target
// CHECK: %[[C2:.+]] = arith.constant 2 : index
// CHECK: %[[TAIL:.+]] = arith.remui %{{.+}}, %[[C2]]
// CHECK: %[[MAIN:.+]] = arith.subi %{{.+}}, %[[TAIL]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[MAIN]] step %[[C2]]
// CHECK: scf.forall (%{{.+}}) = (0) to (64) step (4)
// CHECK-COUNT-8: vector.fma
// CHECK-NOT: vector.fma
// CHECK: arith.andi
// CHECK: scf.for %{{.+}} = %[[MAIN]] to
func.func @default_target(%x: tensor<?x64xf32>, %codes: tensor<64x8xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<64x8xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
