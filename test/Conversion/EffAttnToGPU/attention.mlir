// RUN: effattn-opt %s --split-input-file --effattn-convert-to-gpu="f32-contractions=fma" | FileCheck %s

/// effattn.attention becomes one flash-attention gpu.launch on the operands'
/// buffers: blocks = batch · ceil(N / rows per block), K/V tiles in 16-byte
/// aligned workgroup globals, xor shuffles within a row's thread group, an
/// online softmax (math.exp, no N×M buffer) and a new result buffer.
/// D = E = 64 on sm_90: 2 threads per row (4-wide vectors), 128 rows and 256
/// threads per block, 64-key tiles (33 KiB of shared memory).

// CHECK-DAG: memref.global "private" @__effattn_key_tile : memref<64x64xf32, #gpu.address_space<workgroup>> = uninitialized {alignment = 16 : i64}
// CHECK-DAG: memref.global "private" @__effattn_value_tile : memref<64x64xf32, #gpu.address_space<workgroup>> = uninitialized {alignment = 16 : i64}
// CHECK-LABEL: func.func @attention(
// CHECK-SAME: %[[Q:.+]]: tensor<2x3x100x64xf32>, %[[K:.+]]: tensor<2x3x130x64xf32>, %[[V:.+]]: tensor<2x3x130x64xf32>
// CHECK-DAG:   %[[C6:.+]] = arith.constant 6 : index
// CHECK-DAG:   %[[C256:.+]] = arith.constant 256 : index
// CHECK:       %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK:       %[[Q3:.+]] = memref.collapse_shape %[[QB]] {{\[}}[0, 1], [2], [3]] : memref<2x3x100x64xf32> into memref<6x100x64xf32>
// CHECK:       %[[OUT:.+]] = memref.alloc() : memref<2x3x100x64xf32>
// CHECK-NOT:   memref.alloc
// CHECK:       gpu.launch blocks({{.*}}) in ({{.*}} = %[[C6]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C256]],
// CHECK-DAG:     memref.get_global @__effattn_key_tile
// CHECK-DAG:     memref.get_global @__effattn_value_tile
// CHECK:         scf.for
// CHECK:           gpu.barrier
// CHECK:           vector.store {{.*}} {alignment = 16 : i64} : memref<64x64xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK:             vector.fma
// CHECK:             gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK:             math.exp
// CHECK:         gpu.terminator
// CHECK:       %[[R:.+]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:       return %[[R]]
func.func @attention(%q: tensor<2x3x100x64xf32>, %k: tensor<2x3x130x64xf32>, %v: tensor<2x3x130x64xf32>) -> tensor<2x3x100x64xf32> {
  %o = tensor.empty() : tensor<2x3x100x64xf32>
  %r = effattn.attention ins(%q, %k, %v : tensor<2x3x100x64xf32>, tensor<2x3x130x64xf32>, tensor<2x3x130x64xf32>) outs(%o : tensor<2x3x100x64xf32>) -> tensor<2x3x100x64xf32>
  return %r : tensor<2x3x100x64xf32>
}

// -----

/// Tiles follow the target: with 40 KiB of shared memory per SM (20 KiB per
/// block at two blocks per SM) the key tile shrinks to 16 rows; D = E = 128
/// takes 4 threads per row, so 64 rows per block. Causal with a mask: a
/// first kernel finds the range of keys the mask shows per batch element (a
/// warp each, lanes striding over the keys, butterfly min and max); a block
/// visits the tiles from the one of the first shown key up to its last
/// window and the last shown key when the first shown key lies within its
/// first row's window (every row then sees a key), else all M keys.

// CHECK:     // -----
// CHECK-DAG: memref.global "private" @__effattn_key_tile : memref<16x128xf32, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @__effattn_mask_tile : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @small_shared_memory(
// CHECK-SAME:  %{{[a-zA-Z0-9_]+}}: tensor<?x?x128xf16>, %[[K:[a-zA-Z0-9_]+]]: tensor<?x?x128xf16>
// CHECK:       %[[KB:.+]] = bufferization.to_buffer %[[K]]
// CHECK:       %[[N:.+]] = tensor.dim
// CHECK:       %[[M:.+]] = memref.dim %[[KB]], %c1 : memref<?x?x128xf16>
// CHECK:       %[[BATCHES:.+]] = memref.dim %{{.+}}, %c0 : memref<?x?x128xf16>
// CHECK:       %[[TILES:.+]] = arith.ceildivui %{{.+}}, %c64 : index
// CHECK:       %[[RANGE:.+]] = memref.alloc(%[[BATCHES]]) : memref<?x2xindex>
// CHECK:       gpu.launch blocks(%[[ELEMENT:.+]], %{{.+}}, %{{.+}}) in ({{.*}} = %[[BATCHES]], {{.*}}) threads(%[[LANE:.+]], %{{.+}}, %{{.+}}) in ({{.*}} = %c32,
// CHECK:         %[[SCAN:.+]]:2 = scf.for %[[J:.+]] = %[[LANE]] to %[[M]] step %c32 iter_args(%[[FIRST:.+]] = %[[M]], %[[END_SHOWN:.+]] = %c0) -> (index, index)
// CHECK:           %[[FLAG:.+]] = memref.load %{{.+}}[%[[ELEMENT]], %[[J]]] : memref<?x?xi1>
// CHECK:           %[[MIN:.+]] = arith.minui %[[FIRST]], %[[J]] : index
// CHECK:           arith.select %[[FLAG]], %[[MIN]], %[[FIRST]] : index
// CHECK-COUNT-10:  gpu.shuffle  xor %{{.+}} : i32
// CHECK-NOT:       gpu.shuffle
// CHECK:         memref.store %{{.+}}, %[[RANGE]][%[[ELEMENT]], %c0] : memref<?x2xindex>
// CHECK:         memref.store %{{.+}}, %[[RANGE]][%[[ELEMENT]], %c1] : memref<?x2xindex>
// CHECK:       gpu.launch
// CHECK:         %[[BATCH:.+]] = arith.divui %{{.+}}, %[[TILES]] : index
// CHECK:         %[[WINDOW_END:.+]] = arith.addi %[[FIRST_POSITION:[0-9]+]], %c64 : index
// CHECK:         %[[END:.+]] = arith.minui %[[M]], %[[WINDOW_END]] : index
// CHECK:         %[[FIRST_SHOWN:.+]] = memref.load %[[RANGE]][%[[BATCH]], %c0] : memref<?x2xindex>
// CHECK:         %[[LAST_SHOWN:.+]] = memref.load %[[RANGE]][%[[BATCH]], %c1] : memref<?x2xindex>
// CHECK:         %[[ANY_SHOWN:.+]] = arith.cmpi ne, %[[LAST_SHOWN]], %c0 : index
// CHECK:         %[[IN_WINDOW:.+]] = arith.cmpi ule, %[[FIRST_SHOWN]], %[[FIRST_POSITION]] : index
// CHECK:         %[[EVERY_ROW_SEES:.+]] = arith.andi %[[ANY_SHOWN]], %[[IN_WINDOW]] : i1
// CHECK:         %[[BEGIN:.+]] = arith.select %[[EVERY_ROW_SEES]], %[[FIRST_SHOWN]], %c0 : index
// CHECK:         %[[BOUND:.+]] = arith.minui %[[END]], %[[LAST_SHOWN]] : index
// CHECK:         %[[KEYS:.+]] = arith.select %[[EVERY_ROW_SEES]], %[[BOUND]], %[[M]] : index
// CHECK:         %[[BEGIN_TILE:.+]] = arith.divui %[[BEGIN]], %c16 : index
// CHECK:         %[[FIRST_KEY:.+]] = arith.muli %[[BEGIN_TILE]], %c16 : index
// CHECK:         scf.for %{{.+}} = %[[FIRST_KEY]] to %[[KEYS]] step %c16
// CHECK:         memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<?x?xi1>
module attributes {effattn.target = #effattn.gpu<chip = "sm_80", features = "+ptx70", sm_count = 8, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 20480, shared_memory_per_sm = 40960, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @small_shared_memory(%q: tensor<?x?x128xf16>, %k: tensor<?x?x128xf16>, %v: tensor<?x?x128xf16>, %m: tensor<?x?xi1>, %o: tensor<?x?x128xf16>) -> tensor<?x?x128xf16> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<?x?x128xf16>, tensor<?x?x128xf16>, tensor<?x?x128xf16>) mask(%m : tensor<?x?xi1>) outs(%o : tensor<?x?x128xf16>) -> tensor<?x?x128xf16>
  return %r : tensor<?x?x128xf16>
}
}
