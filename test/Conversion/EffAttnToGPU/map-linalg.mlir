// RUN: effattn-opt %s -split-input-file --effattn-gpu-map-linalg --canonicalize --cse | FileCheck %s
// RUN: effattn-opt %s -split-input-file --effattn-gpu-map-linalg=threads-per-block=64 --canonicalize --cse | FileCheck %s --check-prefix=T64

/// [Pass: effattn-gpu-map-linalg] IN: linalg ops on buffers in host code.
/// OUT: one gpu.launch each, one thread per element of the parallel loops
/// (linearized, in blocks of 256 threads, the tail guarded) and the
/// reductions in order inside each thread, in registers.

// CHECK-LABEL: func.func @reduction_in_the_middle
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<4x10x6xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<4x6xf32>
/// 24 outputs: one block of 256 threads (64 with threads-per-block=64).
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C6:.+]] = arith.constant 6 : index
// CHECK-DAG: %[[C24:.+]] = arith.constant 24 : index
// CHECK-DAG: %[[C256:.+]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C1]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]]) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C256]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]])
// CHECK: %[[IN:.+]] = arith.cmpi ult, %[[TX]], %[[C24]] : index
// CHECK: scf.if %[[IN]] {
/// The parallel loops (i, k) first, then the reduction j, accumulated in a
/// register: the output element is read once and written once.
// CHECK: %[[K:.+]] = arith.remsi %[[TX]], %[[C6]] : index
// CHECK: %[[I:.+]] = arith.divsi %[[TX]], %[[C6]] : index
// CHECK: %[[INIT:.+]] = memref.load %[[O]][%[[I]], %[[K]]]
// CHECK: %[[SUM:.+]] = scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32) {
// CHECK: %[[X:.+]] = memref.load %[[A]][%[[I]], %[[J]], %[[K]]]
// CHECK: %[[NEXT:.+]] = arith.addf %[[X]], %[[ACC]] : f32
// CHECK: scf.yield %[[NEXT]] : f32
// CHECK: memref.store %[[SUM]], %[[O]][%[[I]], %[[K]]]
// CHECK: gpu.terminator
// T64-LABEL: func.func @reduction_in_the_middle
// T64: %[[C64:.+]] = arith.constant 64 : index
// T64: gpu.launch {{.*}} threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C64]],
func.func @reduction_in_the_middle(%a: memref<4x10x6xf32>, %o: memref<4x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// Dynamic sizes: the grid is ceil(N·M / 256) blocks, computed on the host.
// CHECK-LABEL: func.func @dynamic
// CHECK: %[[N:.+]] = memref.dim
// CHECK: %[[M:.+]] = memref.dim
// CHECK: %[[TOTAL:.+]] = arith.muli %[[N]], %[[M]] : index
// CHECK: %[[GRID:.+]] = affine.apply #{{.+}}()[%[[TOTAL]]]
// CHECK: gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[GRID]], {{.*}} threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in
// CHECK: %[[BASE:.+]] = affine.apply #{{.+}}()[%[[BX]]]
// CHECK: %[[ID:.+]] = arith.addi %[[TX]], %[[BASE]] : index
// CHECK: arith.cmpi ult, %[[ID]], %[[TOTAL]] : index
// CHECK: arith.remsi %[[ID]], %[[M]] : index
// CHECK: math.exp
func.func @dynamic(%a: memref<?x?xf32>, %o: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<?x?xf32>) outs(%o : memref<?x?xf32>) {
  ^bb0(%x: f32, %y: f32):
    %e = math.exp %x : f32
    linalg.yield %e : f32
  }
  return
}

// -----

/// No parallel loop: a kernel of one thread running the whole op (lowered
/// to loops inside it later).
// CHECK-LABEL: func.func @full_reduction
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C1]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]]) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C1]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]])
// CHECK-NEXT: linalg.generic
// CHECK: gpu.terminator
func.func @full_reduction(%a: memref<8x8xf32>, %o: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%a : memref<8x8xf32>) outs(%o : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %m = arith.maximumf %x, %acc : f32
    linalg.yield %m : f32
  }
  return
}

// -----

/// A copy out of a strided view is a kernel; a contiguous copy stays a copy
/// (gpu.memcpy after effattn-gpu-device-buffers).
// CHECK-LABEL: func.func @copies
// CHECK: gpu.launch
// CHECK: memref.load %{{.+}} : memref<4x4xf32, strided<[8, 1]>>
// CHECK: gpu.terminator
// CHECK: memref.copy %{{.+}}, %{{.+}} : memref<4x4xf32> to memref<4x4xf32>
func.func @copies(%a: memref<4x8xf32>, %o: memref<4x4xf32>, %p: memref<4x4xf32>) {
  %s = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  memref.copy %s, %o : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  memref.copy %o, %p : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

/// A parallel loop over buffers (a decomposition's per-row kernel): one
/// thread per iteration, the body's sequential loop inside.
// CHECK-LABEL: func.func @forall
// CHECK-NOT: scf.forall
// CHECK: gpu.launch
// CHECK: scf.if
// CHECK: scf.for
// CHECK: gpu.terminator
func.func @forall(%a: memref<300x16xf32>, %o: memref<300xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  scf.forall (%i) in (300) {
    %s = scf.for %j = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> f32 {
      %x = memref.load %a[%i, %j] : memref<300x16xf32>
      %y = arith.addf %acc, %x : f32
      scf.yield %y : f32
    }
    memref.store %s, %o[%i] : memref<300xf32>
  }
  return
}

// -----

/// linalg.index in the body is the loop index; an output indexed by a
/// reduction loop (not one thread per element) runs in one thread.
// CHECK-LABEL: func.func @index_and_odd_output
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: gpu.launch
// CHECK: %[[ROW:.+]] = arith.divsi
// CHECK: %[[CAST:.+]] = arith.index_cast %[[ROW]] : index to i64
// CHECK: arith.sitofp %[[CAST]]
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C1]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]]) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C1]],
// CHECK-NEXT: linalg.generic
func.func @index_and_odd_output(%o: memref<5x7xf32>, %a: memref<5x7xf32>, %p: memref<7x7xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%o : memref<5x7xf32>) {
  ^bb0(%x: f32):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i64
    %f = arith.sitofp %c : i64 to f32
    linalg.yield %f : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, j)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<5x7xf32>) outs(%p : memref<7x7xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// A sequential scan on buffers (IM-Unpack's row offsets) and the store
/// after it run in one kernel of one thread; the size the scan yields goes
/// through a 0-d device buffer, is copied to the host and sizes the next
/// allocation. What only the kernel uses (%last) stays in it.
// CHECK-LABEL: func.func @serial_scan
// CHECK: %[[HOST:.+]] = memref.alloca() : memref<index>
// CHECK: %[[CELL:.+]] = memref.alloc() : memref<index>
// CHECK: gpu.launch
// CHECK: %[[TOTAL:.+]] = scf.for
// CHECK: memref.store %{{.+}}, %[[OFFSETS:.+]][%{{.+}}] : memref<8xindex>
// CHECK: %[[LAST:.+]] = arith.addi %[[TOTAL]], %{{.+}} : index
// CHECK-NEXT: memref.store %[[LAST]], %{{.+}}[] : memref<index>
// CHECK-NEXT: memref.store %[[TOTAL]], %[[CELL]][] : memref<index>
// CHECK-NEXT: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: memref.copy %[[CELL]], %[[HOST]] : memref<index> to memref<index>
// CHECK: %[[SIZE:.+]] = memref.load %[[HOST]][] : memref<index>
// CHECK: memref.alloc(%[[SIZE]]) : memref<?xi64>
func.func @serial_scan(%counts: memref<8xi64>, %offsets: memref<8xindex>, %tail: memref<index>) -> memref<?xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %total = scf.for %r = %c0 to %c8 step %c1 iter_args(%acc = %c0) -> index {
    %count = memref.load %counts[%r] : memref<8xi64>
    %n = arith.index_cast %count : i64 to index
    memref.store %acc, %offsets[%r] : memref<8xindex>
    %next = arith.addi %acc, %n : index
    scf.yield %next : index
  }
  %minus = arith.constant -1 : index
  %last = arith.addi %total, %minus : index
  memref.store %last, %tail[] : memref<index>
  %rows = memref.alloc(%total) : memref<?xi64>
  return %rows : memref<?xi64>
}

// -----

/// Host loops read their bounds from device memory: a small static buffer
/// that no kernel of the loop writes is copied to the host once, before the
/// loop; an element of a run-time-sized buffer is read by a kernel of one
/// thread, at the read.
// CHECK-LABEL: func.func @bounds_read_once
// CHECK-SAME: %[[STARTS:[^:]+]]: memref<9xindex>
// CHECK-SAME: %[[SIZES:[^:]+]]: memref<?xindex>
// CHECK-DAG: %[[COPY:.+]] = memref.alloca() : memref<9xindex>
// CHECK-DAG: %[[ONE:.+]] = memref.alloca() : memref<index>
// CHECK: memref.copy %[[STARTS]], %[[COPY]] : memref<9xindex> to memref<9xindex>
// CHECK-NEXT: scf.for %[[G:.+]] =
// CHECK: %[[FROM:.+]] = memref.load %[[COPY]][%[[G]]]
// CHECK: %[[TO:.+]] = memref.load %[[COPY]][%{{.+}}]
// CHECK: gpu.launch
// CHECK: memref.load %[[SIZES]][%[[G]]] : memref<?xindex>
// CHECK: gpu.terminator
// CHECK: memref.copy %{{.+}}, %[[ONE]] : memref<index> to memref<index>
// CHECK: %[[STEP:.+]] = memref.load %[[ONE]][] : memref<index>
// CHECK: scf.for %{{.+}} = %[[FROM]] to %[[TO]] step %[[STEP]]
// CHECK: gpu.launch
// CHECK: linalg.generic
func.func @bounds_read_once(%starts: memref<9xindex>, %sizes: memref<?xindex>, %o: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %g = %c0 to %c8 step %c1 {
    %from = memref.load %starts[%g] : memref<9xindex>
    %next = arith.addi %g, %c1 : index
    %to = memref.load %starts[%next] : memref<9xindex>
    %step = memref.load %sizes[%g] : memref<?xindex>
    scf.for %k = %from to %to step %step {
      linalg.generic {indexing_maps = [affine_map<() -> ()>], iterator_types = []} outs(%o : memref<f32>) {
      ^bb0(%acc: f32):
        %one = arith.constant 1.0 : f32
        %s = arith.addf %acc, %one : f32
        linalg.yield %s : f32
      }
    }
  }
  return
}

// -----

/// A contraction (here batched A·Bᵀ) is a blocked GEMM: a block of 16 × 16
/// threads per 64 × 64 tile of C and batch element (3 · 2 · 1 blocks, all in
/// gridDim.x, whose limit is 2^31 - 1 rather than 65535), the slices of A
/// and B staged in two stages of shared memory: the first before the loop
/// over K, then per step of 16 the next slices loaded into registers
/// (unless it is the last step), stage s multiplied, the registers stored
/// into stage 1 - s, one barrier. 4 × 4 outputs per thread in registers: per
/// k of the slice (unrolled) one vector of 4 elements of A and one of B
/// from shared memory and the body applied 16 times; stored where they
/// exist.
// CHECK-LABEL: func.func @batched_matmul
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C6:.+]] = arith.constant 6 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C33:.+]] = arith.constant 33 : index
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C6]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]]) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C16]], %{{.+}} = %[[C16]], %{{.+}} = %[[C1]])
// CHECK: %[[LHS:.+]] = memref.get_global @__effattn_lhs_tile : memref<2x16x64xf32, #gpu.address_space<workgroup>>
// CHECK: %[[RHS:.+]] = memref.get_global @__effattn_rhs_tile : memref<2x16x64xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-4: memref.store %{{.+}}, %[[LHS]][%[[C0:.+]], %{{.+}}, %{{.+}}]
// CHECK-COUNT-4: memref.store %{{.+}}, %[[RHS]][%[[C0]], %{{.+}}, %{{.+}}]
// CHECK-NEXT: gpu.barrier
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %[[C33]] step %[[C16]] iter_args({{.+}}, %[[STAGE:.+]] = %[[C0]]) -> ({{.+}}, index)
// CHECK: %[[NEXT:.+]] = arith.addi %[[K]], %[[C16]] : index
// CHECK: %[[HAS_NEXT:.+]] = arith.cmpi ult, %[[NEXT]], %[[C33]] : index
// CHECK: %[[PREFETCHED:.+]]:8 = scf.if %[[HAS_NEXT]] -> (f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: %[[ROW_A:.+]] = vector.load %[[LHS]][%[[STAGE]], %[[C0]], %[[FIRST_ROW:.+]]] {alignment = 16 : i64} : memref<2x16x64xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: %[[A0:.+]] = vector.extract %[[ROW_A]][0] : f32 from vector<4xf32>
// CHECK: %[[ROW_B:.+]] = vector.load %[[RHS]][%[[STAGE]], %[[C0]], %[[FIRST_COLUMN:.+]]] {alignment = 16 : i64}
// CHECK: %[[B0:.+]] = vector.extract %[[ROW_B]][0] : f32 from vector<4xf32>
// CHECK: arith.mulf %[[A0]], %[[B0]] fastmath<contract> : f32
// CHECK-COUNT-15: arith.mulf
// CHECK: vector.load %[[LHS]][%[[STAGE]], %[[C1]], %[[FIRST_ROW]]]
// CHECK-COUNT-16: arith.mulf
// CHECK: vector.load %[[LHS]][%[[STAGE]], %c15, %[[FIRST_ROW]]]
// CHECK-COUNT-16: arith.mulf
// CHECK-NOT: arith.mulf
// CHECK: %[[OTHER:.+]] = arith.subi %[[C1]], %[[STAGE]] : index
// CHECK: scf.if %[[HAS_NEXT]] {
// CHECK-NEXT: memref.store %[[PREFETCHED]]#0, %[[LHS]][%[[OTHER]], %{{.+}}, %{{.+}}]
// CHECK: memref.store %[[PREFETCHED]]#7, %[[RHS]][%[[OTHER]], %{{.+}}, %{{.+}}]
// CHECK: }
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: scf.yield {{.+}}, %[[OTHER]] : {{.+}}, index
// CHECK-COUNT-16: memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}] : memref<3x70x50xf32>
func.func @batched_matmul(%a: memref<3x70x33xf32>, %b: memref<3x50x33xf32>, %c: memref<3x70x50xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, i, j, k) -> (b, i, k)>, affine_map<(b, i, j, k) -> (b, j, k)>, affine_map<(b, i, j, k) -> (b, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : memref<3x70x33xf32>, memref<3x50x33xf32>) outs(%c : memref<3x70x50xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// A contraction with fewer than 16 rows keeps one thread per output.
// CHECK-LABEL: func.func @thin_matmul
// CHECK-NOT: gpu.barrier
// CHECK-NOT: workgroup
func.func @thin_matmul(%a: memref<8x33xf32>, %b: memref<33x50xf32>, %c: memref<8x50xf32>) {
  linalg.matmul ins(%a, %b : memref<8x33xf32>, memref<33x50xf32>) outs(%c : memref<8x50xf32>)
  return
}

// -----

/// A target whose blocks cannot hold the kernel's 256 threads keeps one
/// thread per output (here in blocks of 128, the target's limit).
// CHECK-LABEL: func.func @small_blocks
// CHECK-NOT: gpu.barrier
// CHECK-NOT: workgroup
// T64-LABEL: func.func @small_blocks
// T64-NOT: gpu.barrier
module attributes {effattn.target = #effattn.gpu<chip = "sm_80", features = "+ptx70", sm_count = 108, warp_size = 32, max_threads_per_block = 128, shared_memory_per_block = 49152, shared_memory_per_sm = 167936, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @small_blocks(%a: memref<70x33xf32>, %b: memref<33x50xf32>, %c: memref<70x50xf32>) {
  linalg.matmul ins(%a, %b : memref<70x33xf32>, memref<33x50xf32>) outs(%c : memref<70x50xf32>)
  return
}
}

// -----

/// With a target that has tensor cores (here without tf32 ones: f32
/// contractions stay SIMT), a contraction of f16 operands into f32 runs on
/// mma.sync m16n8k16: 4 warps per 64 × 64 tile of C, two stages
/// of slices stored [64][32 + 8] (contiguous along K, padded; A, contiguous
/// along K too, in 16-byte vectors: loaded as such where the slice is inside
/// A and aligned, else element by element; B element by element), an A
/// fragment or the B fragments of two n8 tiles per ldmatrix.x4, 2 × 4
/// fragments per warp and two mma steps of 16 per slice of 32. The sums
/// start from zero and are added to C after the loop over K.
// CHECK: // -----
// T64: // -----
// CHECK-LABEL: func.func @half_matmul
// CHECK-SAME: %{{.+}}: memref<70x40xf16>, %{{.+}}: memref<40x50xf16>, %[[C:[a-zA-Z0-9_]+]]: memref<70x50xf32>
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG: %[[C40:.+]] = arith.constant 40 : index
// CHECK-DAG: %[[C128:.+]] = arith.constant 128 : index
// CHECK: gpu.launch {{.+}} threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C128]], %{{.+}} = %[[C1]], %{{.+}} = %[[C1]])
// CHECK: %[[LHS:.+]] = memref.get_global @__effattn_lhs_tile : memref<2x64x40xf16, #gpu.address_space<workgroup>>
// CHECK: %[[RHS:.+]] = memref.get_global @__effattn_rhs_tile : memref<2x64x40xf16, #gpu.address_space<workgroup>>
// CHECK: %[[FIRST:.+]]:2 = scf.if %{{.+}} -> (vector<8xf16>, vector<8xf16>)
// CHECK-COUNT-2: vector.load %{{.+}} {alignment = 16 : i64} : memref<70x40xf16>, vector<8xf16>
// CHECK: vector.store %[[FIRST]]#0, %[[LHS]][%[[C0:.+]], %{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<2x64x40xf16, #gpu.address_space<workgroup>>, vector<8xf16>
// CHECK: vector.store %[[FIRST]]#1, %[[LHS]][%[[C0]], %{{.+}}, %{{.+}}]
// CHECK-COUNT-16: memref.store %{{.+}}, %[[RHS]][%[[C0]], %{{.+}}, %{{.+}}]
// CHECK-NEXT: gpu.barrier
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[C40]] step %[[C32]] iter_args({{.+}}, %[[STAGE:.+]] = %[[C0]]) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, index)
// CHECK: scf.if %{{.+}} -> (vector<8xf16>, vector<8xf16>, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16, f16)
// CHECK-COUNT-2: nvgpu.ldmatrix %[[LHS]][%[[STAGE]], %{{.+}}, %{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<2x64x40xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK-COUNT-2: nvgpu.ldmatrix %[[RHS]][%[[STAGE]], %{{.+}}, %{{.+}}] {numTiles = 4 : i32, transpose = false}
// CHECK-COUNT-8: nvgpu.mma.sync(%{{.+}}, %{{.+}}, %{{.+}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-COUNT-8: nvgpu.mma.sync
// CHECK: scf.if
// CHECK-COUNT-2: vector.store %{{.+}}, %[[LHS]]
// CHECK-COUNT-16: memref.store %{{.+}}, %[[RHS]]
// CHECK: gpu.barrier
// CHECK-NEXT: scf.yield
// CHECK: %[[OLD:.+]] = memref.load %[[C]]
// CHECK-NEXT: %[[NEW:.+]] = arith.addf %[[OLD]], %{{.+}} : f32
// CHECK-NEXT: memref.store %[[NEW]], %[[C]]
// CHECK-COUNT-31: memref.store %{{.+}}, %[[C]]
// CHECK-NOT: memref.store

/// i8 operands into i32 run on mma.sync m16n8k32 (one mma step per slice;
/// the slices [64][32 + 16]). nvgpu's i8 mma.sync saturates where linalg
/// wraps, so the sums start from zero per chunk of 2^16 along K (|sum| <
/// 2^31: never saturated) and are added to C after each chunk, wrapping.
// CHECK-LABEL: func.func @int8_matmul
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<70x?xi8, {{.+}}>, %{{.+}}: memref<50x?xi8, {{.+}}>, %[[C:[a-zA-Z0-9_]+]]: memref<70x50xi32>
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<0> : vector<2x2xi32>
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG: %[[CHUNK:.+]] = arith.constant 65536 : index
// CHECK-DAG: %[[K:.+]] = memref.dim %[[A]], %{{.+}}
// CHECK: gpu.launch
// CHECK: %[[LHS:.+]] = memref.get_global @__effattn_lhs_tile_1 : memref<2x64x48xi8, #gpu.address_space<workgroup>>
// CHECK: scf.for %[[FROM:.+]] = %{{.+}} to %[[K]] step %[[CHUNK]] {
// CHECK: %[[END:.+]] = arith.minui %{{.+}}, %[[K]] : index
// CHECK: %[[SUMS:.+]]:9 = scf.for %{{.+}} = %[[FROM]] to %[[END]] step %[[C32]] iter_args(%{{.+}} = %[[ZERO]],
// CHECK: nvgpu.ldmatrix %[[LHS]][%{{.+}}, %{{.+}}, %{{.+}}] {numTiles = 4 : i32, transpose = false} : memref<2x64x48xi8, #gpu.address_space<workgroup>> -> vector<4x4xi8>
// CHECK-COUNT-8: nvgpu.mma.sync(%{{.+}}, %{{.+}}, %{{.+}}) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
// CHECK-NOT: nvgpu.mma.sync
// CHECK: vector.extract %[[SUMS]]#0[0, 0] : i32 from vector<2x2xi32>
// CHECK: %[[OLD:.+]] = memref.load %[[C]]
// CHECK-NEXT: %[[NEW:.+]] = arith.addi %[[OLD]], %{{.+}} : i32
// CHECK-NEXT: memref.store %[[NEW]], %[[C]]
// CHECK-COUNT-31: memref.store %{{.+}}, %[[C]]

/// bf16 runs on m16n8k16 like f16 (effattn-gpu-lower-bf16-mma lowers it).
// CHECK-LABEL: func.func @bf16_matmul
// CHECK: memref.get_global @__effattn_lhs_tile_2 : memref<2x64x40xbf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-16: nvgpu.mma.sync(%{{.+}}, %{{.+}}, %{{.+}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>

/// f32 stays on the SIMT kernel (no tf32 here: it would round the operands),
/// as do bodies that mma.sync does not compute: unsigned i8 (extui; the
/// instruction's s8 is signed) and f16 into an f16 accumulator.
// CHECK-LABEL: func.func @f32_matmul
// CHECK-NOT: nvgpu.mma.sync
// CHECK: memref.get_global @__effattn_lhs_tile_3 : memref<2x16x64xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: nvgpu.mma.sync
// CHECK-LABEL: func.func @unsigned_int8_matmul
// CHECK-NOT: nvgpu.mma.sync
// CHECK: memref.get_global @__effattn_lhs_tile_4 : memref<2x16x64xi8, #gpu.address_space<workgroup>>
// CHECK: arith.extui
// CHECK-NOT: nvgpu.mma.sync
// CHECK-LABEL: func.func @half_into_half
// CHECK-NOT: nvgpu.mma.sync
// CHECK: memref.get_global @__effattn_lhs_tile_5 : memref<2x16x64xf16, #gpu.address_space<workgroup>>
// CHECK-NOT: nvgpu.mma.sync
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32"]>} {
func.func @half_matmul(%a: memref<70x40xf16>, %b: memref<40x50xf16>, %c: memref<70x50xf32>) {
  linalg.matmul ins(%a, %b : memref<70x40xf16>, memref<40x50xf16>) outs(%c : memref<70x50xf32>)
  return
}
func.func @int8_matmul(%a: memref<70x?xi8, strided<[?, 1], offset: ?>>, %b: memref<50x?xi8, strided<[?, 1], offset: ?>>, %c: memref<70x50xi32>) {
  linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>, affine_map<(i, j, k) -> (i, j)>] ins(%a, %b : memref<70x?xi8, strided<[?, 1], offset: ?>>, memref<50x?xi8, strided<[?, 1], offset: ?>>) outs(%c : memref<70x50xi32>)
  return
}
func.func @bf16_matmul(%a: memref<70x40xbf16>, %b: memref<40x50xbf16>, %c: memref<70x50xf32>) {
  linalg.matmul ins(%a, %b : memref<70x40xbf16>, memref<40x50xbf16>) outs(%c : memref<70x50xf32>)
  return
}
func.func @f32_matmul(%a: memref<70x40xf32>, %b: memref<40x50xf32>, %c: memref<70x50xf32>) {
  linalg.matmul ins(%a, %b : memref<70x40xf32>, memref<40x50xf32>) outs(%c : memref<70x50xf32>)
  return
}
func.func @unsigned_int8_matmul(%a: memref<70x40xi8>, %b: memref<40x50xi8>, %c: memref<70x50xi32>) {
  linalg.matmul {cast = #linalg.type_fn<cast_unsigned>} ins(%a, %b : memref<70x40xi8>, memref<40x50xi8>) outs(%c : memref<70x50xi32>)
  return
}
func.func @half_into_half(%a: memref<70x40xf16>, %b: memref<40x50xf16>, %c: memref<70x50xf16>) {
  linalg.matmul ins(%a, %b : memref<70x40xf16>, memref<40x50xf16>) outs(%c : memref<70x50xf16>)
  return
}
}

// -----

/// Few outputs with long reductions (on a #effattn.gpu target): a block of
/// threads per output element. Thread t combines steps t, t + 256, ... from
/// the neutral element (0 for addf), the block combines its 256 partial sums
/// as a tree in shared memory (8 levels, a barrier after each) and thread 0
/// adds the result to the output element. Many outputs with short
/// reductions keep a thread per output.
// CHECK: memref.global "private" @__effattn_reduction : memref<256xf32, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @long_row_sums
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: memref<3x5000xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<3xf32>
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[C256:.+]] = arith.constant 256 : index
// CHECK-DAG: %[[C5000:.+]] = arith.constant 5000 : index
// CHECK: gpu.launch blocks(%[[ROW:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C3]], {{.*}}) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C256]],
// CHECK: %[[PART:.+]] = scf.for %[[J:.+]] = %[[T]] to %[[C5000]] step %[[C256]] iter_args(%[[ACC:.+]] = %[[ZERO]]) -> (f32) {
// CHECK:   %[[V:.+]] = memref.load %[[X]][%[[ROW]], %[[J]]]
// CHECK:   arith.addf %[[ACC]], %[[V]] : f32
// CHECK: %[[SHARED:.+]] = memref.get_global @__effattn_reduction
// CHECK: memref.store %[[PART]], %[[SHARED]][%[[T]]]
// CHECK: gpu.barrier
// CHECK-COUNT-8: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: %[[FIRST:.+]] = arith.cmpi eq, %[[T]], %{{.+}} : index
// CHECK: scf.if %[[FIRST]] {
// CHECK:   %[[INIT:.+]] = memref.load %[[O]][%[[ROW]]]
// CHECK:   %[[TOTAL:.+]] = memref.load %[[SHARED]][%{{.+}}]
// CHECK:   %[[SUM:.+]] = arith.addf %[[INIT]], %[[TOTAL]] : f32
// CHECK:   memref.store %[[SUM]], %[[O]][%[[ROW]]]
// CHECK-LABEL: func.func @short_sums
// CHECK-NOT: gpu.barrier
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK-NOT: gpu.barrier
// CHECK: return
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @long_row_sums(%x: memref<3x5000xf32>, %o: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<3x5000xf32>) outs(%o : memref<3xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}
func.func @short_sums(%x: memref<262144x32xf32>, %o: memref<262144xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%x : memref<262144x32xf32>) outs(%o : memref<262144xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  return
}
}

// -----

/// Split-K: a 64 × 48 C (one tile) behind K = 4100 keeps one block busy on a
/// target of 132 SMs. K is split over 8 blocks of 528 (the last 404), each
/// summing its range from zero and adding its sums to C atomically.
// CHECK-LABEL: func.func @long_k
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[C528:.+]] = arith.constant 528 : index
// CHECK-DAG: %[[C4100:.+]] = arith.constant 4100 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK: gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C8]],
// CHECK: %[[BEGIN:.+]] = arith.muli %[[BX]], %[[C528]] : index
// CHECK: %[[UPPER:.+]] = arith.addi %[[BEGIN]], %[[C528]] : index
// CHECK: %[[END:.+]] = arith.minui %[[UPPER]], %[[C4100]] : index
// CHECK: scf.for %{{.+}} = %[[BEGIN]] to %[[END]] step %[[C16]] iter_args
// CHECK-COUNT-16: memref.atomic_rmw addf %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] : (f32, memref<64x48xf32>) -> f32
// CHECK-NOT: memref.store %{{.+}} : memref<64x48xf32>
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = []>} {
func.func @long_k(%a: memref<64x4100xf32>, %b: memref<4100x48xf32>, %c: memref<64x48xf32>) {
  linalg.matmul ins(%a, %b : memref<64x4100xf32>, memref<4100x48xf32>) outs(%c : memref<64x48xf32>)
  return
}
}
