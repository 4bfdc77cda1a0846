// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa f32-contractions=fma" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa f32-contractions=fma" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX

/// Compile-only: with f32-contractions=fma an f32 contraction runs on the
/// SIMT kernel (as on a target without tf32 tensor cores, map-linalg.mlir):
/// 16 × 16 threads, thread (x, y) the 4 × 4 outputs (4y + i, 4x + j),
/// K-major slices of 16 (two stages, 16 KB).

// PTXAS: Compiling entry function 'single_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 16384 bytes smem

/// (The function's first kernel is its fill.)
// PTX: .entry single_kernel
// PTX: .maxntid 16, 16, 1
// PTX-NOT: mma.sync
/// Per k: one 16-byte shared load of A and one of B, then 16 FMAs.
// PTX: ld.shared.v4.{{b32|f32}}
// PTX: ld.shared.v4.{{b32|f32}}
// PTX-COUNT-16: fma.rn.f32
// PTX-NOT: mma.sync

func.func @single(%a: tensor<90x40xf32>, %b: tensor<40x70xf32>) -> tensor<90x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<90x70xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<90x70xf32>) -> tensor<90x70xf32>
  %r = linalg.matmul ins(%a, %b : tensor<90x40xf32>, tensor<40x70xf32>) outs(%c : tensor<90x70xf32>) -> tensor<90x70xf32>
  return %r : tensor<90x70xf32>
}
