// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa attention-warp-rows=32" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'

/// Compile-only: f32 attention on tensor cores as 3xTF32 (D = E = 128, the
/// benchmark's head size: key tiles of 32 on sm_90, of 16 on sm_80, whose
/// SM holds two blocks only so; D = E = 64): m16n8k8 tf32 mma.sync, Q and K
/// fragments by ldmatrix of 32-bit elements, P relaid out with shuffles.
/// ptxas accepts the kernels for both chips without stack frames or spills,
/// and with 32 query rows per warp on sm_90 (16-key tiles at D = E = 128:
/// 249 registers).

// PTX: .entry wide_kernel
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// PTX: shfl.sync.idx.b32
// PTX: .entry narrow_kernel
// PTX: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32

// CHECK: Compiling entry function 'wide_kernel'
// CHECK: Compiling entry function 'narrow_kernel'
// CHECK-NOT: error
func.func @wide(%q: tensor<16x4096x128xf32>, %k: tensor<16x4096x128xf32>, %v: tensor<16x4096x128xf32>, %o: tensor<16x4096x128xf32>) -> tensor<16x4096x128xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<16x4096x128xf32>, tensor<16x4096x128xf32>, tensor<16x4096x128xf32>) outs(%o : tensor<16x4096x128xf32>) -> tensor<16x4096x128xf32>
  return %r : tensor<16x4096x128xf32>
}

func.func @narrow(%q: tensor<4x300x64xf32>, %k: tensor<4x129x64xf32>, %v: tensor<4x129x64xf32>, %m: tensor<4x129xi1>, %o: tensor<4x300x64xf32>) -> tensor<4x300x64xf32> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<4x300x64xf32>, tensor<4x129x64xf32>, tensor<4x129x64xf32>) mask(%m : tensor<4x129xi1>) outs(%o : tensor<4x300x64xf32>) -> tensor<4x300x64xf32>
  return %r : tensor<4x300x64xf32>
}
