// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py | FileCheck %s

/// bf16 attention runs on tensor cores through nvvm.mma.sync (nvgpu's
/// lowering covers only f16): bf16 fragments from ldmatrix, f32
/// accumulation, softmax weights rounded to bf16 pairs.

// CHECK: .target sm_80
// CHECK-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// CHECK-DAG: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-DAG: cvt.rn.bf16x2.f32
// CHECK-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
func.func @attention(%q: tensor<2x100x64xbf16>, %k: tensor<2x70x64xbf16>, %v: tensor<2x70x32xbf16>) -> tensor<2x100x32xbf16> {
  %o = tensor.empty() : tensor<2x100x32xbf16>
  %r = effattn.attention ins(%q, %k, %v : tensor<2x100x64xbf16>, tensor<2x70x64xbf16>, tensor<2x70x32xbf16>) outs(%o : tensor<2x100x32xbf16>) -> tensor<2x100x32xbf16>
  return %r : tensor<2x100x32xbf16>
}
