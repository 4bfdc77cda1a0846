// RUN: effattn-opt %s --effattn-convert-to-gpu | FileCheck %s --check-prefixes=CHECK,W16
// RUN: effattn-opt %s --effattn-convert-to-gpu=attention-warp-rows=32 | FileCheck %s --check-prefixes=CHECK,W32

/// The tensor-core attention kernel (f16, D = E = 128 on sm_90, N known at
/// run time): 4 warps, K and V tiles of 32 keys in two stages of dynamic
/// shared memory, rows padded to 136 halves. With 16 query rows per warp (the default) a block
/// takes 64 rows and each warp keeps its Q fragments in registers; with 32
/// (two m16 tiles per warp, sharing each K and V fragment) a block takes 128
/// rows, and the block's queries (128 × 136 halves) are staged in the same
/// shared memory by the first group of cp.async copies and reloaded per
/// k-step with ldmatrix.

// CHECK-LABEL: func.func @half(
// W16-DAG:     %[[ROWS:.+]] = arith.constant 64 : index
// W32-DAG:     %[[ROWS:.+]] = arith.constant 128 : index
// W16-DAG:     %[[SMEM:.+]] = arith.constant 34944 : i32
// W32-DAG:     %[[SMEM:.+]] = arith.constant 69760 : i32
// CHECK:       %[[TILES:.+]] = arith.ceildivui %{{.+}}, %[[ROWS]] : index
// CHECK:       gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128, {{.*}}) dynamic_shared_memory_size %[[SMEM]]
// CHECK:         %[[BASE:.+]] = gpu.dynamic_shared_memory
// W32:           %[[QT:.+]] = memref.view %[[BASE]][%c0][] {{.*}} to memref<128x136xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[KT:.+]] = memref.view %[[BASE]]{{.*}} to memref<2x32x136xf16, #gpu.address_space<workgroup>>
// CHECK:         %[[VT:.+]] = memref.view %[[BASE]]{{.*}} to memref<2x32x136xf16, #gpu.address_space<workgroup>>
// W16-NOT:       memref.view
// W32-COUNT-16:  nvgpu.device_async_copy {{.*}}, %[[QT]][
// CHECK:         nvgpu.device_async_create_group
// CHECK:         scf.for
// W32:             nvgpu.ldmatrix %[[QT]]
// CHECK:           nvgpu.ldmatrix %[[KT]]
// CHECK:           nvgpu.mma.sync
// CHECK:           nvgpu.ldmatrix %[[VT]]{{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:           gpu.barrier
// CHECK:           scf.yield
func.func @half(%q: tensor<2x?x128xf16>, %k: tensor<2x130x128xf16>, %v: tensor<2x130x128xf16>, %o: tensor<2x?x128xf16>) -> tensor<2x?x128xf16> {
  %r = effattn.attention ins(%q, %k, %v : tensor<2x?x128xf16>, tensor<2x130x128xf16>, tensor<2x130x128xf16>) outs(%o : tensor<2x?x128xf16>) -> tensor<2x?x128xf16>
  return %r : tensor<2x?x128xf16>
}

/// Causal attention without a mask: every row sees key 0, so the keys past
/// the block's last window (its first row + the query offset + its rows)
/// weigh exactly 0 and their tiles are not visited. Blocks take the row
/// tiles of a batch element in reverse order: the longest first. Without a
/// mask, a tile replaces hidden scores only where it needs to.

// CHECK-LABEL: func.func @half_causal(
// CHECK-SAME:  %[[OFFSET:[a-zA-Z0-9_]+]]: index
// W16-DAG:     %[[BLOCK_ROWS:.+]] = arith.constant 64 : index
// W32-DAG:     %[[BLOCK_ROWS:.+]] = arith.constant 128 : index
// CHECK:       %[[ROW_TILES:.+]] = arith.ceildivui %{{.+}}, %[[BLOCK_ROWS]] : index
// CHECK:       gpu.launch
// CHECK:         %[[ROW_TILE_IN_ORDER:.+]] = arith.remui %{{.+}}, %[[ROW_TILES]] : index
// CHECK:         %[[LAST_ROW_TILE:.+]] = arith.subi %[[ROW_TILES]], %c1 : index
// CHECK:         %[[ROW_TILE:.+]] = arith.subi %[[LAST_ROW_TILE]], %[[ROW_TILE_IN_ORDER]] : index
// CHECK:         %[[FIRST_ROW:.+]] = arith.muli %[[ROW_TILE]], %[[BLOCK_ROWS]] : index
// CHECK:         %[[FIRST:.+]] = arith.addi %[[FIRST_ROW]], %[[OFFSET]] : index
// CHECK:         %[[WINDOW_END:.+]] = arith.addi %[[FIRST]], %[[BLOCK_ROWS]] : index
// CHECK:         %[[END:.+]] = arith.minui %[[WINDOW_END]], %c130 : index
// CHECK:         %[[KEY_TILES:.+]] = arith.ceildivui %[[END]], %c32 : index
// CHECK:         scf.for %{{.+}} = %c0 to %[[KEY_TILES]] step %c1
//      Only the tiles the warp's window cuts, or past M = 130, replace
//      scores (a warp-uniform branch); the others take them as they are.
// CHECK:           %[[LAST_KEY:.+]] = arith.addi %{{.+}}, %c31 : index
// CHECK:           %[[WARP_LIMIT:.+]] = arith.addi %{{.+}}, %[[OFFSET]] : index
// CHECK:           %[[CUT:.+]] = arith.cmpi ugt, %[[LAST_KEY]], %[[WARP_LIMIT]] : index
// CHECK:           %[[PAST_M:.+]] = arith.cmpi uge, %[[LAST_KEY]], %c130 : index
// CHECK:           %[[NEEDS_MASKING:.+]] = arith.ori %[[CUT]], %[[PAST_M]] : i1
// W16:             %{{.+}}:16 = scf.if %[[NEEDS_MASKING]] -> (f32,
// W32:             %{{.+}}:32 = scf.if %[[NEEDS_MASKING]] -> (f32,
// CHECK:             arith.select
// CHECK:           } else {
// CHECK-NOT:         arith.select
// CHECK:           }
func.func @half_causal(%q: tensor<2x?x128xf16>, %k: tensor<2x130x128xf16>, %v: tensor<2x130x128xf16>, %offset: index, %o: tensor<2x?x128xf16>) -> tensor<2x?x128xf16> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x?x128xf16>, tensor<2x130x128xf16>, tensor<2x130x128xf16>) query_offset(%offset) outs(%o : tensor<2x?x128xf16>) -> tensor<2x?x128xf16>
  return %r : tensor<2x?x128xf16>
}
