// RUN: effattn-opt %s -split-input-file -verify-diagnostics --effattn-gpu-one-stream | FileCheck %s

/// [Pass: effattn-gpu-one-stream] IN: host code with synchronous GPU ops
/// (after gpu-kernel-outlining). OUT: the ops asynchronous on one stream per
/// function, with a host wait only before ops that may use what the GPU
/// computed and before the return; loops of GPU ops run on the enclosing
/// stream without waiting.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @step(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }

  // CHECK-LABEL: func.func @straight_line
  // CHECK: %[[T0:.+]] = gpu.wait async
  // CHECK-NEXT: %[[M:.+]], %[[T1:.+]] = gpu.alloc async [%[[T0]]] () : memref<4xf32>
  // CHECK-NEXT: %[[T2:.+]] = gpu.launch_func async [%[[T1]]] @kernels::@step
  // CHECK-NEXT: %[[T3:.+]] = gpu.memcpy async [%[[T2]]] %{{.+}}, %[[M]]
  // CHECK-NEXT: %[[T4:.+]] = gpu.dealloc async [%[[T3]]] %[[M]]
  // CHECK-NEXT: gpu.wait [%[[T4]]]
  // CHECK-NEXT: return
  func.func @straight_line(%out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %m = gpu.alloc () : memref<4xf32>
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.memcpy %out, %m : memref<4xf32>, memref<4xf32>
    gpu.dealloc %m : memref<4xf32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @step(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }

  /// The loop's GPU ops depend on the token before the loop: the same
  /// stream, no wait per iteration.
  // CHECK-LABEL: func.func @loop_on_the_enclosing_stream
  // CHECK: %[[T0:.+]] = gpu.wait async
  // CHECK-NEXT: %[[INIT:.+]], %[[T1:.+]] = gpu.alloc async [%[[T0]]]
  // CHECK-NEXT: scf.for
  // CHECK-NEXT: %[[NEXT:.+]], %[[T2:.+]] = gpu.alloc async [%[[T1]]]
  // CHECK-NEXT: %[[T3:.+]] = gpu.launch_func async [%[[T2]]] @kernels::@step
  // CHECK-NEXT: %{{.+}} = gpu.dealloc async [%[[T3]]]
  // CHECK-NEXT: scf.yield %[[NEXT]]
  // CHECK-NEXT: }
  // CHECK-NEXT: %[[T4:.+]] = gpu.memcpy async [%[[T1]]]
  // CHECK-NEXT: gpu.wait [%[[T4]]]
  // CHECK-NEXT: return
  func.func @loop_on_the_enclosing_stream(%out: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %init = gpu.alloc () : memref<4xf32>
    %r = scf.for %i = %c0 to %c8 step %c1 iter_args(%prev = %init) -> (memref<4xf32>) {
      %next = gpu.alloc () : memref<4xf32>
      gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%prev : memref<4xf32>)
      gpu.dealloc %prev : memref<4xf32>
      scf.yield %next : memref<4xf32>
    }
    gpu.memcpy %out, %r : memref<4xf32>, memref<4xf32>
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @step(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }

  /// The host reads a copy of device data: wait for the stream before the
  /// read, in the loop too (whose iterations then run on streams of their
  /// own, as with gpu-async-region), and start a new stream after it.
  // CHECK-LABEL: func.func @host_reads
  // CHECK: %[[T0:.+]] = gpu.wait async
  // CHECK-NEXT: %[[T1:.+]] = gpu.memcpy async [%[[T0]]]
  // CHECK-NEXT: gpu.wait [%[[T1]]]
  // CHECK-NEXT: memref.load
  // CHECK-NEXT: scf.for
  // CHECK-NEXT: %[[L0:.+]] = gpu.wait async
  // CHECK-NEXT: %[[L1:.+]] = gpu.memcpy async [%[[L0]]]
  // CHECK-NEXT: gpu.wait [%[[L1]]]
  // CHECK-NEXT: memref.load
  // CHECK: }
  // CHECK-NEXT: %[[T2:.+]] = gpu.wait async
  // CHECK-NEXT: %[[T3:.+]] = gpu.launch_func async [%[[T2]]]
  // CHECK-NEXT: gpu.wait [%[[T3]]]
  // CHECK-NEXT: return
  func.func @host_reads(%device: memref<4xf32>, %host: memref<4xf32>) -> f32 {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    gpu.memcpy %host, %device : memref<4xf32>, memref<4xf32>
    %first = memref.load %host[%c0] : memref<4xf32>
    %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %first) -> (f32) {
      gpu.memcpy %host, %device : memref<4xf32>, memref<4xf32>
      %x = memref.load %host[%c0] : memref<4xf32>
      %s = arith.addf %acc, %x : f32
      scf.yield %s : f32
    }
    gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%device : memref<4xf32>)
    return %sum : f32
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @step(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }

  /// The loop reads a host copy made before it (IM-Unpack's column ranges):
  /// one wait before the loop, then the loop's kernels on one stream. A view
  /// of the copy counts as the copy.
  // CHECK-LABEL: func.func @loop_reading_an_earlier_copy
  // CHECK: %[[T0:.+]] = gpu.wait async
  // CHECK-NEXT: %[[T1:.+]] = gpu.memcpy async [%[[T0]]]
  // CHECK-NEXT: gpu.wait [%[[T1]]]
  // CHECK-NEXT: %[[S:.+]] = gpu.wait async
  // CHECK-NEXT: scf.for
  // CHECK-NEXT: memref.load
  // CHECK-NEXT: gpu.launch_func async [%[[S]]]
  // CHECK-NEXT: }
  // CHECK-NEXT: gpu.wait [%[[S]]]
  // CHECK-NEXT: return
  func.func @loop_reading_an_earlier_copy(%device: memref<4xf32>, %host: memref<8xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %view = memref.subview %host[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
    gpu.memcpy %view, %device : memref<4xf32, strided<[1]>>, memref<4xf32>
    scf.for %i = %c0 to %c8 step %c1 {
      %x = memref.load %host[%i] : memref<8xf32>
      gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%device : memref<4xf32>)
    }
    return
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @step(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }

  /// The loop is the function's only GPU work: the stream is created before
  /// it and the wait is on the stream's own token. (Upstream's gpu.wait
  /// canonicalization takes a token without dependencies for a ready one and
  /// would drop that wait: the pipeline runs this pass after its last
  /// canonicalization.)
  // CHECK-LABEL: func.func @only_a_loop
  // CHECK: %[[T0:.+]] = gpu.wait async
  // CHECK-NEXT: scf.for
  // CHECK-NEXT: gpu.launch_func async [%[[T0]]]
  // CHECK-NEXT: }
  // CHECK-NEXT: gpu.wait [%[[T0]]]
  // CHECK-NEXT: return
  func.func @only_a_loop(%m: memref<4xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    scf.for %i = %c0 to %c8 step %c1 {
      gpu.launch_func @kernels::@step blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    }
    return
  }
}

// -----

func.func @already_asynchronous(%m: memref<4xf32>, %t: !gpu.async.token) {
  // expected-error @+1 {{'gpu.dealloc' op is asynchronous already: effattn-gpu-one-stream takes synchronous host code}}
  %d = gpu.dealloc async [%t] %m : memref<4xf32>
  return
}

// -----

func.func @waits_in_the_input() {
  // expected-error @+1 {{'gpu.wait' op in the input: effattn-gpu-one-stream places the waits of synchronous host code}}
  gpu.wait
  return
}
