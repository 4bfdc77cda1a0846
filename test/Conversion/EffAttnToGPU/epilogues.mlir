// RUN: effattn-opt %s -split-input-file --effattn-gpu-map-linalg --canonicalize --cse | FileCheck %s

/// [Pass: effattn-gpu-map-linalg, Epilogues.cpp] An elementwise op right
/// after a kernel's op, on its output, runs in that kernel's stores: one
/// launch fewer, and the output is not read back.

/// In place: the sum times 2 is stored once.
// CHECK-LABEL: func.func @scale_in_place
// CHECK: %[[TWO:.+]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK: gpu.launch
// CHECK: %[[SUM:.+]] = scf.for
// CHECK: arith.addf
// CHECK: %[[SCALED:.+]] = arith.mulf %[[SUM]], %[[TWO]] : f32
// CHECK-NEXT: memref.store %[[SCALED]], %[[O]]
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: memref.copy %[[O]]
func.func @scale_in_place(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>) {
  %two = arith.constant 2.0 : f32
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} outs(%o : memref<4x6xf32>) {
  ^bb0(%y: f32):
    %m = arith.mulf %y, %two : f32
    linalg.yield %m : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// Into another buffer, with a bias read by the consumer: the kernel stores
/// the f16 sum plus bias to the result; the f32 sums, read by nothing else,
/// are not stored.
// CHECK-LABEL: func.func @convert_into_result
// CHECK-SAME: %{{.+}}: memref<4x10x6xf32>, %[[BIAS:[a-zA-Z0-9_]+]]: memref<6xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<4x6xf16>
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK: gpu.launch
// CHECK: %[[K:.+]] = arith.remsi
// CHECK: %[[I:.+]] = arith.divsi
// CHECK: %[[SUM:.+]] = scf.for
// CHECK: %[[B:.+]] = memref.load %[[BIAS]][%[[K]]] : memref<6xf32>
// CHECK: %[[BIASED:.+]] = arith.addf %[[SUM]], %[[B]] : f32
// CHECK: %[[HALF:.+]] = arith.truncf %[[BIASED]] : f32 to f16
// CHECK-NEXT: memref.store %[[HALF]], %[[OUT]][%[[I]], %[[K]]] : memref<4x6xf16>
// CHECK-NOT: memref.store
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
func.func @convert_into_result(%a: memref<4x10x6xf32>, %bias: memref<6xf32>, %out: memref<4x6xf16>) {
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (k)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%o, %bias : memref<4x6xf32>, memref<6xf32>) outs(%out : memref<4x6xf16>) {
  ^bb0(%y: f32, %b: f32, %r: f16):
    %s = arith.addf %y, %b : f32
    %t = arith.truncf %s : f32 to f16
    linalg.yield %t : f16
  }
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// The sums are read again later: the kernel stores both.
// CHECK-LABEL: func.func @produced_read_later
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK: gpu.launch
// CHECK: %[[SUM:.+]] = scf.for
// CHECK: memref.store %[[SUM]], %[[O]]
// CHECK: %[[HALF:.+]] = arith.truncf %[[SUM]] : f32 to f16
// CHECK: memref.store %[[HALF]]
// CHECK-NOT: gpu.launch
// CHECK: memref.copy %[[O]]
func.func @produced_read_later(%a: memref<4x10x6xf32>, %out: memref<4x6xf16>, %sums: memref<4x6xf32>) {
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%o : memref<4x6xf32>) outs(%out : memref<4x6xf16>) {
  ^bb0(%y: f32, %r: f16):
    %t = arith.truncf %y : f32 to f16
    linalg.yield %t : f16
  }
  memref.copy %o, %sums : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// The consumer reads the sums transposed (other threads' elements): two
/// kernels.
// CHECK-LABEL: func.func @transposed_read
// CHECK-COUNT-2: gpu.launch
func.func @transposed_read(%a: memref<6x10x6xf32>, %out: memref<6x6xf32>) {
  %o = memref.alloc() : memref<6x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<6x10x6xf32>) outs(%o : memref<6x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (k, i)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%o : memref<6x6xf32>) outs(%out : memref<6x6xf32>) {
  ^bb0(%y: f32, %r: f32):
    linalg.yield %y : f32
  }
  memref.dealloc %o : memref<6x6xf32>
  return
}

// -----

/// A copy between the two may change what the consumer reads: two kernels.
// CHECK-LABEL: func.func @memory_op_between
// CHECK: gpu.launch
// CHECK: memref.copy
// CHECK: gpu.launch
func.func @memory_op_between(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>, %x: memref<4x6xf32>, %y: memref<4x6xf32>) {
  %two = arith.constant 2.0 : f32
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  memref.copy %x, %y : memref<4x6xf32> to memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%y : memref<4x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%w: f32, %z: f32):
    %m = arith.mulf %w, %z : f32
    linalg.yield %m : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// The consumer's body loads the sums at other indices: two kernels.
// CHECK-LABEL: func.func @gather_consumer
// CHECK-COUNT-2: gpu.launch
func.func @gather_consumer(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>) {
  %c5 = arith.constant 5 : index
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%o : memref<4x6xf32>) outs(%out : memref<4x6xf32>) {
  ^bb0(%y: f32, %r: f32):
    %i = linalg.index 0 : index
    %k = linalg.index 1 : index
    %flipped = arith.subi %c5, %k : index
    %z = memref.load %o[%i, %flipped] : memref<4x6xf32>
    %d = arith.subf %y, %z : f32
    linalg.yield %d : f32
  }
  memref.dealloc %o : memref<4x6xf32>
  return
}

// -----

/// With the sm_90 target: a matmul that writes C once applies 2I - C in its
/// stores (linalg.index of the consumer: the element's row and column); one
/// whose blocks split K adds to C atomically, so the scale stays a kernel.
// CHECK-LABEL: func.func @matmuls
// CHECK-SAME: %{{.+}}: memref<256x64xf32>, %{{.+}}: memref<64x256xf32>, %[[C:[a-zA-Z0-9_]+]]: memref<256x256xf32>, %{{.+}}: memref<64x8192xf32>, %{{.+}}: memref<8192x64xf32>, %[[W:[a-zA-Z0-9_]+]]: memref<64x64xf32>
// CHECK: gpu.launch
// CHECK: %[[DIAGONAL:.+]] = arith.cmpi eq, %[[ROW:[0-9]+]], %[[COLUMN:[0-9]+]] : index
// CHECK-NEXT: %[[D:.+]] = arith.select %[[DIAGONAL]]
// CHECK-NEXT: %[[R:.+]] = arith.subf %[[D]], %{{.+}} : f32
// CHECK-NEXT: memref.store %[[R]], %[[C]][%[[ROW]], %[[COLUMN]]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.atomic_rmw addf %{{.+}}, %[[W]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: arith.mulf
// CHECK: memref.store %{{.+}}, %[[W]]
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32", "tf32:m16n8k8"]>} {
func.func @matmuls(%x: memref<256x64xf32>, %y: memref<64x256xf32>, %c: memref<256x256xf32>, %u: memref<64x8192xf32>, %v: memref<8192x64xf32>, %w: memref<64x64xf32>) {
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.matmul ins(%x, %y : memref<256x64xf32>, memref<64x256xf32>) outs(%c : memref<256x256xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%c : memref<256x256xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %diagonal = arith.cmpi eq, %i, %j : index
    %d = arith.select %diagonal, %two, %zero : f32
    %r = arith.subf %d, %o : f32
    linalg.yield %r : f32
  }
  linalg.matmul ins(%u, %v : memref<64x8192xf32>, memref<8192x64xf32>) outs(%w : memref<64x64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%w : memref<64x64xf32>) {
  ^bb0(%o: f32):
    %r = arith.mulf %o, %two : f32
    linalg.yield %r : f32
  }
  return
}
}

// -----

/// Bufferization copies the sums before the op that doubles them in place,
/// since the sums are read later: the op reads the sums instead of the
/// copy, and then runs in the reduction's stores, which write both.
// CHECK-LABEL: func.func @copy_then_update
// CHECK: %[[TWO:.+]] = arith.constant 2.000000e+00 : f32
// CHECK: %[[O:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK: %[[P:.+]] = memref.alloc() : memref<4x6xf32>
// CHECK-NOT: memref.copy %[[O]], %[[P]]
// CHECK: gpu.launch
// CHECK: %[[SUM:.+]] = scf.for
// CHECK: memref.store %[[SUM]], %[[O]]
// CHECK: %[[DOUBLE:.+]] = arith.mulf %[[SUM]], %[[TWO]] : f32
// CHECK: memref.store %[[DOUBLE]], %[[P]]
// CHECK-NOT: gpu.launch
func.func @copy_then_update(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>, %out2: memref<4x6xf32>) {
  %two = arith.constant 2.0 : f32
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  %p = memref.alloc() : memref<4x6xf32>
  memref.copy %o, %p : memref<4x6xf32> to memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} outs(%p : memref<4x6xf32>) {
  ^bb0(%y: f32):
    %m = arith.mulf %y, %two : f32
    linalg.yield %m : f32
  }
  memref.copy %o, %out : memref<4x6xf32> to memref<4x6xf32>
  memref.copy %p, %out2 : memref<4x6xf32> to memref<4x6xf32>
  memref.dealloc %o : memref<4x6xf32>
  memref.dealloc %p : memref<4x6xf32>
  return
}

// -----

/// The producer's body loads from the consumer's output: the consumer's
/// stores must wait for the producer, so two kernels.
// CHECK-LABEL: func.func @producer_reads_the_output
// CHECK-COUNT-2: gpu.launch
func.func @producer_reads_the_output(%a: memref<4x10x6xf32>, %out: memref<4x6xf32>) {
  %c0 = arith.constant 0 : index
  %o = memref.alloc() : memref<4x6xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, k)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%a : memref<4x10x6xf32>) outs(%o : memref<4x6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %first = memref.load %out[%c0, %c0] : memref<4x6xf32>
    %s = arith.addf %x, %acc : f32
    %t = arith.addf %s, %first : f32
    linalg.yield %t : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i, k)>], iterator_types = ["parallel", "parallel"]} ins(%o : memref<4x6xf32>) outs(%out : memref<4x6xf32>) {
  ^bb0(%y: f32, %r: f32):
    linalg.yield %y : f32
  }
  memref.dealloc %o : memref<4x6xf32>
  return
}
