// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py | FileCheck %s --check-prefixes=PTX,SM90
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py | FileCheck %s --check-prefixes=PTX,SM80
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=HOST

/// Compile-only: exact attention through effattn-gpu-pipeline to PTX (no
/// CUDA toolkit needed). The kernel reads 16-byte vectors of the K/V tiles
/// from shared memory, reduces a row's dot products with butterfly shuffles
/// and uses the fast exp2; the host side launches it through the mgpu*
/// runtime and keeps the C interface.

// SM90: .target sm_90
// SM80: .target sm_80
// PTX: .entry attention_kernel(
// PTX: .maxntid 256, 1, 1
// PTX: st.shared.v4.b32
// PTX: bar.sync
// PTX: ld.shared.v4.b32
// PTX: shfl.sync.bfly.b32
// PTX: ex2.approx

// HOST-LABEL: llvm.func @attention(
// HOST: llvm.call @mgpuStreamCreate()
// HOST: gpu.launch_func <%{{.+}} : !llvm.ptr> @attention_kernel::@attention_kernel
// HOST: llvm.call @mgpuStreamSynchronize
// HOST: llvm.func @_mlir_ciface_attention(
func.func @attention(%q: tensor<4x200x64xf16>, %k: tensor<4x300x64xf16>, %v: tensor<4x300x64xf16>) -> tensor<4x200x64xf16> {
  %o = tensor.empty() : tensor<4x200x64xf16>
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<4x200x64xf16>, tensor<4x300x64xf16>, tensor<4x300x64xf16>) outs(%o : tensor<4x200x64xf16>) -> tensor<4x200x64xf16>
  return %r : tensor<4x200x64xf16>
}
