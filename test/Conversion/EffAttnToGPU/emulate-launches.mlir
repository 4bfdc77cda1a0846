// RUN: effattn-opt %s -split-input-file --verify-diagnostics --effattn-gpu-emulate-launches --cse | FileCheck %s

/// [Pass: effattn-gpu-emulate-launches] IN: gpu.launch of independent
/// threads. OUT: scf.parallel over the grid, scf.parallel over the block
/// inside, the body with ids and sizes replaced by the loops' values.

// CHECK-LABEL: func.func @kernel
// CHECK-SAME: %[[A:[a-zA-Z0-9_]+]]: memref<?xf32>, %[[G:[a-zA-Z0-9_]+]]: index
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.parallel (%[[BX:.+]], %{{.+}}, %{{.+}}) = (%[[C0]], %[[C0]], %[[C0]]) to (%[[G]], %[[C1]], %[[C1]]) step (%[[C1]], %[[C1]], %[[C1]]) {
// CHECK: scf.parallel (%[[TX:.+]], %{{.+}}, %{{.+}}) = (%[[C0]], %[[C0]], %[[C0]]) to (%[[C64]], %[[C1]], %[[C1]]) step (%[[C1]], %[[C1]], %[[C1]]) {
// CHECK: %[[BASE:.+]] = arith.muli %[[BX]], %[[C64]] : index
// CHECK: %[[I:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK: memref.store %{{.+}}, %[[A]][%[[I]]]
// CHECK-NOT: gpu.
func.func @kernel(%a: memref<?xf32>, %grid: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %x = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %grid, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    memref.store %x, %a[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

/// Threads that synchronize cannot run one after another.
func.func @barrier(%a: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{'gpu.barrier' op makes threads communicate; only kernels of independent threads run on the host}}
    gpu.barrier
    gpu.terminator
  }
  return
}
