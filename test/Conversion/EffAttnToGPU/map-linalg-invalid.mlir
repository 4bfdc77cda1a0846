// RUN: effattn-opt %s -split-input-file --verify-diagnostics --effattn-gpu-map-linalg

/// Host code of a GPU library may only allocate, copy and launch: what
/// would read or write a buffer on the host is an error, not a crash at
/// run time on a device pointer.

func.func @host_read(%a: memref<8xf32>, %o: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op would access device memory on the host: the effattn op it comes from has no GPU lowering}}
  %x = memref.load %a[%c0] : memref<8xf32>
  linalg.fill ins(%x : f32) outs(%o : memref<8xf32>)
  return
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
