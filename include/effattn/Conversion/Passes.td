//===- Passes.td - effattn conversion passes ---------------*- tablegen -*-===//
//
// Part of the effattn project, under the Apache License v2.0 with LLVM
// Exceptions. See https://llvm.org/LICENSE.txt for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef EFFATTN_CONVERSION_PASSES_TD
#define EFFATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertEffAttnToGPUPass : Pass<"effattn-convert-to-gpu", "ModuleOp"> {
  let summary = "Replace effattn ops on tensors by GPU kernels";
  let description = [{
    Replaces each effattn op by a `gpu.launch` on its buffers
    (`bufferization.to_buffer` of the operands, a new result buffer returned
    through `bufferization.to_tensor`), with tiles chosen for the module's
    `#effattn.gpu` target (`effattn.target`; the `gpu` option names a preset
    when the module has none) and checked against its shared-memory and
    register budgets: a tiling that does not fit is an error naming the op
    and what to shrink, never a failed launch.

    `effattn.attention` becomes a flash-attention kernel: a block per tile
    of query rows, keys and values staged in shared memory, an online
    softmax in registers, no N×M buffer; f16 and bf16 with head sizes that are
    multiples of 16 runs on tensor cores (`nvgpu.mma.sync` m16n8k16, f32
    accumulation), and so does f32 as 3xTF32 (m16n8k8 tf32, three products
    per multiply-add; `f32-contractions=fma` keeps f32 FMAs) where its tiles
    fit, everything else on f32 FMAs.

    `effattn.block_sparse_attention` (what MRA decomposes into) becomes the
    same kernels over each block row's listed key blocks: a block of
    threads per (batch element, block row), one key block per tile; where
    neither kernel applies (dynamic head dimensions, blocks that are not a
    multiple of 16 keys or too large for the target) it is decomposed
    instead.

    Other effattn ops are left to `effattn-decompose`, whose linalg ops
    `effattn-gpu-map-linalg` runs as kernels.
  }];
  let options = [
    Option<"gpu", "gpu", "std::string", /*default=*/"\"sm_90\"",
           "GPU preset used when the module has no #effattn.gpu target">,
    Option<"attentionWarpRows", "attention-warp-rows", "int64_t",
           /*default=*/"0",
           "Query rows per warp of the tensor-core attention kernel: 16 or "
           "32 (two m16 tiles sharing each K and V fragment); 0 for the tile "
           "model's choice">,
    Option<"f32Contractions", "f32-contractions", "std::string",
           /*default=*/"\"3xtf32\"",
           "How f32 attention multiplies: 3xtf32 (tensor cores, three tf32 "
           "products per multiply-add) or fma (f32 FMAs)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::effattn::EffAttnDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def EffAttnGPUDeviceBuffersPass
    : Pass<"effattn-gpu-device-buffers", "ModuleOp"> {
  let summary = "Allocate the host code's buffers in GPU memory";
  let description = [{
    In a library compiled for a GPU every tensor lives in device memory: the
    caller passes device pointers, and the buffers the host code allocates
    are for kernels. This pass frees each buffer that does not escape its
    block after its last use (direct or through a view); a loop that
    allocates a new buffer per iteration in place of the one it received
    frees that one in each iteration and its result after the loop. It then
    turns
    `memref.alloc`, `memref.dealloc` and `memref.copy` of host functions
    (outside `gpu.launch`) into `gpu.alloc`, `gpu.dealloc` and `gpu.memcpy`;
    run `effattn-gpu-one-stream` afterwards. It replaces upstream's buffer
    deallocation pipeline, which rejects the kernels' barriers.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def EffAttnGPUOneStreamPass
    : Pass<"effattn-gpu-one-stream", "func::FuncOp"> {
  let summary = "Run a host function's GPU work on one stream, waiting only "
                "where the host needs it";
  let description = [{
    Makes the GPU ops of host code (`gpu.launch_func`, `gpu.alloc`,
    `gpu.dealloc`, `gpu.memcpy`, `gpu.memset`) asynchronous on one stream
    (`gpu.wait async` creates it) and waits for it (`gpu.wait`) only before
    an op that may touch what the GPU computes (any other op with side
    effects) and before the function returns. Unlike upstream's
    `gpu-async-region`, which waits at every block boundary, a loop or
    branch whose regions hold only GPU ops and side-effect-free host code
    runs on the enclosing stream: its GPU ops depend on the stream's token,
    and nothing waits between iterations (each of Nyström's 6
    pseudo-inverse iterations used to wait for the GPU). Where the regions also read host
    buffers that none of their GPU ops copies into (host copies of device
    values made before the op), the host waits once before the op and the
    regions run on one stream. Other regions start their own stream, as
    `gpu-async-region` does. Run after `gpu-kernel-outlining`, on host
    code without asynchronous GPU ops, and after the last canonicalization
    before `gpu-to-llvm`: the GPU ops in a loop depend on the token from
    before the loop and their own tokens end in the loop (one stream after
    `gpu-to-llvm`), so the wait after it may be on a token without
    dependencies, which upstream's `gpu.wait` canonicalization drops.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def EffAttnGPULowerBf16MmaPass
    : Pass<"effattn-gpu-lower-bf16-mma", "ModuleOp"> {
  let summary = "Lower bf16 nvgpu.mma.sync to nvvm.mma.sync";
  let description = [{
    The kernels use `nvgpu.mma.sync` for f16, bf16 and i8 tensor-core
    products alike (one host emulation covers them all). Upstream's
    `convert-nvgpu-to-nvvm` lowers f16 and i8 but not bf16; this pass
    rewrites bf16 m16n8k16 products into f32 as `nvvm.mma.sync` on the
    fragments' 32-bit registers (the fragment layouts are f16's). Run it
    before `convert-nvgpu-to-nvvm`.
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def EffAttnGPUMapLinalgPass : Pass<"effattn-gpu-map-linalg", "ModuleOp"> {
  let summary = "Run each linalg op on buffers as a GPU kernel";
  let description = [{
    The GPU lowering of everything an effattn op decomposes into: each
    linalg op on buffers outside a kernel becomes a `gpu.launch` with one
    thread per element of its parallel loops (collapsed to one dimension
    and split into blocks of `threads-per-block`, at most the target's
    limit) and its reduction loops run in order by that thread. A
    contraction (a GEMM, batched, transposed or with a shared operand) is a
    blocked kernel instead, 64 × 64 tiles of the output per block with
    slices of both operands staged in two stages of shared memory (the
    next slices loaded into registers while the current ones are
    multiplied, one barrier per step): on tensor cores
    (`nvgpu.mma.sync`, 4 warps, slices of 64 bytes along K) for f16 and
    bf16 operands into f32, i8 operands into i32 (summed by chunks of 2^16
    along K, which cannot saturate, added with wrapping adds) and, with
    `f32-contractions=3xtf32` (the default), f32 operands into f32 as three
    tf32 products per multiply-add (near-f32 accuracy) where the target has
    the mma shape, else on 16 × 16 threads with f32 FMAs, slices of 16
    along K; when
    its tiles are too few for the target's SMs and K is long, K is split
    over blocks that add their sums to C atomically. On a
    `#effattn.gpu` target, a reduction with one commutative combiner (add,
    mul, max, min, and, or, xor) and static sizes whose outputs are too few
    to keep a thread per output busy (MRA's top-k counts, a softmax over
    long rows, a full reduction) runs a block of threads per output
    element: strided partial values, then a tree in shared memory. Any
    other op with no parallel loop (a 0-d fill) runs in a kernel of one
    thread. Copies between strided views become kernels too; contiguous
    copies stay `memref.copy` for `effattn-gpu-device-buffers`. A
    `scf.forall` over buffers (a decomposition's per-row loop) becomes one
    thread per iteration, the linalg ops and loops of its body running in
    that thread and its static temporaries in private memory
    (`memref.alloca`). Constants kernels read (`memref.get_global`) move
    into the kernels, so that outlining makes them device globals. Each
    thread reduces in registers: its output elements are read once and
    written once. Sequential code on buffers left in host code (IM-Unpack's
    scans and search) runs in kernels of one thread whose scalar results
    come back through 0-d buffers, and the buffers host code loads from
    (run-time sizes, loop bounds) are copied to host memory
    (`memref.alloca`) once before the outermost loop that does not write
    them: afterwards host code never dereferences a device pointer.
  }];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t",
           /*default=*/"256", "Threads per block of the kernels">,
    Option<"f32Contractions", "f32-contractions", "std::string",
           /*default=*/"\"3xtf32\"",
           "How f32 GEMMs multiply: 3xtf32 (tensor cores, three tf32 "
           "products per multiply-add) or fma (f32 FMAs, IEEE f32 "
           "products)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def EffAttnGPUEmulateLaunchesPass
    : Pass<"effattn-gpu-emulate-launches", "ModuleOp"> {
  let summary = "Run GPU kernels on the host, as loops over blocks and threads";
  let description = [{
    Replaces each `gpu.launch` by an `scf.parallel` loop over its grid
    around `scf.for` loops over its block (in an alloca scope per thread),
    whose body is the kernel's with the block and thread ids replaced by the
    loops' induction variables. This is how a
    machine without a GPU checks what the GPU pipeline computes
    (`effattn-gpu-pipeline{emulate}`, `effattn-compile --emulate-gpu`).

    That is exact for kernels whose threads do not communicate, such as
    those of `effattn-gpu-map-linalg`. A kernel whose threads synchronize
    (the flash-attention kernels) runs each block in lockstep instead: the
    body is cut at every barrier, and between cuts the warp-level ops that
    read other lanes' values (`gpu.shuffle`, `nvgpu.ldmatrix`,
    `nvgpu.mma.sync`) split it into phases (independent ones share a phase);
    each phase is a loop over the block's threads for its thread ops and one
    for its warp-level ops, values that live across loops are kept per
    thread, the warp-level ops read the other lanes' values (by the PTX
    fragment layouts for the tensor-core ops; an `mma.sync` is a call
    of one private function per shape and type), `cp.async` copies at once,
    and shared memory is a heap buffer per block. Loops and branches around
    barriers and warp-level ops must be uniform across the block (as CUDA
    requires). Other
    NVVM/nvgpu ops (`mma.sync` shapes or types other than m16n8k16 f16/bf16
    into f32, m16n8k32 i8 into i32 and m16n8k8 tf32 into f32), attributions,
    collective reductions and a synchronizing `scf.while` are errors.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // EFFATTN_CONVERSION_PASSES_TD
