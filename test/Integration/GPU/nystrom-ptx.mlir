// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'

/// Compile-only: Nyström at the benchmark's size (16 heads, n = 16384,
/// d = 128, 64 landmarks, f16 inputs computed in f32). Its GEMMs (the three
/// kernels, the pseudo-inverse's products, kernel·V split along K) run on
/// tensor cores as 3xTF32; ptxas accepts every kernel for sm_80 and sm_90
/// without stack frames or spills.

// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// CHECK: Compiling entry function 'nystrom_kernel'
// CHECK-NOT: error
func.func @nystrom(%q: tensor<16x16384x128xf16>, %k: tensor<16x16384x128xf16>, %v: tensor<16x16384x128xf16>) -> tensor<16x16384x128xf16> {
  %o = tensor.empty() : tensor<16x16384x128xf16>
  %r = effattn.nystrom_attention {num_landmarks = 64} ins(%q, %k, %v : tensor<16x16384x128xf16>, tensor<16x16384x128xf16>, tensor<16x16384x128xf16>) outs(%o : tensor<16x16384x128xf16>) -> tensor<16x16384x128xf16>
  return %r : tensor<16x16384x128xf16>
}
