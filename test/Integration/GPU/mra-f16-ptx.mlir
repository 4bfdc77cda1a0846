// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 | FileCheck %s
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 | FileCheck %s

/// Compile-only: MRA-2 on f16 inputs, d = 128, blocks of 32. MRA keeps the
/// queries, keys and values in f16 for effattn.block_sparse_attention, whose
/// kernel then runs on tensor cores: a warp per 16 query rows, the listed
/// key and value blocks copied with cp.async into two stages, S = Q·Kᵀ and
/// P·V as mma.sync m16n8k16 with f32 accumulation. ptxas accepts every
/// kernel for sm_80 and sm_90 without stack frames or spills.

// PTX: .entry mra_kernel
// PTX: cp.async.cg.shared.global
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16

// CHECK: Compiling entry function 'mra_kernel'
// CHECK-NOT: {{[1-9][0-9]*}} bytes {{spill|stack frame}}
// CHECK-NOT: error
func.func @mra(%q: tensor<2x4x512x128xf16>, %k: tensor<2x4x512x128xf16>, %v: tensor<2x4x512x128xf16>, %m: tensor<2x4x512xi1>) -> tensor<2x4x512x128xf16> {
  %o = tensor.empty() : tensor<2x4x512x128xf16>
  %r = effattn.mra_attention {block_size = 32, blocks_per_row = 4} ins(%q, %k, %v : tensor<2x4x512x128xf16>, tensor<2x4x512x128xf16>, tensor<2x4x512x128xf16>) mask(%m : tensor<2x4x512xi1>) outs(%o : tensor<2x4x512x128xf16>) -> tensor<2x4x512x128xf16>
  return %r : tensor<2x4x512x128xf16>
}
