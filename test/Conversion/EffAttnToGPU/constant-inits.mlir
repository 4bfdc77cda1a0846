// RUN: effattn-opt %s -split-input-file --effattn-gpu-map-linalg --canonicalize --cse | FileCheck %s

/// [Pass: effattn-gpu-map-linalg, ConstantInits.cpp] An op whose output a
/// fill just wrote, or a copy of a buffer that only a fill writes, starts
/// its outputs from the fill's constant; the fill (or the copy, and the
/// filled buffer once nothing reads it) is dropped: one kernel launch or
/// device copy less each.

// CHECK-LABEL: func.func @fill_then_reduction
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<4x10x6xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<4x6xf32>
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK-NOT: memref.store %[[ZERO]]
// CHECK: gpu.launch
// CHECK-NOT: memref.load %[[O]]
// CHECK: %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[ZERO]]) -> (f32)
// CHECK: memref.store %[[SUM]], %[[O]]
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: memref.copy %[[O]], %[[OUT]]
func.func @fill_then_reduction(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %o = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%zero : f32) outs(%o : memref<4x6xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// Bufferization copies a fill that two reductions start from (one tensor
/// after CSE) before each: both start from -inf instead, and the filled
/// buffer, its fill and the copies are gone.

// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: memref.copy
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK-NEXT: gpu.launch
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %[[NINF]]) -> (f32)
// CHECK: arith.maximumf
// CHECK: %[[P:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK-NEXT: gpu.launch
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %[[NINF]]) -> (f32)
// CHECK: arith.minimumf
// CHECK: memref.copy %[[O]], %{{.+}}
// CHECK: memref.copy %[[P]], %{{.+}}
// CHECK-NEXT: memref.dealloc %[[O]]
// CHECK-NEXT: memref.dealloc %[[P]]
// CHECK-NEXT: return
func.func @shared_fill(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>, %out2: memref<4x6xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %z = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%ninf : f32) outs(%z : memref<4x6xf32>)
  %o = memref.alloc() : memref<4x6xf32>
  memref.copy %z, %o : memref<4x6xf32> to memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.maximumf %x, %acc : f32
    linalg.yield %s : f32
  }
  %p = memref.alloc() : memref<4x6xf32>
  memref.copy %z, %p : memref<4x6xf32> to memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%p : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.minimumf %x, %acc : f32
    linalg.yield %s : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.copy %p, %out2 : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %z : memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  memref.dealloc %p : memref<4x6xf32>
  return
}

// -----

/// The filled output is read before the reduction overwrites it: the fill
/// stays, and the reduction reads its output.

// CHECK-LABEL: func.func @read_before_overwrite
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[O:.+]] = memref.alloc()
// CHECK: gpu.launch
// CHECK: memref.store %[[ZERO]], %[[O]]
// CHECK: memref.copy %[[O]], %{{.+}}
// CHECK: gpu.launch
// CHECK: %[[INIT:.+]] = memref.load %[[O]]
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %[[INIT]]) -> (f32)
func.func @read_before_overwrite(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>, %seen: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %o = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%zero : f32) outs(%o : memref<4x6xf32>)
  memref.copy %o, %seen : memref<4x6xf32> to memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// The filled buffer is written again in the loop, after the copy that
/// the reduction starts from: a later iteration copies other values, so the
/// copy and the fill stay.

// CHECK-LABEL: func.func @written_in_the_loop
// CHECK: %[[Z:.+]] = memref.alloc()
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: %[[O:.+]] = memref.alloc()
// CHECK: memref.copy %[[Z]], %[[O]]
// CHECK: gpu.launch
// CHECK: memref.load %[[O]]
// CHECK: memref.copy %[[O]], %[[Z]]
func.func @written_in_the_loop(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %z = memref.alloc() : memref<4x6xf32>
  linalg.fill ins(%zero : f32) outs(%z : memref<4x6xf32>)
  scf.for %i = %c0 to %c3 step %c1 {
    %o = memref.alloc() : memref<4x6xf32>
    memref.copy %z, %o : memref<4x6xf32> to memref<4x6xf32>
    linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
    ^bb0(%x: f32, %acc: f32):
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
    memref.copy %o, %z : memref<4x6xf32> to memref<4x6xf32>
    memref.dealloc %o : memref<4x6xf32>
  }
  memref.copy %z, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %z : memref<4x6xf32>
  return
}

// -----

/// The caller's buffer is not the function's own: its fill stays.

// CHECK-LABEL: func.func @function_argument
// CHECK-SAME: %{{.+}}: memref<4x10x6xf32>, %[[O:[a-zA-Z0-9_]+]]: memref<4x6xf32>
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: gpu.launch
// CHECK: memref.store %[[ZERO]], %[[O]]
// CHECK: gpu.launch
// CHECK: memref.load %[[O]]
func.func @function_argument(%a: memref<4x10x6xf32>, %o: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%o : memref<4x6xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// With the sm_90 target: a long reduction (a block of threads per output)
/// adds its block's sum to the fill's 0 instead of the output; a matmul
/// with one block per tile of C adds its sums to 0; a matmul whose blocks
/// split K adds them atomically to C, which its fill must have zeroed, so
/// that fill stays.

// CHECK-LABEL: func.func @kernels
// CHECK-DAG: %[[F0:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[N:.+]] = memref.alloc() : memref<2xi64>
// CHECK-NEXT: gpu.launch
// CHECK: gpu.barrier
// CHECK: %[[BLOCK:.+]] = memref.load %{{.+}}[%c0] : memref<256xi64, #gpu.address_space<workgroup>>
/// (0 + sum folds away.)
// CHECK-NEXT: memref.store %[[BLOCK]], %[[N]]
// CHECK: %[[P:.+]] = memref.alloc() : memref<256x256xf32>
// CHECK-NEXT: gpu.launch
// CHECK-NOT: memref.load %[[P]]
// CHECK: arith.addf %{{.+}}, %[[F0]] : f32
// CHECK: memref.store %{{.+}}, %[[P]]
// CHECK: %[[Q:.+]] = memref.alloc() : memref<64x64xf32>
// CHECK-NEXT: gpu.launch
// CHECK: memref.store %[[F0]], %[[Q]]
// CHECK: gpu.launch
// CHECK: memref.atomic_rmw addf %{{.+}}, %[[Q]]
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32", "tf32:m16n8k8"]>} {
func.func @kernels(%a: memref<2x70000xi32>, %out: memref<2xi64>, %x: memref<256x64xf32>, %y: memref<64x256xf32>, %c: memref<256x256xf32>, %u: memref<64x8192xf32>, %v: memref<8192x64xf32>, %w: memref<64x64xf32>) {
  %zero = arith.constant 0 : i64
  %fzero = arith.constant 0.0 : f32
  %n = memref.alloc() : memref<2xi64>
  linalg.fill ins(%zero : i64) outs(%n : memref<2xi64>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%a : memref<2x70000xi32>) outs(%n : memref<2xi64>) {
  ^bb0(%e: i32, %acc: i64):
    %w64 = arith.extsi %e : i32 to i64
    %s = arith.addi %w64, %acc : i64
    linalg.yield %s : i64
  }
  memref.copy %n, %out : memref<2xi64> to memref<2xi64>
  %p = memref.alloc() : memref<256x256xf32>
  linalg.fill ins(%fzero : f32) outs(%p : memref<256x256xf32>)
  linalg.matmul ins(%x, %y : memref<256x64xf32>, memref<64x256xf32>) outs(%p : memref<256x256xf32>)
  memref.copy %p, %c : memref<256x256xf32> to memref<256x256xf32>
  %q = memref.alloc() : memref<64x64xf32>
  linalg.fill ins(%fzero : f32) outs(%q : memref<64x64xf32>)
  linalg.matmul ins(%u, %v : memref<64x8192xf32>, memref<8192x64xf32>) outs(%q : memref<64x64xf32>)
  memref.copy %q, %w : memref<64x64xf32> to memref<64x64xf32>
  memref.dealloc %n : memref<2xi64>
  memref.dealloc %p : memref<256x256xf32>
  memref.dealloc %q : memref<64x64xf32>
  return
}
}

// -----

/// The output leaves each iteration as the next one's input (a fresh
/// buffer per iteration, which nothing else sees before the op): its fill
/// still goes.
// CHECK-LABEL: func.func @yielded_output
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK-NEXT: gpu.launch
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %[[ZERO]]) -> (f32)
// CHECK: memref.store %{{.+}}, %[[O]]
// CHECK: gpu.terminator
// CHECK-NEXT: } {SCFToGPU_visited}
// CHECK-NEXT: scf.yield %[[O]]
func.func @yielded_output(%a: memref<4x10x6xf32>, %first: memref<4x6xf32>, %out: memref<4x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%prev = %first) -> (memref<4x6xf32>) {
    %o = memref.alloc() : memref<4x6xf32>
    linalg.fill ins(%zero : f32) outs(%o : memref<4x6xf32>)
    linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a, %prev : memref<4x10x6xf32>, memref<4x6xf32>) outs(%o : memref<4x6xf32>) {
    ^bb0(%x: f32, %q: f32, %acc: f32):
      %t = arith.mulf %x, %q : f32
      %s = arith.addf %t, %acc : f32
      linalg.yield %s : f32
    }
    scf.yield %o : memref<4x6xf32>
  }
  memref.copy %r, %out : memref<4x6xf32> to memref<4x6xf32>
  return
}
