// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.yoso_attention, mode "lsh".
/// OUT: projections and τ-bit codes as linalg.generic ops, the bucket
/// scatter-add as scf.for loops over (batch·head, key, hash) on tensors, the
/// gather as a linalg.generic reading the tables, then row normalisation.

// CHECK-LABEL: func.func @yoso_lsh
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x3x9x8xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x3x9x8xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x3x9x4xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x3x9xi1>, %[[P:[a-zA-Z0-9_]+]]: tensor<8x12xf32>
// CHECK: %[[QF:.+]] = tensor.collapse_shape %[[Q]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x9x8xf32> into tensor<6x9x8xf32>
// CHECK: %[[QCODES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x9x4xi32>)
// CHECK: arith.shli
// CHECK: %[[KCODES:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x9x4xi32>)
// CHECK: %[[TABLES0:.+]] = linalg.fill {{.*}} -> tensor<6x4x8x4xf32>
// CHECK: %[[TABLES:.+]] = scf.for %[[BH:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[TABLES0]])
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: scf.for %[[H:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[T:.+]] = %{{.+}})
// CHECK: %[[CODE:.+]] = tensor.extract %[[KCODES]][%[[BH]], %[[J]], %[[H]]]
// CHECK: %[[BUCKET:.+]] = arith.index_cast %[[CODE]] : i32 to index
// CHECK: %[[ROW:.+]] = tensor.extract_slice %[[T]][%[[BH]], %[[H]], %[[BUCKET]], 0] [1, 1, 1, 4] [1, 1, 1, 1] : tensor<6x4x8x4xf32> to tensor<4xf32>
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} outs(%[[ROW]] : tensor<4xf32>)
// CHECK: tensor.insert_slice %[[SUM]] into %[[T]][%[[BH]], %[[H]], %[[BUCKET]], 0] [1, 1, 1, 4] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[QCODES]] : tensor<6x9x4xi32>)
// CHECK: tensor.extract %[[TABLES]]
// CHECK: tensor.expand_shape
// CHECK: math.sqrt
// CHECK-NOT: effattn.yoso_attention
func.func @yoso_lsh(%q: tensor<2x3x9x8xf32>, %k: tensor<2x3x9x8xf32>, %v: tensor<2x3x9x4xf32>, %m: tensor<2x3x9xi1>, %p: tensor<8x12xf32>, %o: tensor<2x3x9x4xf32>) -> tensor<2x3x9x4xf32> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 4} ins(%q, %k, %v : tensor<2x3x9x8xf32>, tensor<2x3x9x8xf32>, tensor<2x3x9x4xf32>) mask(%m : tensor<2x3x9xi1>) projection(%p : tensor<8x12xf32>) outs(%o : tensor<2x3x9x4xf32>) -> tensor<2x3x9x4xf32>
  return %r : tensor<2x3x9x4xf32>
}

// -----

/// Expectation: unit rows, cosines, (1 - acos/π)^τ, one GEMM with V.

// CHECK-LABEL: func.func @yoso_expectation
// CHECK: math.sqrt
// CHECK: math.acos
// CHECK: math.fpowi %{{.+}}, %{{.+}} : f32, i32
// CHECK-NOT: scf.for
// CHECK: return
func.func @yoso_expectation(%q: tensor<9x8xf32>, %k: tensor<9x8xf32>, %v: tensor<9x4xf32>, %o: tensor<9x4xf32>) -> tensor<9x4xf32> {
  %r = effattn.yoso_attention {hash_bits = 6} ins(%q, %k, %v : tensor<9x8xf32>, tensor<9x8xf32>, tensor<9x4xf32>) outs(%o : tensor<9x4xf32>) -> tensor<9x4xf32>
  return %r : tensor<9x4xf32>
}

// -----

/// The fast hash: the projection is built (transposed) from the ±1 diagonals
/// with three fast Walsh–Hadamard transforms; at length 16 each is one
/// product with the constant 16x16 Hadamard matrix (no butterfly stage).

// CHECK-LABEL: func.func @yoso_fast_hash
// CHECK-SAME: %[[DG:[a-zA-Z0-9_]+]]: tensor<3x2x16xf32>
// CHECK: %[[D0:.+]] = linalg.generic {{.*}} ins(%[[DG]] : tensor<3x2x16xf32>) outs(%{{.+}} : tensor<2x16x16xf32>)
// CHECK: %[[S1:.+]] = tensor.expand_shape %[[D0]] {{\[}}[0], [1], [2, 3]] {{.*}} : tensor<2x16x16xf32> into tensor<2x16x1x16xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[S1]], %{{.+}} : tensor<2x16x1x16xf32>, tensor<16x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[DG]] : tensor<3x2x16xf32>) outs(%{{.+}} : tensor<2x16x16xf32>)
// CHECK: arith.mulf
// CHECK: tensor.expand_shape {{.*}} into tensor<2x16x1x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[DG]] : tensor<3x2x16xf32>) outs(%{{.+}} : tensor<2x16x16xf32>)
// CHECK: tensor.expand_shape {{.*}} into tensor<2x16x1x16xf32>
// CHECK: %[[PROJ:.+]] = tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2]] : tensor<16x7x3xf32> into tensor<16x21xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[PROJ]] : tensor<1x9x16xf32>, tensor<16x21xf32>)
func.func @yoso_fast_hash(%q: tensor<9x16xf32>, %k: tensor<9x16xf32>, %v: tensor<9x4xf32>, %dg: tensor<3x2x16xf32>, %o: tensor<9x4xf32>) -> tensor<9x4xf32> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 7} ins(%q, %k, %v : tensor<9x16xf32>, tensor<9x16xf32>, tensor<9x4xf32>) hadamard_diagonals(%dg : tensor<3x2x16xf32>) outs(%o : tensor<9x4xf32>) -> tensor<9x4xf32>
  return %r : tensor<9x4xf32>
}

// -----

/// On a GPU target the bucket sums are one task per (bh, j, h, e) adding
/// atomically into a zero-filled f32 buffer (threads after
/// effattn-gpu-map-linalg), not loops over (bh, j, h).

// CHECK-LABEL: func.func @yoso_lsh_gpu
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x9x8xf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x9x4xf16>
// CHECK-NOT: scf.for
// CHECK: %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only : tensor<2x9x4xf16> to memref<2x9x4xf16>
// CHECK: %[[CB:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<2x9x4xi32> to memref<2x9x4xi32>
// CHECK: %[[T:.+]] = memref.alloc() : memref<2x4x8x4xf32>
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[T]] : memref<2x4x8x4xf32>)
// CHECK: scf.forall (%[[B:.+]], %[[J:.+]], %[[H:.+]], %[[E:.+]]) in (2, 9, 4, 4) {
// CHECK: %[[CODE:.+]] = memref.load %[[CB]][%[[B]], %[[J]], %[[H]]]
// CHECK: %[[BUCKET:.+]] = arith.index_cast %[[CODE]] : i32 to index
// CHECK: %[[X:.+]] = memref.load %[[VB]][%[[B]], %[[J]], %[[E]]]
// CHECK: %[[X32:.+]] = arith.extf %[[X]] : f16 to f32
// CHECK: memref.atomic_rmw addf %[[X32]], %[[T]][%[[B]], %[[H]], %[[BUCKET]], %[[E]]]
// CHECK: %[[TABLES:.+]] = bufferization.to_tensor %[[T]] restrict writable
// CHECK: tensor.extract %[[TABLES]]
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @yoso_lsh_gpu(%q: tensor<2x9x8xf16>, %v: tensor<2x9x4xf16>, %p: tensor<8x12xf16>, %o: tensor<2x9x4xf16>) -> tensor<2x9x4xf16> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 4} ins(%q, %q, %v : tensor<2x9x8xf16>, tensor<2x9x8xf16>, tensor<2x9x4xf16>) projection(%p : tensor<8x12xf16>) outs(%o : tensor<2x9x4xf16>) -> tensor<2x9x4xf16>
  return %r : tensor<2x9x4xf16>
}
}
