// RUN: effattn-compile %s --emit=mlir-after=tile -o - | FileCheck %s --check-prefix=TILE
// RUN: effattn-compile %s --emit=mlir-after=tile --target=x86-64-v3 -o - | FileCheck %s --check-prefix=TARGET
// RUN: effattn-compile %s --emit=mlir-after=decompose -o - | FileCheck %s --check-prefix=DECOMPOSE
// RUN: effattn-compile %s --emit=mlir-after=bufferize -o - | FileCheck %s --check-prefix=BUFFERIZE
// RUN: effattn-compile %s --emit=mlir-after=llvm -o - | FileCheck %s --check-prefix=LLVMDIALECT
// RUN: effattn-compile %s --emit=llvm --target=x86-64-v3 -o - | FileCheck %s --check-prefix=LLVMIR
// RUN: effattn-compile %s --emit=asm --target=x86-64-v3 -o - | FileCheck %s --check-prefix=ASM
// RUN: effattn-compile %s --emit=llvm -o - | FileCheck %s --check-prefix=PARALLEL
// RUN: effattn-compile %s --emit=llvm --parallel=false -o - | FileCheck %s --check-prefix=SERIAL
// RUN: rm -rf %t && mkdir -p %t
// RUN: effattn-compile %s -o %t/libtwo_heads.so && FileCheck %s --check-prefix=HEADER < %t/libtwo_heads.h
// RUN: effattn-compile %s --emit=static -o %t/libtwo_heads.a && llvm-nm %t/libtwo_heads.a | FileCheck %s --check-prefix=STATIC
// RUN: effattn-compile %s --emit=obj -o %t/two_heads.o --header=%t/custom.h && FileCheck %s --check-prefix=HEADER-OBJ < %t/custom.h

/// Every stage of effattn-cpu-pipeline, as effattn-compile runs it (public
/// functions renamed, results as out-parameters), can be printed, and every
/// artefact kind written; the C header describes the plain entry point.

func.func @two_heads(%q: tensor<2x40x16xf32>, %k: tensor<2x40x16xf32>,
                     %v: tensor<2x40x16xf32>) -> tensor<2x40x16xf32> {
  %init = tensor.empty() : tensor<2x40x16xf32>
  %r = effattn.attention {causal}
      ins(%q, %k, %v : tensor<2x40x16xf32>, tensor<2x40x16xf32>, tensor<2x40x16xf32>)
      outs(%init : tensor<2x40x16xf32>) -> tensor<2x40x16xf32>
  return %r : tensor<2x40x16xf32>
}

// The tile models see the description of --target.
// TARGET: module attributes {effattn.target = #effattn.cpu<cpu = "x86-64-v3"
// TARGET-SAME: vector_bits = 256, vector_registers = 16
// TARGET: scf.forall {{.*}} step (1, 16)
// TARGET: effattn.attention {causal, lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 252, key_register_tile = 6, value_register_tile = 6>}

// TILE-LABEL: func.func @__effattn_impl_two_heads
// TILE: scf.forall
// TILE: effattn.attention {causal, lowering_config = #effattn.flash_config<{{.+}}>} {{.*}} query_offset(

// DECOMPOSE-LABEL: func.func @__effattn_impl_two_heads
// DECOMPOSE-NOT: effattn.attention
// DECOMPOSE: vector.fma
// DECOMPOSE: math.roundeven

// BUFFERIZE-LABEL: func.func @__effattn_impl_two_heads
// BUFFERIZE-SAME: %{{.+}}: memref<2x40x16xf32>, %{{.+}}: memref<2x40x16xf32>, %{{.+}}: memref<2x40x16xf32>, %[[OUT:.+]]: memref<2x40x16xf32>)
// BUFFERIZE-NOT: tensor<

// LLVMDIALECT: llvm.func @_mlir_ciface___effattn_impl_two_heads(

/// AVX2 (x86-64-v3): 8-wide f32 vectors; the implementation is hidden.
// LLVMIR: define hidden void @__effattn_impl_two_heads(
// LLVMIR: <8 x float>
// LLVMIR: define hidden void @_mlir_ciface___effattn_impl_two_heads(

// ASM: __effattn_impl_two_heads:
// ASM: vfmadd
// ASM: %ymm
// ASM: _mlir_ciface___effattn_impl_two_heads:

/// Parallel tiles become an OpenMP region by default.
// PARALLEL: call void {{.*}}@__kmpc_fork_call(
// SERIAL-NOT: __kmpc_fork_call

// HEADER: #ifndef TWO_HEADS_H
// HEADER: const char *two_heads_last_error(void);
// HEADER: const char *two_heads_manifest(void);
// HEADER: two_heads(arg0: tensor<2x40x16xf32>, arg1: tensor<2x40x16xf32>, arg2: tensor<2x40x16xf32>) -> (result0: tensor<2x40x16xf32>)
// HEADER: int32_t two_heads(const float *arg0, const int64_t *arg0_shape, const float *arg1, const int64_t *arg1_shape, const float *arg2, const int64_t *arg2_shape, float *result0, const int64_t *result0_shape);
// HEADER: static const int64_t two_heads_result0_shape[3] = {2, 40, 16};

// STATIC-DAG: T two_heads
// STATIC-DAG: T two_heads_last_error
// STATIC-DAG: T two_heads_manifest

// HEADER-OBJ: const char *two_heads_last_error(void);
