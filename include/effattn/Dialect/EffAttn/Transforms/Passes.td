//===- Passes.td - EffAttn transformation passes -----------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD
#define EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def EffAttnScheduleMatmulsPass
    : Pass<"effattn-schedule-matmuls", "func::FuncOp"> {
  let summary = "Tile, pack and vectorize f32 matmuls for the CPU target";
  let description = [{
    Applies to every `linalg.matmul` on static f32 tensors a BLIS-style
    schedule (transform dialect, upstream ops only) with the tile sizes of
    its `effattn.lowering_config` (`#effattn.gemm_config`; an error when
    they do not tile its shape) or, without one, those the module's
    `#effattn.cpu` target implies (`effattn/Target/GemmTiles.h`): threads
    over M, cache tiles MC × NC × KC, packed A and B panels, an MR × NR
    register tile of `vector.fma` with the C tile in registers across K.
    Matmuls whose dimensions no cache tile divides are left to the generic
    lowering.

    Example: `effattn-opt --effattn-schedule-matmuls`.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::transform::TransformDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def EffAttnConfigureLoweringPass
    : Pass<"effattn-configure-lowering", "func::FuncOp"> {
  let summary = "Choose the lowering config of effattn ops for the CPU target";
  let description = [{
    Sets `lowering_config` on every `effattn.attention` without one to the
    `#effattn.flash_config` that `effattn/Target/AttentionTiles.h` derives
    from the module's `#effattn.cpu` target (none attached: 16 256-bit
    registers, 32 KiB L1), and `effattn.lowering_config` on every static
    f32 `linalg.matmul` to the `#effattn.gemm_config` of
    `effattn/Target/GemmTiles.h` (when its cache tiles divide the shape),
    and on every `effattn.unpacked_matmul` the `#effattn.pair_gemm_config`
    of the same header. A config already on an op, written by the user, is
    kept. Modules with a
    `#effattn.gpu` target are left alone.

    Example: `effattn-opt --effattn-configure-target="cpu=x86-64-v4"
    --effattn-configure-lowering`.
  }];
  let dependentDialects = ["::mlir::effattn::EffAttnDialect"];
}

def EffAttnApproximateExpPass
    : Pass<"effattn-approximate-exp", "func::FuncOp"> {
  let summary = "Replace f32 math.exp by a polynomial approximation";
  let description = [{
    Rewrites every f32 `math.exp`, scalar or vector, into upstream MLIR's
    polynomial approximation (range reduction by ln 2, Cephes' polynomial,
    the power of two built from exponent bits): plain arithmetic that
    vectorizes, instead of one libm call per element. Within a few ulp of
    `expf`; results below the smallest normal f32 (x < -87.3) are 0, NaN
    stays NaN.

    Example: `effattn-opt --effattn-approximate-exp`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def EffAttnTilePass : Pass<"effattn-tile", "func::FuncOp"> {
  let summary = "Tile effattn ops along their parallel dimensions";
  let description = [{
    Tiles every effattn op with the upstream `TilingInterface` driver into an
    `scf.forall` nest: batch dimensions by 1, the query/row dimension by
    `row-tile-size` (by the `query_tile` of an op's `lowering_config`) and
    the remaining parallel dimensions not at all. The
    tiled ops stay whole (IREE's lesson: decompose late) so that
    `effattn-decompose` sees tiles whose temporaries fit in cache.

    Example: `effattn-opt --effattn-tile="row-tile-size=32"`.
  }];
  let options = [
    Option<"rowTileSize", "row-tile-size", "int64_t", /*default=*/"32",
           "Tile size of the query/row dimension (0 leaves it untiled)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def EffAttnDistributePass : Pass<"effattn-distribute", "func::FuncOp"> {
  let summary = "Split linalg ops outside parallel loops over the CPU's cores";
  let description = [{
    Tiles every linalg op that is not inside an `scf.forall` (effattn ops'
    tiles and scheduled GEMMs already run in one) and whose outermost loop
    is parallel into an `scf.forall` of `chunks` chunks of that loop
    (upstream `scf::tileUsingSCF`), which the CPU pipeline runs as an OpenMP
    worksharing loop. `chunks` 0 (the default) takes the cores of the
    module's `#effattn.cpu` target, or 2 when it does not say. Ops with
    fewer than `min-iterations` iterations (all loops, static sizes; a
    dynamic size counts as large) stay sequential.

    Example: `effattn-opt --effattn-distribute="chunks=4"`.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", /*default=*/"0",
           "Chunks of the outermost loop (0: the target's cores)">,
    Option<"minIterations", "min-iterations", "int64_t",
           /*default=*/"65536",
           "Smallest iteration count worth splitting">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def EffAttnDecomposePass : Pass<"effattn-decompose", "func::FuncOp"> {
  let summary = "Decompose effattn ops into linalg";
  let description = [{
    Replaces every effattn op by its `AggregatedOpInterface` decomposition: a
    chain of `linalg` ops on tensors computing in f32 (for
    `effattn.attention`: Q·Kᵀ, scale and mask, row max, exp, row sum, P·V,
    normalisation; with a `lowering_config`, the flash form's vector loops
    over key blocks with L1-sized scratch buffers). The ops named in `keep`
    (e.g. `effattn.block_sparse_attention`, which effattn-convert-to-gpu
    turns into a kernel) are left as they are, also where a decomposition
    emits them.
  }];
  let options = [
    ListOption<"keep", "keep", "std::string",
               "effattn ops to leave for a later pass, by name">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def EffAttnQuantizeWeightsPass
    : Pass<"effattn-quantize-weights", "func::FuncOp"> {
  let summary = "Quantize constant weights of effattn.frame_quantize at "
                "compile time";
  let description = [{
    Replaces every `effattn.frame_quantize` of a constant weight tensor by
    three constants: the packed codes, the scales and the zero points
    (`quantizeFrameWeights` and `packFrameCodes` of lib/FrameQuant). The f32
    weights then have no use left, so a compiled model holds only the packed
    codes. A `frame_quantize` whose weights are not a constant is an error:
    FrameQuant is post-training quantization and runs in the compiler.

    Example: `effattn-opt --effattn-quantize-weights`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def EffAttnConfigureTargetPass
    : Pass<"effattn-configure-target", "ModuleOp"> {
  let summary = "Attach the CPU or GPU target description to the module";
  let description = [{
    Sets the module attribute `effattn.target` to the `#effattn.cpu`
    description named by `cpu`: `host` (the running machine: LLVM's host CPU
    name and features, cache sizes from sysfs, the online cores) or a preset
    (`x86-64-v3`, `x86-64-v4`, `skylake-avx512`, `znver3`, `znver4`); or,
    when `gpu` is given, to the `#effattn.gpu` preset it names (`sm_80`,
    `sm_90`, also spelled `cuda:sm_90`). An unknown name is an error that
    lists the known ones.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", /*default=*/"\"host\"",
           "CPU to describe: host or a preset name">,
    Option<"gpu", "gpu", "std::string", /*default=*/"\"\"",
           "GPU to describe instead of a CPU: sm_80 or sm_90">
  ];
  let dependentDialects = ["::mlir::effattn::EffAttnDialect"];
}

def EffAttnLowerRuntimeErrorsPass
    : Pass<"effattn-lower-runtime-errors", "ModuleOp"> {
  let summary = "Lower effattn.fail_if to calls of the runtime's effattn_fail";
  let description = [{
    Replaces every `effattn.fail_if %c, "message" {status = s}` by
    `scf.if %c { llvm.call @effattn_fail(s, @message) }`, declaring
    `void effattn_fail(int32_t, const char *)` (libeffattn_runtime) and one
    private NUL-terminated string global per distinct message in the module.
    The C entry points generated by effattn-compile return the recorded
    status.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def EffAttnLowerVectorOpsPass
    : Pass<"effattn-lower-vector-ops", "ModuleOp"> {
  let summary = "Lower effattn's vector ops to the target's instructions";
  let description = [{
    Replaces every `effattn.table_lookup` by a call of the AVX-512 intrinsic
    `llvm.x86.avx512.permvar.sf.512` (one `vpermps`) when the module's
    `#effattn.cpu` target has `avx512f`, and otherwise by 16 lanes of
    `vector.extract` / `vector.insert` with the index masked to 4 bits.
    Replaces every `effattn.multiply_add_pairs` of 16, 8 or 4 lanes by a
    call of `pmaddwd` (`llvm.x86.avx512.pmaddw.d.512` with `avx512bw`,
    `llvm.x86.avx2.pmadd.wd` with `avx2`, `llvm.x86.sse2.pmadd.wd`) and an
    add, which LLVM fuses into `vpdpwssd` on AVX-512 VNNI; otherwise (other
    lengths or targets) by even/odd shuffles, sign extensions, products and
    sums. Runs after bufferization (the intrinsic calls have no declared
    memory effects).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def EffAttnOrderLoopsPass : Pass<"effattn-order-loops", "func::FuncOp"> {
  let summary = "Make the innermost loop of linalg.generic ops contiguous";
  let description = [{
    Interchanges the loops of a `linalg.generic` whose innermost loop is a
    reduction so that the parallel loop indexing the output's last
    (contiguous) dimension becomes innermost, when every input either does
    not use that loop or also indexes its last dimension with it. A matmul
    `(i, j, k)` becomes `(i, k, j)`: its inner loop then streams rows of B
    and C and vectorizes without reassociating the sum. Contractions over a
    contiguous reduction (Q·Kᵀ over D) are left alone.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def EffAttnEmitCInterfacePass
    : Pass<"effattn-emit-c-interface", "ModuleOp"> {
  let summary = "Mark public functions for a C-callable memref interface";
  let description = [{
    Adds `llvm.emit_c_interface` to every public `func.func` with a body, so
    that `convert-func-to-llvm` also emits `_mlir_ciface_<name>`, a wrapper
    that takes each memref as a pointer to its descriptor (and returns
    results through a leading pointer). This is the entry point that C
    callers and the Python loader use.
  }];
}

#endif // EFFATTN_DIALECT_EFFATTN_TRANSFORMS_PASSES_TD
