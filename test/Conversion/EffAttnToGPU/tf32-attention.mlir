// RUN: effattn-opt %s --effattn-convert-to-gpu | FileCheck %s
// RUN: effattn-opt %s --effattn-convert-to-gpu="f32-contractions=fma" | FileCheck %s --check-prefix=FMA
// RUN: effattn-opt %s --effattn-convert-to-gpu="gpu=sm_80" | FileCheck %s --check-prefix=SM80

/// [Pattern: AttentionToGPU] IN: f32 effattn.attention, D = 64, E = 32
/// (multiples of 16). OUT: the tensor-core kernel with 3xTF32 products
/// (m16n8k8 tf32 mma.sync, three per fragment pair): the block's 64 queries
/// in dynamic shared memory (rows padded by 4 f32), two stages of K (padded
/// by 4) and V (padded by 8) tiles, the mask-free score fragments relaid
/// out into P's A fragments with idx shuffles from lanes 4g + t/2 and
/// 4g + 2 + t/2, and V's B fragments loaded one element per lane
/// (V[t (+ 4)][g]). With f32-contractions=fma: the SIMT kernel.

// CHECK-LABEL: func.func @f32_attention
// CHECK: gpu.launch blocks({{.+}}) in (%{{.+}} = %c4, %{{.+}} = %c1, %{{.+}} = %c1) threads({{.+}}) in (%{{.+}} = %c128, %{{.+}} = %c1, %{{.+}} = %c1) dynamic_shared_memory_size %c45184_i32
// CHECK: %[[Q:.+]] = memref.view %{{.+}}[%c0][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<64x68xf32, #gpu.address_space<workgroup>>
// CHECK: %[[K:.+]] = memref.view %{{.+}}[%c17408][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x32x68xf32, #gpu.address_space<workgroup>>
// CHECK: %[[V:.+]] = memref.view %{{.+}}[%c34816][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<2x32x40xf32, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy {{.+}} : memref<2x100x64xf32> to memref<64x68xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for
// CHECK: nvgpu.ldmatrix %[[Q]][{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<64x68xf32, #gpu.address_space<workgroup>> -> vector<4x1xf32>
// CHECK: nvgpu.ldmatrix %[[K]][{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<2x32x68xf32, #gpu.address_space<workgroup>> -> vector<4x1xf32>
// CHECK: arith.andi %{{.+}}, %{{.+}} : vector<4x1xi32>
// CHECK-COUNT-3: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 8], tf32Enabled} : (vector<4x1xf32>, vector<2x1xf32>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: math.exp2
// CHECK: %[[FIRST:.+]] = arith.index_cast %{{.+}} : index to i32
// CHECK: gpu.shuffle  idx %{{.+}}, %[[FIRST]], %c32_i32 : f32
// CHECK: memref.load %[[V]][{{.+}}] : memref<2x32x40xf32, #gpu.address_space<workgroup>>
// CHECK: memref.load %[[V]][{{.+}}] : memref<2x32x40xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-3: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK: gpu.barrier
// CHECK: vector.store %{{.+}} : memref<2x100x32xf32>, vector<2xf32>

// FMA-LABEL: func.func @f32_attention
// FMA-NOT: nvgpu.mma.sync
// FMA: gpu.shuffle  xor
// FMA-NOT: nvgpu.mma.sync
func.func @f32_attention(%q: tensor<2x100x64xf32>, %k: tensor<2x80x64xf32>, %v: tensor<2x80x32xf32>, %o: tensor<2x100x32xf32>) -> tensor<2x100x32xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<2x100x64xf32>, tensor<2x80x64xf32>, tensor<2x80x32xf32>) outs(%o : tensor<2x100x32xf32>) -> tensor<2x100x32xf32>
  return %r : tensor<2x100x32xf32>
}

/// D = E = 128 on sm_80: tiles of 32 keys would take 102,528 bytes, more
/// than the 83,968 that keep two blocks per SM, so the key tile halves to 16
/// keys (68,160 bytes) and stays on tensor cores. On sm_90 (116,736 bytes
/// per block) it keeps 32 keys.
// SM80-LABEL: func.func @wide_f32_attention
// SM80: gpu.launch {{.+}} dynamic_shared_memory_size %c68160_i32
// SM80: memref.view %{{.+}} to memref<2x16x132xf32, #gpu.address_space<workgroup>>
// SM80: memref.view %{{.+}} to memref<2x16x136xf32, #gpu.address_space<workgroup>>
// SM80: nvgpu.mma.sync({{.+}}) {mmaShape = [16, 8, 8], tf32Enabled}
// CHECK-LABEL: func.func @wide_f32_attention
// CHECK: gpu.launch {{.+}} dynamic_shared_memory_size %c102528_i32
// CHECK: memref.view %{{.+}} to memref<2x32x132xf32, #gpu.address_space<workgroup>>
func.func @wide_f32_attention(%q: tensor<2x100x128xf32>, %k: tensor<2x80x128xf32>, %v: tensor<2x80x128xf32>, %o: tensor<2x100x128xf32>) -> tensor<2x100x128xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<2x100x128xf32>, tensor<2x80x128xf32>, tensor<2x80x128xf32>) outs(%o : tensor<2x100x128xf32>) -> tensor<2x100x128xf32>
  return %r : tensor<2x100x128xf32>
}
