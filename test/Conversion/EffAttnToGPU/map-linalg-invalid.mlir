// RUN: effattn-opt %s --verify-diagnostics --effattn-gpu-map-linalg

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
