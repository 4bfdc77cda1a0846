// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 | FileCheck %s --check-prefix=PTXAS
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 | FileCheck %s --check-prefix=PTXAS
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=bin" \
// RUN:   | %python %S/Inputs/gpu_object.py --kind | FileCheck %s --check-prefix=BIN
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=fatbin" \
// RUN:   | %python %S/Inputs/gpu_object.py --kind | FileCheck %s --check-prefix=FATBIN

/// With the CUDA toolkit: ptxas accepts the kernels for sm_80 and sm_90 with
/// no spills and within the register budget the tile model assumed (255),
/// and cubins/fatbins are produced. The mask's range of shown keys comes
/// first (one warp per batch element, no barrier), then the flash kernel.

// PTXAS: Compiling entry function 'attention_kernel'
// PTXAS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// PTXAS: Used {{[0-9]+}} registers, used 0 barriers
// PTXAS: Compiling entry function 'attention_kernel'
// PTXAS: 0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
// PTXAS: Used {{[0-9]|[0-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]}} registers, used 1 barriers, {{[0-9]+}} bytes smem
// BIN: bin {{[1-9][0-9]+}}
// FATBIN: fatbin {{[1-9][0-9]+}}
func.func @attention(%q: tensor<2x3x100x128xf32>, %k: tensor<2x3x130x128xf32>, %v: tensor<2x3x130x128xf32>, %m: tensor<2x3x130xi1>) -> tensor<2x3x100x128xf32> {
  %o = tensor.empty() : tensor<2x3x100x128xf32>
  %r = effattn.attention ins(%q, %k, %v : tensor<2x3x100x128xf32>, tensor<2x3x130x128xf32>, tensor<2x3x130x128xf32>) mask(%m : tensor<2x3x130xi1>) outs(%o : tensor<2x3x100x128xf32>) -> tensor<2x3x100x128xf32>
  return %r : tensor<2x3x100x128xf32>
}
