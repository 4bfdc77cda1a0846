//===- EffAttnAttrs.td - EffAttn attributes ----------------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_IR_EFFATTNATTRS_TD
#define EFFATTN_DIALECT_EFFATTN_IR_EFFATTNATTRS_TD

include "effattn/Dialect/EffAttn/IR/EffAttnBase.td"
include "mlir/IR/AttrTypeBase.td"

def EffAttn_CpuTargetAttr : AttrDef<EffAttn_Dialect, "CpuTarget"> {
  let mnemonic = "cpu";
  let summary = "A CPU that effattn generates code for";
  let description = [{
    What the code generator needs to know about a CPU: its LLVM name, the
    ISA features that matter for code generation (`avx2`, `fma`, `avx512f`,
    `avx512vnni`, ...), the vector width in bits and the number of vector
    registers, the per-core data cache sizes in bytes (L1, L2; L3 shared)
    and the number of cores (0: decided at run time).
    `effattn-configure-target` attaches one to the module as `effattn.target`
    (`cpu=host` detects the running machine; presets name common CPUs).

    Example:

    ```mlir
    module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
        features = ["avx2", "fma", "avx512f"], vector_bits = 512,
        vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
        l3_bytes = 33554432, cores = 2>} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"LLVM CPU name">:$cpu,
                        "ArrayAttr":$features,
                        "int64_t":$vector_bits,
                        "int64_t":$vector_registers,
                        "int64_t":$l1_bytes,
                        "int64_t":$l2_bytes,
                        "int64_t":$l3_bytes,
                        "int64_t":$cores);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Returns true if `feature` (an LLVM feature name) is listed.
    bool hasFeature(::llvm::StringRef feature) const;
  }];
}

def EffAttn_GpuTargetAttr : AttrDef<EffAttn_Dialect, "GpuTarget"> {
  let mnemonic = "gpu";
  let summary = "An NVIDIA GPU that effattn generates code for";
  let description = [{
    What the GPU code generator needs to know about an NVIDIA GPU: the
    architecture (`chip`, `sm_80` or `sm_90`), the PTX ISA features to emit
    (`+ptx80`), the number of streaming multiprocessors, the warp size, the
    most threads a block may have, the shared memory a block may use (the
    opt-in maximum, in bytes) and an SM holds, the 32-bit registers of an SM
    and the most a thread may use, and the warp-level tensor-core
    instructions (`mma_shapes`, "<operand type>:m<M>n<N>k<K>").
    `effattn-configure-target{gpu=sm_90}` attaches one to the module as
    `effattn.target`; the GPU conversion chooses its tiles from it and
    checks their shared-memory and register budgets against it.

    Example:

    ```mlir
    module attributes {effattn.target = #effattn.gpu<chip = "sm_90",
        features = "+ptx80", sm_count = 132, warp_size = 32,
        max_threads_per_block = 1024, shared_memory_per_block = 232448,
        shared_memory_per_sm = 233472, registers_per_sm = 65536,
        max_registers_per_thread = 255,
        mma_shapes = ["f16:m16n8k16", "bf16:m16n8k16", "i8:m16n8k32"]>} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"architecture, sm_XX">:$chip,
                        StringRefParameter<"PTX features">:$features,
                        "int64_t":$sm_count,
                        "int64_t":$warp_size,
                        "int64_t":$max_threads_per_block,
                        "int64_t":$shared_memory_per_block,
                        "int64_t":$shared_memory_per_sm,
                        "int64_t":$registers_per_sm,
                        "int64_t":$max_registers_per_thread,
                        "ArrayAttr":$mma_shapes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def EffAttn_FlashConfigAttr : AttrDef<EffAttn_Dialect, "FlashConfig"> {
  let mnemonic = "flash_config";
  let summary = "How effattn.attention runs on a CPU in the flash form";
  let description = [{
    The lowering configuration of exact attention on a CPU: queries in
    tiles of `query_tile` rows (a multiple of `vector_width` f32 lanes,
    queries along the lanes), keys in blocks of `key_block` whose scores stay
    in the L1 cache while a running maximum and sum rescale the output
    (no N × M buffer), register tiles of `key_register_tile` keys when
    computing scores and of `value_register_tile` value columns when
    accumulating the output. `effattn-configure-lowering` chooses it from
    the module's `#effattn.cpu` target; a config already on an op is kept,
    so users may set their own.

    Example:

    ```mlir
    #effattn.flash_config<vector_width = 16, query_tile = 32,
                          key_block = 126, key_register_tile = 14,
                          value_register_tile = 13>
    ```
  }];
  let parameters = (ins "int64_t":$vector_width,
                        "int64_t":$query_tile,
                        "int64_t":$key_block,
                        "int64_t":$key_register_tile,
                        "int64_t":$value_register_tile);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def EffAttn_GemmConfigAttr : AttrDef<EffAttn_Dialect, "GemmConfig"> {
  let mnemonic = "gemm_config";
  let summary = "How an f32 linalg.matmul runs on a CPU";
  let description = [{
    The BLIS-style blocking that `effattn-schedule-matmuls` applies to
    C[M, N] += A[M, K] · B[K, N]: `threads` split M, cache tiles `mc` × `nc`
    × `kc` (loop order jc, pc, ic; packed A and B panels), an `mr` × `nr`
    register tile of vector FMAs with the C tile in registers across K.
    `effattn-configure-lowering` records the config that
    `effattn/Target/GemmTiles.h` derives from the target on each static f32
    `linalg.matmul` as the discardable attribute `effattn.lowering_config`;
    one written by the user is kept. Each cache tile must divide its
    dimension (`mc` the rows of a thread) and `nr` must divide `nc`.

    Example:

    ```mlir
    %r = linalg.matmul {effattn.lowering_config = #effattn.gemm_config<
             threads = 2, mc = 128, nc = 1024, kc = 128, mr = 8, nr = 32>}
        ins(%a, %b : tensor<1024x1024xf32>, tensor<1024x1024xf32>)
        outs(%c : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
    ```
  }];
  let parameters = (ins "int64_t":$threads,
                        "int64_t":$mc,
                        "int64_t":$nc,
                        "int64_t":$kc,
                        "int64_t":$mr,
                        "int64_t":$nr);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def EffAttn_PairGemmConfigAttr : AttrDef<EffAttn_Dialect, "PairGemmConfig"> {
  let mnemonic = "pair_gemm_config";
  let summary = "How effattn.unpacked_matmul's low-bit GEMMs run on a CPU";
  let description = [{
    The kernel of the i8 GEMMs inside `effattn.unpacked_matmul`: both
    operands packed as pairs of adjacent inner-dimension entries widened to
    i16 (one i32 per pair), in panels of `mr` rows (lhs) and `nr` columns
    (rhs); an `mr` × `nr` register tile of i32 sums, `nr` a multiple of
    `vector_width` i32 lanes, updated per pair by `mr` · `nr` /
    `vector_width` multiply-add-pairs of i16 (written as even/odd shuffles,
    sign extensions, products and sums, which LLVM selects as `vpmaddwd` on
    AVX2 and `vpdpwssd` on AVX-512 VNNI). `effattn-configure-lowering`
    chooses it from the module's `#effattn.cpu` target
    (`effattn/Target/GemmTiles.h`); one written by the user is kept.
    Without a config the op decomposes into target-independent linalg.

    Example:

    ```mlir
    #effattn.pair_gemm_config<vector_width = 16, mr = 8, nr = 32>
    ```
  }];
  let parameters = (ins "int64_t":$vector_width,
                        "int64_t":$mr,
                        "int64_t":$nr);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // EFFATTN_DIALECT_EFFATTN_IR_EFFATTNATTRS_TD
