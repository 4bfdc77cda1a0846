// RUN: effattn-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(effattn-decompose))" | FileCheck %s

/// [Pattern: DecomposeEffAttnOp] IN: effattn.mra_attention, mode "full".
/// OUT: batch dims collapsed; block counts and means, the nb x nb grid of
/// block scores and its integer selection keys (linalg); effattn.kth_largest
/// for the k-th largest key, decomposed in turn into a 32-step bisection
/// (scf.for); per-row lists of selected key blocks
/// (scf.forall with a sequential scan); an online softmax over the key and
/// value blocks gathered through those lists (scf.forall, scf.for over the
/// row's count); no N x N tensor anywhere.

// CHECK-LABEL: func.func @mra_full
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x3x128x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x3x128x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x3x128x8xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<2x3x128xi1>
// CHECK-NOT: tensor<6x128x128
// CHECK: %[[MF:.+]] = tensor.collapse_shape %[[M]] {{\[}}[0, 1], [2]] : tensor<2x3x128xi1> into tensor<6x128xi1>
// CHECK: %[[QM:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x128x16xf32>)
// CHECK: %[[KM:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x128x16xf32>)
// CHECK: %[[VM:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x128x8xf32>)
// CHECK: tensor.expand_shape %[[QM]] {{\[}}[0], [1, 2], [3]] output_shape [6, 4, 32, 16]
// CHECK: %[[KEYS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<6x4x4xi32>)
// CHECK: arith.bitcast %{{.+}} : f32 to i32
// CHECK: %[[BOUNDS:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %c32 step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<6xi32>, tensor<6xi32>)
// CHECK: %[[SEL:.+]]:3 = scf.forall (%[[B0:.+]], %[[I0:.+]]) in (6, 4) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<6x4x4xi32>, tensor<6x4x1xi32>, tensor<6x4x4xi1>)
// CHECK: tensor.extract %[[BOUNDS]]#0[%[[B0]]] : tensor<6xi32>
// CHECK: scf.for %[[J:.+]] = {{.+}} iter_args({{.+}}) -> (index, i64, tensor<4xi32>, tensor<4xi1>)
// CHECK: tensor.extract %[[KEYS]][%[[B0]], %[[I0]], %[[J]]] : tensor<6x4x4xi32>
// CHECK: scf.forall.in_parallel
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[SEL]]#2, %{{.+}} : tensor<6x4x4xf32>, tensor<6x4xf32>, tensor<6x4x4xi1>, tensor<6x4xf32>)
// CHECK: %[[COUNTS:.+]] = tensor.collapse_shape %[[SEL]]#1 {{\[}}[0], [1, 2]] : tensor<6x4x1xi32> into tensor<6x4xi32>
// CHECK: %[[OUT:.+]] = scf.forall (%[[B:.+]], %[[I:.+]]) in (6, 4) shared_outs(%[[ACC:.+]] = %{{.+}}) -> (tensor<6x128x8xf32>)
// CHECK: %[[ROW:.+]] = arith.muli %[[I]], %{{.+}} : index
// CHECK: %[[QB:.+]] = tensor.extract_slice %[[QM]][%[[B]], %[[ROW]], 0] [1, 32, 16] [1, 1, 1] : tensor<6x128x16xf32> to tensor<32x16xf32>
// CHECK: %[[COUNT:.+]] = tensor.extract %[[COUNTS]][%[[B]], %[[I]]] : tensor<6x4xi32>
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : i32 to index
// CHECK: scf.for %[[T:.+]] = %{{.+}} to %[[N]] step %{{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<32xf32>, tensor<32xf32>, tensor<32x8xf32>)
// CHECK: %[[COL:.+]] = tensor.extract %[[SEL]]#0[%[[B]], %[[I]], %[[T]]] : tensor<6x4x4xi32>
// CHECK: %[[JI:.+]] = arith.index_cast %[[COL]] : i32 to index
// CHECK: %[[KROW:.+]] = arith.muli %[[JI]], %{{.+}} : index
// CHECK: %[[KB:.+]] = tensor.extract_slice %[[KM]][%[[B]], %[[KROW]], 0] [1, 32, 16] [1, 1, 1] : tensor<6x128x16xf32> to tensor<32x16xf32>
// CHECK: %[[VB:.+]] = tensor.extract_slice %[[VM]][%[[B]], %[[KROW]], 0] [1, 32, 8] [1, 1, 1] : tensor<6x128x8xf32> to tensor<32x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[QB]], %[[KB]] : tensor<32x16xf32>, tensor<32x16xf32>) outs(%{{.+}} : tensor<32x32xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[VB]] : tensor<32x32xf32>, tensor<32x8xf32>) outs(%{{.+}} : tensor<32x8xf32>)
// CHECK: scf.yield
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[ACC]][%[[B]], %[[ROW]], 0] [1, 32, 8] [1, 1, 1] : tensor<32x8xf32> into tensor<6x128x8xf32>
// CHECK: tensor.expand_shape %[[OUT]] {{\[}}[0, 1], [2], [3]] output_shape [2, 3, 128, 8] : tensor<6x128x8xf32> into tensor<2x3x128x8xf32>
// CHECK-NOT: effattn.mra_attention
func.func @mra_full(%q: tensor<2x3x128x16xf32>, %k: tensor<2x3x128x16xf32>, %v: tensor<2x3x128x8xf32>, %m: tensor<2x3x128xi1>, %o: tensor<2x3x128x8xf32>) -> tensor<2x3x128x8xf32> {
  %r = effattn.mra_attention {block_size = 32, blocks_per_row = 2} ins(%q, %k, %v : tensor<2x3x128x16xf32>, tensor<2x3x128x16xf32>, tensor<2x3x128x8xf32>) mask(%m : tensor<2x3x128xi1>) outs(%o : tensor<2x3x128x8xf32>) -> tensor<2x3x128x8xf32>
  return %r : tensor<2x3x128x8xf32>
}

// -----

/// "sparse" mode keeps no selection grid and no low-resolution GEMM; an
/// unbatched op gets a unit batch dimension; a dynamic head dimension gets a
/// run-time 1/sqrt(D).

// CHECK-LABEL: func.func @mra_sparse_unbatched
// CHECK: tensor.expand_shape %{{.+}} {{\[}}[0, 1], [2]] output_shape [1, 64, %{{.+}}] : tensor<64x?xf16> into tensor<1x64x?xf16>
// CHECK: math.rsqrt
// CHECK: scf.forall (%{{.+}}, %{{.+}}) in (1, 4) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<1x4x4xi32>, tensor<1x4x1xi32>)
// CHECK-NOT: tensor<1x4x4xi1>
// CHECK: scf.forall (%{{.+}}, %{{.+}}) in (1, 4) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x64x8xf32>)
// CHECK: tensor.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : tensor<1x64x8xf32> into tensor<64x8xf32>
// CHECK: arith.truncf
func.func @mra_sparse_unbatched(%q: tensor<64x?xf16>, %k: tensor<64x?xf16>, %v: tensor<64x8xf16>, %o: tensor<64x8xf16>) -> tensor<64x8xf16> {
  %r = effattn.mra_attention {block_size = 16, num_blocks = 6, mode = "sparse"} ins(%q, %k, %v : tensor<64x?xf16>, tensor<64x?xf16>, tensor<64x8xf16>) outs(%o : tensor<64x8xf16>) -> tensor<64x8xf16>
  return %r : tensor<64x8xf16>
}

// -----

/// For a GPU target the high-resolution forall also runs over the query rows
/// of each block row: a task per query row, whose softmax state ([1] and
/// [1, E]) and scores ([1, bs]) stay small (a GPU thread's registers), and 16
/// times as many tasks. The block selection stays one task per block row.
// CHECK-LABEL: func.func @mra_gpu
// CHECK: scf.forall (%{{.+}}, %{{.+}}) in (1, 4) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<1x4x4xi32>, tensor<1x4x1xi32>)
// CHECK: scf.forall (%[[B:.+]], %[[I:.+]], %[[R:.+]]) in (1, 4, 16) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x64x8xf32>)
// CHECK: %[[FIRST:.+]] = arith.muli %[[I]], %{{.+}} : index
// CHECK: %[[OFFSET:.+]] = arith.muli %[[R]], %{{.+}} : index
// CHECK: %[[ROW:.+]] = arith.addi %[[FIRST]], %[[OFFSET]] : index
// CHECK: %[[QROW:.+]] = tensor.extract_slice %{{.+}}[%[[B]], %[[ROW]], 0] [1, 1, 16] [1, 1, 1] : tensor<1x64x16xf32> to tensor<1x16xf32>
// CHECK: scf.for {{.+}} -> (tensor<1xf32>, tensor<1xf32>, tensor<1x8xf32>)
// CHECK: %[[KB:.+]] = tensor.extract_slice %{{.+}}[%[[B]], %{{.+}}, 0] [1, 16, 16] [1, 1, 1] : tensor<1x64x16xf32> to tensor<16x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[QROW]], %[[KB]] : tensor<1x16xf32>, tensor<16x16xf32>) outs(%{{.+}} : tensor<1x16xf32>)
// CHECK: tensor.parallel_insert_slice %{{.+}} into %{{.+}}[%[[B]], %[[ROW]], 0] [1, 1, 8] [1, 1, 1] : tensor<1x8xf32> into tensor<1x64x8xf32>
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @mra_gpu(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>) -> tensor<64x8xf32> {
  %o = tensor.empty() : tensor<64x8xf32>
  %r = effattn.mra_attention {block_size = 16, blocks_per_row = 2, mode = "sparse"} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}
}
