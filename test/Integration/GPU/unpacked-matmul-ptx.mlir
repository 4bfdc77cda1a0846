// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" | FileCheck %s --check-prefix=HOST
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX

/// Compile-only: IM-Unpack with the greedy "both" plan, and its sizes with
/// the "column" plan. The plan's scans and searches run in kernels of one
/// thread, the unpacking and packing in kernels of one thread per element,
/// the low-bit GEMMs on tensor cores; ptxas accepts every kernel for sm_80
/// and sm_90 with no stack and no spills.

// PTXAS: Compiling entry function 'unpacked_kernel'
// PTXAS: Compiling entry function 'sizes_kernel'

/// The low-bit GEMMs run on tensor cores: 2 × 4 i8 mma.sync m16n8k32 per
/// warp and slice of 32 along K, into i32.
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTX-NOT: mma.sync

/// The host reads the run-time sizes back (a copy to host memory, then a
/// synchronization of the stream) before it allocates with them.
// HOST-LABEL: llvm.func @unpacked(
// HOST: gpu.launch_func <%[[STREAM:.+]] : !llvm.ptr> @unpacked_kernel
// HOST: llvm.call @mgpuMemcpy(%{{.+}}, %{{.+}}, %{{.+}}, %[[STREAM]])
// HOST: llvm.call @mgpuStreamSynchronize(%[[STREAM]])
// HOST: %[[SIZE:.+]] = llvm.load %{{.+}} : !llvm.ptr -> i64
// HOST: llvm.add %[[SIZE]]
// HOST: llvm.call @mgpuMemAlloc(
// HOST-LABEL: llvm.func @_mlir_ciface_unpacked(
func.func @unpacked(%a: tensor<64x96xi64>, %b: tensor<80x96xi64>) -> tensor<64x80xi64> {
  %o = tensor.empty() : tensor<64x80xi64>
  %r = effattn.unpacked_matmul {bits = 8, strategy = "both"} ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>) outs(%o : tensor<64x80xi64>) -> tensor<64x80xi64>
  return %r : tensor<64x80xi64>
}

func.func @sizes(%a: tensor<64x96xi32>, %b: tensor<80x96xi32>) -> tensor<3xi64> {
  %o = tensor.empty() : tensor<3xi64>
  %r = effattn.unpacked_sizes {bits = 4, strategy = "column"} ins(%a, %b : tensor<64x96xi32>, tensor<80x96xi32>) outs(%o : tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}
