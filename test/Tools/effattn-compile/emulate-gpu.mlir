// RUN: rm -rf %t && mkdir -p %t
// RUN: effattn-compile %s --target=cuda:sm_90 --emulate-gpu -o %t/liblookup.so
// RUN: FileCheck %s --check-prefix=HEADER < %t/liblookup.h
// RUN: llvm-nm -D --undefined-only %t/liblookup.so | FileCheck %s --check-prefix=NEEDS
// RUN: not effattn-compile %s --emulate-gpu -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: effattn-compile %S/cuda.mlir --target=cuda:sm_90 --emulate-gpu -o %t/libattention.so
// RUN: llvm-nm -D --undefined-only %t/libattention.so | FileCheck %s --check-prefix=NEEDS

/// effattn-compile --target=cuda:sm_90 --emulate-gpu: the GPU lowering with
/// its kernels run as host loops. The library is a CPU library (host
/// pointers, no CUDA runtime); it needs no CUDA toolkit. Kernels whose
/// threads synchronize (the flash-attention kernels) run in lockstep.

// HEADER-NOT: DEVICE pointers
// HEADER: int32_t lookup(const float *arg0, const int64_t *arg0_shape,
// NEEDS-NOT: dlopen
// NEEDS-NOT: mgpu
// CPU: effattn-compile: error: --emulate-gpu needs a cuda: target

func.func @lookup(%x: tensor<5x64xf32>, %w: tensor<1x4x4x16x16xf32>, %pb: tensor<64xf32>, %t: tensor<8x256x32xf32>, %b: tensor<32xf32>) -> tensor<5x32xf32> {
  %o = tensor.empty() : tensor<5x32xf32>
  %r = effattn.lookup_ffn {projection = "bh4", code_bits = 8} ins(%x, %w, %pb, %t, %b : tensor<5x64xf32>, tensor<1x4x4x16x16xf32>, tensor<64xf32>, tensor<8x256x32xf32>, tensor<32xf32>) outs(%o : tensor<5x32xf32>) -> tensor<5x32xf32>
  return %r : tensor<5x32xf32>
}
