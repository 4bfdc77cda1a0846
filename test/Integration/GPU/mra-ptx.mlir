// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa f32-contractions=fma" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 | FileCheck %s
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa f32-contractions=fma" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 | FileCheck %s
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --check-prefix=TF32 --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --check-prefix=TF32 --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'

/// Compile-only: MRA-2 through effattn-gpu-pipeline. The block selection
/// runs as one thread per (batch, block row); with f32-contractions=fma the
/// sparse blocks (effattn.block_sparse_attention) run as the SIMT flash
/// kernel, a block of threads per block row streaming its listed key and
/// value blocks through shared memory (32 × (D + E + 1) f32: 8320 bytes),
/// the row's state in registers; by default (3xTF32) as the tensor-core
/// kernel. No kernel has a stack frame, and ptxas accepts every kernel for
/// sm_80 and sm_90 without spills.

// TF32: Compiling entry function 'mra_kernel'
// CHECK: Compiling entry function 'mra_kernel'
// CHECK-NOT: {{[1-9][0-9]*}} bytes {{spill|stack frame}}
// CHECK: used 1 barriers, 8320 bytes smem
// CHECK-NOT: {{[1-9][0-9]*}} bytes {{spill|stack frame}}
// CHECK-NOT: error
func.func @mra(%q: tensor<2x4x256x32xf32>, %k: tensor<2x4x256x32xf32>, %v: tensor<2x4x256x32xf32>, %m: tensor<2x4x256xi1>) -> tensor<2x4x256x32xf32> {
  %o = tensor.empty() : tensor<2x4x256x32xf32>
  %r = effattn.mra_attention {block_size = 32, blocks_per_row = 2, prior_diagonal_blocks = 3} ins(%q, %k, %v : tensor<2x4x256x32xf32>, tensor<2x4x256x32xf32>, tensor<2x4x256x32xf32>) mask(%m : tensor<2x4x256xi1>) outs(%o : tensor<2x4x256x32xf32>) -> tensor<2x4x256x32xf32>
  return %r : tensor<2x4x256x32xf32>
}
