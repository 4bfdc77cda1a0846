// RUN: effattn-opt %s -split-input-file --effattn-convert-to-gpu="gpu=sm_90 f32-contractions=fma" | FileCheck %s

/// [Pattern: BlockSparseAttentionToGPU] IN: effattn.block_sparse_attention,
/// D = E = 64, blocks of 32. OUT: the SIMT flash kernel with one block of
/// threads per (batch element, block row) (4 · 16 = 64 blocks of 32 rows ×
/// 2 threads): a loop over the row's count of listed blocks, each key and
/// value block staged in shared memory at its listed column · 32; hidden
/// keys keep their scores and weigh 0; the low-resolution terms are merged
/// and hidden rows are 0.

// CHECK-LABEL: func.func @block_sparse
// CHECK-SAME: %[[SCALE:[a-zA-Z0-9_]+]]: f32
// CHECK-DAG: %[[COLUMNS:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<4x16x16xi32> to memref<4x16x16xi32>
// CHECK-DAG: %[[COUNTS:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<4x16xi32> to memref<4x16xi32>
// CHECK: gpu.launch blocks(%[[BLOCK:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c64, %{{.+}} = %c1, %{{.+}} = %c1) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c64, %{{.+}} = %c1, %{{.+}} = %c1)
// CHECK: %[[BATCH:.+]] = arith.divui %[[BLOCK]], %c16 : index
// CHECK: %[[ROWTILE:.+]] = arith.remui %[[BLOCK]], %c16 : index
// CHECK: vector.broadcast %[[SCALE]] : f32 to vector<4xf32>
// CHECK: %[[COUNT:.+]] = memref.load %[[COUNTS]][%[[BATCH]], %[[ROWTILE]]] : memref<4x16xi32>
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : i32 to index
// CHECK: %[[STATE:.+]]:10 = scf.for %[[T:.+]] = %c0 to %[[N]] step %c1
// CHECK: %[[COLUMN:.+]] = memref.load %[[COLUMNS]][%[[BATCH]], %[[ROWTILE]], %[[T]]] : memref<4x16x16xi32>
// CHECK: %[[J:.+]] = arith.index_cast %[[COLUMN]] : i32 to index
// CHECK: %[[FIRSTKEY:.+]] = arith.muli %[[J]], %c32 : index
// CHECK: gpu.barrier
// CHECK: arith.addi %[[FIRSTKEY]], %{{.+}} : index
// CHECK: gpu.barrier
// CHECK: gpu.shuffle xor
// CHECK: %[[VISIBLE:.+]] = arith.cmpf one, %{{.+}}, %{{.+}} : f32
// CHECK: %[[CORRECTION:.+]] = math.exp %{{.+}} : f32
// CHECK: %[[WEIGHT:.+]] = math.exp %{{.+}} : f32
// CHECK: arith.select %[[VISIBLE]], %[[WEIGHT]], %{{.+}} : f32
// CHECK: %[[LOMAX:.+]] = memref.load %{{.+}}[%[[BATCH]], %[[ROWTILE]]] : memref<4x16xf32>
// CHECK: arith.maximumf %[[STATE]]#0, %[[LOMAX]] : f32
// CHECK: arith.divf %{{.+}}, %{{.+}} : vector<4xf32>
// CHECK: arith.select %{{.+}}, %{{.+}}, %{{.+}} : vector<4xf32>
// CHECK: vector.store
// CHECK-NOT: effattn.block_sparse_attention
func.func @block_sparse(%q: tensor<4x512x64xf32>, %k: tensor<4x512x64xf32>, %v: tensor<4x512x64xf32>, %columns: tensor<4x16x16xi32>, %counts: tensor<4x16xi32>, %scale: f32, %m: tensor<4x512xi1>, %num: tensor<4x16x64xf32>, %den: tensor<4x16xf32>, %max: tensor<4x16xf32>) -> tensor<4x512x64xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) mask(%m : tensor<4x512xi1>) low_resolution(%num, %den, %max : tensor<4x16x64xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {block_size = 32} : tensor<4x512x64xf32>, tensor<4x512x64xf32>, tensor<4x512x64xf32>, tensor<4x16x16xi32>, tensor<4x16xi32> -> tensor<4x512x64xf32>
  return %r : tensor<4x512x64xf32>
}

// -----

/// Blocks of 8 keys are smaller than the kernel's chunk of 16 keys: the op
/// is decomposed instead (a task per query row, for effattn-gpu-map-linalg).

// CHECK-LABEL: func.func @small_blocks
// CHECK-NOT: gpu.launch
// CHECK: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}) in (2, 8, 8)
// CHECK-NOT: effattn.block_sparse_attention
func.func @small_blocks(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %columns: tensor<2x8x8xi32>, %counts: tensor<2x8xi32>, %scale: f32) -> tensor<2x64x8xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) {block_size = 8} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x8x8xi32>, tensor<2x8xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

/// f16 operands, blocks of 32, D = 64 and E = 32 (multiples of 16): the
/// tensor-core kernel, a warp per 16 query rows (64 threads per block row),
/// two stages of padded K and V tiles and the mask flags in dynamic shared
/// memory (2 · 32 · (72 + 40) · 2 + 32 · 4 = 14464 bytes). Tile t is the
/// t-th listed block (the slot clamped to the last one, 5; past the row's
/// count the prefetch reads the zeros from N = 512 on); the scores are
/// scaled by the run-time scale before the maximum; hidden keys weigh 0;
/// the f32 result merges the low-resolution terms.

// CHECK-LABEL: func.func @block_sparse_f16
// CHECK-SAME: %[[SCALE:[a-zA-Z0-9_]+]]: f32
// CHECK: %[[RESULT:.+]] = memref.alloc() : memref<4x512x32xf32>
// CHECK-DAG: %[[COLUMNS:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<4x16x6xi32> to memref<4x16x6xi32>
// CHECK-DAG: %[[COUNTS:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<4x16xi32> to memref<4x16xi32>
// CHECK: gpu.launch blocks(%[[BLOCK:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c64, %{{.+}} = %c1, %{{.+}} = %c1) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c64, %{{.+}} = %c1, %{{.+}} = %c1) dynamic_shared_memory_size %c14464_i32
// CHECK: %[[BATCH:.+]] = arith.divui %[[BLOCK]], %c16 : index
// CHECK: %[[ROWTILE:.+]] = arith.remui %[[BLOCK]], %c16 : index
// CHECK: %[[COUNT:.+]] = memref.load %[[COUNTS]][%[[BATCH]], %[[ROWTILE]]] : memref<4x16xi32>
// CHECK: %[[N:.+]] = arith.index_cast %[[COUNT]] : i32 to index
// CHECK: nvgpu.device_async_copy
// CHECK: %[[STATE:.+]]:8 = scf.for %[[T:.+]] = %c0 to %[[N]] step %c1
// CHECK: %[[SLOT:.+]] = arith.minui %[[T]], %c5 : index
// CHECK: %[[COLUMN:.+]] = memref.load %[[COLUMNS]][%[[BATCH]], %[[ROWTILE]], %[[SLOT]]] : memref<4x16x6xi32>
// CHECK: %[[J:.+]] = arith.index_cast %[[COLUMN]] : i32 to index
// CHECK: %[[LISTED:.+]] = arith.muli %[[J]], %c32 : index
// CHECK: %[[INLIST:.+]] = arith.cmpi ult, %[[T]], %[[N]] : index
// CHECK: arith.select %[[INLIST]], %[[LISTED]], %c512 : index
// CHECK: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_wait
// CHECK: nvgpu.mma.sync
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : f32
// CHECK: %[[VISIBLE:.+]] = arith.cmpf one, %{{.+}}, %{{.+}} : f32
// CHECK: %[[WEIGHT:.+]] = math.exp2 %{{.+}} : f32
// CHECK: arith.select %{{.+}}, %[[WEIGHT]], %{{.+}} : f32
// CHECK: nvgpu.mma.sync
// CHECK: %[[LOMAX:.+]] = memref.load %{{.+}}[%[[BATCH]], %[[ROWTILE]]] : memref<4x16xf32>
// CHECK: arith.maximumf %[[STATE]]#0, %[[LOMAX]] : f32
// CHECK: vector.load %{{.+}}[%[[BATCH]], %[[ROWTILE]], %{{.+}}] : memref<4x16x32xf32>, vector<2xf32>
// CHECK: vector.store %{{.+}}, %[[RESULT]][%[[BATCH]], %{{.+}}, %{{.+}}] : memref<4x512x32xf32>, vector<2xf32>
// CHECK-NOT: effattn.block_sparse_attention
func.func @block_sparse_f16(%q: tensor<4x512x64xf16>, %k: tensor<4x512x64xf16>, %v: tensor<4x512x32xf16>, %columns: tensor<4x16x6xi32>, %counts: tensor<4x16xi32>, %scale: f32, %m: tensor<4x512xi1>, %num: tensor<4x16x32xf32>, %den: tensor<4x16xf32>, %max: tensor<4x16xf32>) -> tensor<4x512x32xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) mask(%m : tensor<4x512xi1>) low_resolution(%num, %den, %max : tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {block_size = 32} : tensor<4x512x64xf16>, tensor<4x512x64xf16>, tensor<4x512x32xf16>, tensor<4x16x6xi32>, tensor<4x16xi32> -> tensor<4x512x32xf32>
  return %r : tensor<4x512x32xf32>
}
