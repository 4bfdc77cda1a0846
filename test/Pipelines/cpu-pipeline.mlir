// RUN: effattn-opt %s --effattn-cpu-pipeline | FileCheck %s
// RUN: effattn-opt %s --effattn-cpu-pipeline="row-tile-size=0" | FileCheck %s
// RUN: effattn-opt %s --effattn-cpu-pipeline="parallel=true" | FileCheck %s --check-prefix=PARALLEL

/// parallel=true: the scf.forall of row tiles becomes an OpenMP worksharing
/// loop inside a parallel region.
// PARALLEL-LABEL: llvm.func @attention_to_llvm
// PARALLEL: omp.parallel
// PARALLEL: omp.wsloop

/// effattn-cpu-pipeline takes effattn ops on tensors all the way to the LLVM
/// dialect: nothing of effattn, linalg, tensor, memref or scf is left.
/// Attention runs in the flash form of the default target's config (8-lane
/// vector FMAs) with exponentials as polynomials, not libm calls.

// CHECK-LABEL: llvm.func @attention_to_llvm
// CHECK: llvm.call @aligned_alloc
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK: llvm.intr.roundeven
// CHECK-NOT: llvm.intr.exp
// CHECK-NOT: @expf
// CHECK-NOT: effattn.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: unrealized_conversion_cast
func.func @attention_to_llvm(%q: tensor<2x40x16xf32>, %k: tensor<2x45x16xf32>, %v: tensor<2x45x8xf32>, %m: tensor<2x45xi1>, %o: tensor<2x40x8xf32>) -> tensor<2x40x8xf32> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x40x16xf32>, tensor<2x45x16xf32>, tensor<2x45x8xf32>) mask(%m : tensor<2x45xi1>) outs(%o : tensor<2x40x8xf32>) -> tensor<2x40x8xf32>
  return %r : tensor<2x40x8xf32>
}
