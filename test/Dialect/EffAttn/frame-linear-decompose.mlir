// RUN: effattn-opt %s --split-input-file --effattn-decompose | FileCheck %s

// One activation row, two-sided frame with redundancy 1.1 and 2 bits:
// k = 9, so the 16-wide blocks differ from group to group (in = 64: 4
// groups, out = 48: 3 groups) and are constants [2k, 16, groups], applied
// with the groups innermost; 54 code rows (4 groups of 16) of 72 codes
// (5 words).
//
// The transforms run per activation row (scf.forall). The packed product
// runs by parallel tiles of row groups; without a target (16 256-bit
// registers, no AVX-512) the field kernel: per word, each field of 16 rows
// is masked in place, converted and FMA'd with its column's (scaled)
// activation, into 4 partial sums. The result [1, 64] is sliced to the 54
// rows before the output transform.

// CHECK-DAG: #[[$ROWS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$BLOCK:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[$BLOCK_T:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d1, d3)>
// CHECK-DAG: #[[$OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @fields
// CHECK-SAME: %[[X:[^:]+]]: tensor<1x64xf32>, %[[CODES:[^:]+]]: tensor<4x5x16xi32>, %[[SCALE:[^:]+]]: tensor<54xf32>
// CHECK: scf.forall
// CHECK: linalg.transpose ins(%{{.+}} : tensor<1x4x16xf32>) outs(%{{.+}} : tensor<1x16x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$ROWS]], #[[$BLOCK]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<1x16x4xf32>, tensor<18x16x4xf32>) outs(%{{.+}} : tensor<1x18x4xf32>)
// CHECK: scf.for {{.+}} -> (tensor<1x64xf32>)
// CHECK: scf.forall (%[[GROUP:.+]]) in (4)
// CHECK: scf.for %[[WORD:[^ ]+]] = {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[PACKED:.+]] = vector.transfer_read %[[CODES]][%{{.+}}, %[[WORD]], %{{.+}}]{{.+}} : tensor<4x5x16xi32>, vector<16xi32>
// CHECK: %[[FIELD:.+]] = arith.andi %[[PACKED]], %{{.+}} : vector<16xi32>
// CHECK: %[[Q:.+]] = arith.sitofp %[[FIELD]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[XS:.+]] = vector.broadcast %{{.+}} : f32 to vector<16xf32>
// CHECK: vector.fma %[[Q]], %[[XS]], %{{.+}} : vector<16xf32>
// CHECK: arith.shrui %[[PACKED]], %{{.+}} : vector<16xi32>
// CHECK: vector.transfer_read %[[SCALE]][%{{.+}}], %{{.+}} : tensor<54xf32>, vector<16xf32>
// CHECK: vector.transfer_write %{{.+}} {in_bounds = [true]} : vector<16xf32>, tensor<1x16xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: tensor.extract_slice %{{.+}}[0, 0] [1, 54] [1, 1] : tensor<1x64xf32> to tensor<1x54xf32>
// CHECK: scf.forall
// CHECK: linalg.generic {indexing_maps = [#[[$ROWS]], #[[$BLOCK_T]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<1x18x3xf32>, tensor<18x16x3xf32>) outs(%{{.+}} : tensor<1x16x3xf32>)
// CHECK: linalg.transpose ins(%{{.+}} : tensor<1x16x3xf32>) outs(%{{.+}} : tensor<1x3x16xf32>)
func.func @fields(%x: tensor<1x64xf32>, %codes: tensor<4x5x16xi32>, %s: tensor<54xf32>, %z: tensor<54xf32>) -> tensor<1x48xf32> {
  %init = tensor.empty() : tensor<1x48xf32>
  %y = effattn.frame_linear {redundancy = 1.1, seed_in = 3, seed_out = 4}
      ins(%x, %codes, %s, %z : tensor<1x64xf32>, tensor<4x5x16xi32>, tensor<54xf32>, tensor<54xf32>)
      outs(%init : tensor<1x48xf32>) -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// A dynamic number of activation rows without a target: tiles of 1 row
// group × 4 activation rows (4 accumulators), then the remaining rows one
// by one (with 4 partial sums each).

// CHECK-LABEL: func.func @default_target
// CHECK: %[[C4:.+]] = arith.constant 4 : index
// CHECK: %[[TAIL:.+]] = arith.remui %{{.+}}, %[[C4]]
// CHECK: %[[MAIN:.+]] = arith.subi %{{.+}}, %[[TAIL]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[MAIN]] step %[[C4]]
// CHECK: scf.forall (%{{.+}}) in (4)
// CHECK: scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: vector.fma
// CHECK-NOT: vector.fma
// CHECK: arith.andi
// CHECK: scf.for %{{.+}} = %[[MAIN]] to
func.func @default_target(%x: tensor<?x64xf32>, %codes: tensor<4x4x16xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<4x4x16xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// With AVX-512 (32 registers) and 2-bit codes: the table kernel. Each
// activation row gets a 16-entry table per column pair; per word, each
// 4-bit field pair of 16 rows selects from it (effattn.table_lookup).
// Tiles of 2 row groups × 8 activation rows.

// CHECK-LABEL: func.func @tables
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (%{{.+}}, 32) step (1, 32)
// CHECK: vector.transfer_write %{{.+}} : vector<16xf32>, tensor<1x32x16xf32>
// CHECK: %[[C8:.+]] = arith.constant 8 : index
// CHECK: arith.remui %{{.+}}, %[[C8]]
// CHECK: scf.forall (%{{.+}}) = (0) to (4) step (2)
// CHECK: %[[PACKED:.+]] = vector.transfer_read {{.+}} : tensor<4x4x16xi32>, vector<16xi32>
// CHECK: %[[TABLE:.+]] = vector.transfer_read {{.+}} : tensor<?x32x16xf32>, vector<16xf32>
// CHECK: effattn.table_lookup %[[TABLE]][%[[PACKED]]] : vector<16xf32>, vector<16xi32>
// CHECK: arith.shrui
// CHECK-NOT: arith.sitofp
// CHECK: tensor.parallel_insert_slice
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @tables(%x: tensor<?x64xf32>, %codes: tensor<4x4x16xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<4x4x16xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
}

// -----

/// On a GPU target the transforms apply to the whole batch (no per-row
/// scf.forall) with gather butterflies, and the product is a generic that
/// extracts field c mod 16 of word (r floordiv 16, c floordiv 16, r mod 16)
/// (2 bits: 16 codes per word), then one applying scale and zero.

// CHECK: #[[$CODEMAP:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 16, d2 floordiv 16, d1 mod 16)>
// CHECK-LABEL: func.func @gpu_product
// CHECK-SAME: %{{[a-zA-Z0-9_]+}}: tensor<?x64xf32>, %[[CODES:[a-zA-Z0-9_]+]]: tensor<4x4x16xi32>
// CHECK-NOT: scf.forall
// CHECK-NOT: vector.
// CHECK: %[[DOTS:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[$CODEMAP]], #{{.+}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[CODES]] : tensor<?x64xf32>, tensor<4x4x16xi32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[WORD:.+]]: i32, %[[ACC:.+]]: f32):
// CHECK: %[[FIELD:.+]] = arith.remui %{{.+}}, %{{.+}} : index
// CHECK: %[[SHIFTED:.+]] = arith.shrui %[[WORD]], %{{.+}} : i32
// CHECK: %[[CODE:.+]] = arith.andi %[[SHIFTED]], %{{.+}} : i32
// CHECK: %[[Q:.+]] = arith.uitofp %[[CODE]] : i32 to f32
// CHECK: arith.mulf %[[Q]], %[[X]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[DOTS]], %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>, tensor<64xf32>)
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @gpu_product(%x: tensor<?x64xf32>, %codes: tensor<4x4x16xi32>, %s: tensor<64xf32>, %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = effattn.frame_linear ins(%x, %codes, %s, %s : tensor<?x64xf32>, tensor<4x4x16xi32>, tensor<64xf32>, tensor<64xf32>)
      outs(%init : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
}
