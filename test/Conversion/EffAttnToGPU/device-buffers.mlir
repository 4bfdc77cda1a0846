// RUN: effattn-opt %s -split-input-file --effattn-gpu-device-buffers | FileCheck %s

/// [Pass: effattn-gpu-device-buffers] IN: host code on buffers with kernels
/// (gpu.launch). OUT: the host's buffers in device memory (gpu.alloc,
/// gpu.dealloc, gpu.memcpy), each freed after its last use unless it
/// escapes; loops that carry a new buffer per iteration free the one they
/// received.

// CHECK-LABEL: func.func @temporary_freed_after_last_use
// CHECK: %[[T:.+]] = gpu.alloc () : memref<16xf32>
// CHECK: %[[S:.+]] = memref.subview %[[T]]
// CHECK: gpu.launch
// CHECK: memref.load %[[S]]
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc %[[T]] : memref<16xf32>
// CHECK-NEXT: gpu.memcpy %{{.+}}, %{{.+}} : memref<16xf32>, memref<16xf32>
// CHECK-NEXT: return
func.func @temporary_freed_after_last_use(%out: memref<16xf32>, %x: memref<16xf32>) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %t = memref.alloc() : memref<16xf32>
  %s = memref.subview %t[0] [8] [1] : memref<16xf32> to memref<8xf32, strided<[1]>>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %s[%c0] : memref<8xf32, strided<[1]>>
    memref.store %v, %out[%c0] : memref<16xf32>
    gpu.terminator
  }
  memref.copy %x, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

/// A returned buffer and one yielded out of an scf.if escape: neither is
/// freed.
// CHECK-LABEL: func.func @escaping_buffers
// CHECK-NOT: gpu.dealloc
// CHECK: return
func.func @escaping_buffers(%c: i1) -> (memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<4xf32>
  %r = scf.if %c -> memref<4xf32> {
    scf.yield %b : memref<4xf32>
  } else {
    scf.yield %a : memref<4xf32>
  }
  return %a, %r : memref<4xf32>, memref<4xf32>
}

// -----

/// Each iteration allocates the buffer it yields: it frees the buffer it
/// received (the initial one on the first iteration) after its last use, and
/// the loop's result is freed after its own last use. The initial buffer is
/// not freed after the loop (the first iteration did).
// CHECK-LABEL: func.func @loop_carrying_new_buffers
// CHECK: %[[INIT:.+]] = gpu.alloc () : memref<2xi64>
// CHECK: %[[R:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[PREV:.+]] = %[[INIT]])
// CHECK: %[[NEXT:.+]] = gpu.alloc () : memref<2xi64>
// CHECK: memref.load %[[PREV]]
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc %[[PREV]] : memref<2xi64>
// CHECK-NEXT: scf.yield %[[NEXT]]
// CHECK: memref.load %[[R]]
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc %[[R]] : memref<2xi64>
// CHECK-NOT: gpu.dealloc
// CHECK: return
func.func @loop_carrying_new_buffers(%out: memref<2xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %init = memref.alloc() : memref<2xi64>
  %r = scf.for %i = %c0 to %c32 step %c1 iter_args(%prev = %init) -> (memref<2xi64>) {
    %next = memref.alloc() : memref<2xi64>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %prev[%c0] : memref<2xi64>
      memref.store %v, %next[%c0] : memref<2xi64>
      gpu.terminator
    }
    scf.yield %next : memref<2xi64>
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %r[%c0] : memref<2xi64>
    memref.store %v, %out[%c0] : memref<2xi64>
    gpu.terminator
  }
  return
}

// -----

/// A loop that carries its buffer in place: the result is the initial
/// buffer, freed after the result's last use.
// CHECK-LABEL: func.func @loop_carrying_a_buffer_in_place
// CHECK: %[[INIT:.+]] = gpu.alloc () : memref<2xi64>
// CHECK: %[[R:.+]] = scf.for
// CHECK-NOT: gpu.dealloc
// CHECK: scf.yield
// CHECK: gpu.memcpy %{{.+}}, %[[R]]
// CHECK-NEXT: gpu.dealloc %[[INIT]] : memref<2xi64>
// CHECK-NEXT: return
func.func @loop_carrying_a_buffer_in_place(%out: memref<2xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %init = memref.alloc() : memref<2xi64>
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%b = %init) -> (memref<2xi64>) {
    scf.yield %b : memref<2xi64>
  }
  memref.copy %r, %out : memref<2xi64> to memref<2xi64>
  return
}

// -----

/// A loop that starts from the caller's buffer does not own it: nothing is
/// freed in the body, and the yielded buffers are left alone (the first one
/// must not be freed, and a loop cannot tell it from the others).
// CHECK-LABEL: func.func @loop_starting_from_an_argument
// CHECK-NOT: gpu.dealloc
// CHECK: return
func.func @loop_starting_from_an_argument(%arg: memref<2xi64>) -> memref<2xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %i = %c0 to %c4 step %c1 iter_args(%prev = %arg) -> (memref<2xi64>) {
    %next = memref.alloc() : memref<2xi64>
    memref.copy %prev, %next : memref<2xi64> to memref<2xi64>
    scf.yield %next : memref<2xi64>
  }
  return %r : memref<2xi64>
}
