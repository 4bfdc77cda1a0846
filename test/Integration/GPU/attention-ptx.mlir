// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py | FileCheck %s --check-prefixes=PTX,SM90
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py | FileCheck %s --check-prefixes=PTX,SM80
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=HOST

/// Compile-only: f16 exact attention through effattn-gpu-pipeline to PTX
/// (no CUDA toolkit needed), on tensor cores: K/V tiles copied with cp.async
/// into two shared-memory stages (the next tile's copy is in flight while
/// this one is multiplied), fragments read with ldmatrix (.trans for V),
/// mma.sync m16n8k16 with f32 accumulation, the softmax reduced over quads
/// with butterfly shuffles. The host side launches it with the tiles'
/// dynamic shared memory through the mgpu* runtime and keeps the C
/// interface.

// SM90: .target sm_90
// SM80: .target sm_80
// PTX: .entry attention_kernel(
// PTX: .maxntid 128, 1, 1
// PTX: cp.async.cg.shared.global
// PTX: cp.async.commit_group
//      The loop body, whose blocks LLVM may lay out in any order.
// PTX-DAG: cp.async.wait_group 1
// PTX-DAG: bar.sync
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-DAG: shfl.sync.bfly.b32
// PTX-DAG: ex2.approx
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX: cp.async.wait_group 0

// HOST-LABEL: llvm.func @attention(
// HOST: llvm.call @mgpuStreamCreate()
// HOST: gpu.launch_func <%{{.+}} : !llvm.ptr> @attention_kernel::@attention_kernel {{.*}} dynamic_shared_memory_size
// HOST: llvm.call @mgpuStreamSynchronize
// HOST: llvm.func @_mlir_ciface_attention(
func.func @attention(%q: tensor<4x200x64xf16>, %k: tensor<4x300x64xf16>, %v: tensor<4x300x64xf16>) -> tensor<4x200x64xf16> {
  %o = tensor.empty() : tensor<4x200x64xf16>
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<4x200x64xf16>, tensor<4x300x64xf16>, tensor<4x300x64xf16>) outs(%o : tensor<4x200x64xf16>) -> tensor<4x200x64xf16>
  return %r : tensor<4x200x64xf16>
}
