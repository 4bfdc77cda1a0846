// RUN: effattn-opt %s --split-input-file --effattn-decompose | FileCheck %s

// One activation row, two-sided frame with redundancy 1.1 (k = 9: the
// blocks repeat every 9 groups of 16, here every 4 (in = 64) and 3
// (out = 48) groups, indexed modulo that period), 2 bits; 54 code rows. The
// packed product runs by parallel tiles of code rows; per vector of 8
// words each of the 16 fields is masked in place, converted and multiplied
// into the (field-scaled) activations; the zero point is one correction per
// output. Without a target, 16 vector registers: 4 code rows per tile, or
// 2 when 4 does not divide the rows.

// CHECK-DAG: #[[BLOCK_IN:.+]] = affine_map<(d0, d1, d2, d3) -> (d2 mod 4, d1, d3)>
// CHECK-DAG: #[[BLOCK_OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d1 mod 3, d3, d2)>
// CHECK-LABEL: func.func @frame_linear
// CHECK-SAME: %[[X:[^:]+]]: tensor<1x64xf32>, %[[CODES:[^:]+]]: tensor<54x8xi32>
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %[[BLOCKS_IN:.+]] : tensor<1x4x16xf32>, tensor<4x18x16xf32>)
// CHECK: scf.forall (%[[ROW:.+]]) = (0) to (54) step (2)
// CHECK: scf.for {{.+}} -> (tensor<1x2xf32>)
// CHECK: scf.for %[[WORD:[^ ]+]] = {{.+}} -> (vector<8xf32>, vector<8xf32>)
// CHECK: vector.transfer_read %[[CODES]][%{{.+}}, %[[WORD]]]{{.+}} : tensor<54x8xi32>, vector<8xi32>
// CHECK: arith.andi %{{.+}} : vector<8xi32>
// CHECK: arith.sitofp %{{.+}} : vector<8xi32> to vector<8xf32>
// CHECK: vector.fma
// CHECK: arith.shrui %{{.+}} : vector<8xi32>
// CHECK: vector.reduction <add>
// CHECK: tensor.parallel_insert_slice
// CHECK: linalg.generic {{.+}} ins(%{{.+}}, %{{.+}} : tensor<1x18x3xf32>, tensor<3x18x16xf32>)
func.func @frame_linear(%x: tensor<1x64xf32>, %codes: tensor<54x8xi32>, %s: tensor<54xf32>, %z: tensor<54xf32>) -> tensor<1x48xf32> {
  %init = tensor.empty() : tensor<1x48xf32>
  %y = effattn.frame_linear {redundancy = 1.1, seed_in = 3, seed_out = 4}
      ins(%x, %codes, %s, %z : tensor<1x64xf32>, tensor<54x8xi32>, tensor<54xf32>, tensor<54xf32>)
      outs(%init : tensor<1x48xf32>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// The register tile follows the target: with 32 vector registers one
// activation row is multiplied by 8 code rows at a time.

// CHECK-LABEL: func.func @wide_target
// CHECK: scf.forall (%{{.+}}) = (0) to (64) step (8)
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @wide_target(%x: tensor<1x64xf32>, %codes: tensor<64x8xi32>, %s: tensor<64xf32>) -> tensor<1x64xf32> {
  %init = tensor.empty() : tensor<1x64xf32>
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<1x64xf32>, tensor<64x8xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<1x64xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
}

// -----

// A dynamic number of activation rows with 16 registers: tiles of 2 code
// rows × 5 activation rows (10 accumulators), then the remaining
// activation rows one by one.

// CHECK-LABEL: func.func @many_rows
// CHECK: scf.forall (%{{.+}}) = (0) to (64) step (2)
// CHECK: %[[C5:.+]] = arith.constant 5 : index
// CHECK: %[[TAIL:.+]] = arith.remui %{{.+}}, %[[C5]]
// CHECK: %[[MAIN:.+]] = arith.subi %{{.+}}, %[[TAIL]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[MAIN]] step %[[C5]]
// CHECK-COUNT-10: vector.fma
// CHECK: scf.for %{{.+}} = %[[MAIN]] to
func.func @many_rows(%x: tensor<?x64xf32>, %codes: tensor<64x8xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<64x8xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
