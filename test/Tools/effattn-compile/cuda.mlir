// REQUIRES: cuda-toolkit
// RUN: effattn-compile %s --target=cuda:sm_90 --emit=llvm -o - | FileCheck %s --check-prefix=LLVMIR
// RUN: rm -rf %t && mkdir -p %t
// RUN: effattn-compile %s --target=cuda:sm_90 -o %t/libheads.so
// RUN: FileCheck %s --check-prefix=HEADER < %t/libheads.h
// RUN: llvm-nm -D --defined-only %t/libheads.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: llvm-nm -D --undefined-only %t/libheads.so | FileCheck %s --check-prefix=NEEDS
// RUN: not effattn-compile %s --target=cuda:sm_70 -o %t/bad.so 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not effattn-compile %s --target=cuda:sm_90 --emit=mlir-after=tile -o - 2>&1 | FileCheck %s --check-prefix=STAGE

/// effattn-compile --target=cuda:sm_XX: the kernel is embedded as a fatbin
/// that a constructor loads (through .init_array), the host code calls the
/// mgpu* runtime linked into the library, which opens the CUDA driver at run
/// time (no libcuda.so at link time); the header says the tensors are device
/// pointers and declares the device-memory helpers.

// LLVMIR: @__effattn_impl_heads_kernel_binary = internal constant [{{[0-9]+}} x i8]
// LLVMIR: @llvm.global_ctors = appending global {{.*}} @__effattn_impl_heads_kernel_load
// LLVMIR: define hidden void @_mlir_ciface___effattn_impl_heads(
// LLVMIR: define internal hidden void @__effattn_impl_heads_kernel_load()
// LLVMIR: call ptr @mgpuModuleLoad(ptr nonnull @__effattn_impl_heads_kernel_binary

// HEADER: #define EFFATTN_ERROR_DEVICE 6
// HEADER: Compiled for cuda:sm_90: tensors are DEVICE pointers.
// HEADER: int32_t heads_cuda_alloc(void **pointer, size_t bytes);
// HEADER: int32_t heads_cuda_release_memory(void);
// HEADER: int32_t heads(const uint16_t *arg0, const int64_t *arg0_shape,

// SYMBOLS-DAG: T heads
// SYMBOLS-DAG: T heads_cuda_alloc
// SYMBOLS-DAG: T heads_cuda_copy
// SYMBOLS-DAG: T heads_cuda_free
// SYMBOLS-DAG: T heads_cuda_release_memory
// SYMBOLS-DAG: T heads_manifest
// NEEDS-NOT: cu{{[A-Z]}}
// NEEDS: dlopen

// BAD: effattn-compile: error: unknown GPU target 'cuda:sm_70' (expected cuda:sm_80 or cuda:sm_90)
// STAGE: effattn-compile: error: --emit=mlir-after=... shows CPU pipeline stages; for a GPU target use effattn-opt --effattn-gpu-pipeline

func.func @heads(%q: tensor<2x40x16xf16>, %k: tensor<2x40x16xf16>,
                 %v: tensor<2x40x16xf16>) -> tensor<2x40x16xf16> {
  %init = tensor.empty() : tensor<2x40x16xf16>
  %r = effattn.attention ins(%q, %k, %v : tensor<2x40x16xf16>, tensor<2x40x16xf16>, tensor<2x40x16xf16>) outs(%init : tensor<2x40x16xf16>) -> tensor<2x40x16xf16>
  return %r : tensor<2x40x16xf16>
}
