// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa attention-warp-rows=32" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa attention-warp-rows=32" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa attention-warp-rows=32" \
// RUN:   | %python %S/Inputs/gpu_object.py --all > %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=TRANS < %t.ptx
// RUN: FileCheck %s --check-prefix=MMA < %t.ptx

/// Compile-only: the tensor-core attention kernel with 32 query rows per
/// warp (two m16 tiles, 128 rows per block of 4 warps), where each K and V
/// fragment loaded with ldmatrix feeds two mma.sync instead of one. At
/// D = E = 128 the block's queries are staged in shared memory with the
/// first key tile and reloaded per k-step (their fragments for both tiles
/// would need 64 more registers); at D = E = 64 they stay in registers.
/// ptxas accepts both for sm_80 and sm_90 within 255 registers, no stack,
/// no spills. Per key tile of 32:
///   D = E = 128: 8 k-steps × (2 Q + 2 K) ldmatrix, 2 × 8 V ldmatrix.trans,
///                2 × (4 · 8 + 16 · 2) = 128 mma;
///   D = E = 64:  4 × 2 K ldmatrix, 2 × 4 V ldmatrix.trans,
///                2 × (4 · 4 + 8 · 2) = 64 mma.

// PTXAS: Compiling entry function 'half_kernel'
// PTXAS: Used {{[0-9]|[0-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]}} registers, used 1 barriers
// PTXAS: Compiling entry function 'brain_kernel'
// PTXAS: Used {{[0-9]|[0-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]}} registers, used 1 barriers

// The loads of each kind, counted apart (LLVM may lay out the loop's
// blocks in either order).
// PTX-LABEL: .entry half_kernel(
// PTX: .maxntid 128, 1, 1
// PTX-COUNT-32: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-NOT: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-LABEL: .entry brain_kernel(
// PTX-COUNT-8: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-NOT: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// TRANS-LABEL: .entry half_kernel(
// TRANS-COUNT-16: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// TRANS-NOT: ldmatrix.sync.aligned.m8n8.x4.trans
// TRANS-LABEL: .entry brain_kernel(
// TRANS-COUNT-8: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// TRANS-NOT: ldmatrix.sync.aligned.m8n8.x4.trans

// MMA-LABEL: .entry half_kernel(
// MMA-COUNT-128: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// MMA-NOT: mma.sync
// MMA-LABEL: .entry brain_kernel(
// MMA-COUNT-64: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// MMA-NOT: mma.sync
func.func @half(%q: tensor<2x100x128xf16>, %k: tensor<2x130x128xf16>, %v: tensor<2x130x128xf16>) -> tensor<2x100x128xf16> {
  %o = tensor.empty() : tensor<2x100x128xf16>
  %r = effattn.attention ins(%q, %k, %v : tensor<2x100x128xf16>, tensor<2x130x128xf16>, tensor<2x130x128xf16>) outs(%o : tensor<2x100x128xf16>) -> tensor<2x100x128xf16>
  return %r : tensor<2x100x128xf16>
}
func.func @brain(%q: tensor<2x100x64xbf16>, %k: tensor<2x130x64xbf16>, %v: tensor<2x130x64xbf16>) -> tensor<2x100x64xbf16> {
  %o = tensor.empty() : tensor<2x100x64xbf16>
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<2x100x64xbf16>, tensor<2x130x64xbf16>, tensor<2x130x64xbf16>) outs(%o : tensor<2x100x64xbf16>) -> tensor<2x100x64xbf16>
  return %r : tensor<2x100x64xbf16>
}
