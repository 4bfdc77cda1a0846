// RUN: effattn-opt %s -split-input-file --verify-diagnostics --effattn-gpu-map-linalg
// RUN: not effattn-opt %s -split-input-file --effattn-gpu-map-linalg=f32-contractions=tf32 2>&1 \
// RUN:   | FileCheck %s --check-prefix=F32

/// An unknown f32-contractions is an error that names the choices.
// F32: error: effattn-gpu-map-linalg: f32-contractions must be 3xtf32 or fma, not 'tf32'

/// Sequential code on buffers moves into a kernel of one thread, from which
/// only scalars come back to the host.
func.func @serial_buffer_result(%a: memref<8xf32>, %b: memref<8xf32>, %c: i1) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.if' op reads or writes device memory on the host and yields a 'memref<8xf32>'; only scalars can come back from a GPU kernel}}
  %r = scf.if %c -> memref<8xf32> {
    memref.store %zero, %a[%c0] : memref<8xf32>
    scf.yield %a : memref<8xf32>
  } else {
    scf.yield %b : memref<8xf32>
  }
  return %r : memref<8xf32>
}

// -----

/// A thread's temporaries go to its private memory, which has a static size.
func.func @dynamic_thread_buffer(%o: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  scf.forall (%i) in (8) {
    // expected-error @+1 {{'memref.alloc' op allocates a buffer of run-time size in a GPU thread; only static sizes fit its private memory}}
    %t = memref.alloc(%n) : memref<?xf32>
    %x = memref.load %t[%c0] : memref<?xf32>
    memref.store %x, %o[%i] : memref<8xf32>
  }
  return
}

// -----

/// A parallel loop still on tensors (not bufferized) has no threads to map
/// to.
func.func @forall_on_tensors(%t: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'scf.forall' op cannot be mapped to GPU threads}}
  %r = scf.forall (%i) in (8) shared_outs(%o = %t) -> tensor<8xf32> {
    %s = tensor.extract_slice %o[%i] [1] [1] : tensor<8xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i] [1] [1] : tensor<1xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}
