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

/// Compile-only: Nyström, YOSO-E, YOSO-LSH (its bucket sums as atomic f32
/// adds), FrameQuant's frame_linear (3-bit codes), LookupFFN with the BH4 projection (its
/// Walsh-Hadamard butterflies as gather kernels) and a model's own matmul
/// through effattn-gpu-pipeline. Every linalg op of their decompositions is
/// a kernel (256 threads, one per output element); ptxas accepts them all
/// for sm_80 and sm_90 with no stack and no spills, and the host only
/// allocates, copies and launches.

// PTXAS: Compiling entry function 'nystrom_kernel'
// PTXAS: Compiling entry function 'yoso_kernel'
// PTXAS: Compiling entry function 'yoso_lsh_kernel'
// PTXAS: Compiling entry function 'lookup_kernel'
// PTXAS: Compiling entry function 'matmul_kernel'
// PTXAS: Compiling entry function 'frame_kernel'

// PTX: .entry yoso_lsh_kernel
// PTX: {{red|atom}}.global.add.f32
/// The Hadamard matrix of BH4's dense stage is a device global.
// PTX: .global .align {{[0-9]+}} .b8 __constant_16x16xf32[1024] = {0, 0, 128, 63,
// PTX: .entry lookup_kernel

/// No constant stays in host memory for kernels to read.
// HOST-NOT: llvm.mlir.global {{.*}}@__constant_
// HOST-LABEL: llvm.func @nystrom(
// HOST: llvm.call @mgpuMemAlloc
// HOST: gpu.launch_func <%{{.+}} : !llvm.ptr> @nystrom_kernel::@nystrom_kernel blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}})
// HOST-NOT: llvm.load
// HOST: llvm.call @mgpuMemFree
// HOST-LABEL: llvm.func @_mlir_ciface_nystrom(
func.func @nystrom(%q: tensor<2x256x64xf32>, %k: tensor<2x256x64xf32>, %v: tensor<2x256x64xf32>) -> tensor<2x256x64xf32> {
  %o = tensor.empty() : tensor<2x256x64xf32>
  %r = effattn.nystrom_attention {num_landmarks = 16 : i64} ins(%q, %k, %v : tensor<2x256x64xf32>, tensor<2x256x64xf32>, tensor<2x256x64xf32>) outs(%o : tensor<2x256x64xf32>) -> tensor<2x256x64xf32>
  return %r : tensor<2x256x64xf32>
}

func.func @yoso(%q: tensor<4x100x32xf16>, %v: tensor<4x100x16xf16>) -> tensor<4x100x16xf16> {
  %o = tensor.empty() : tensor<4x100x16xf16>
  %r = effattn.yoso_attention {mode = "expectation"} ins(%q, %q, %v : tensor<4x100x32xf16>, tensor<4x100x32xf16>, tensor<4x100x16xf16>) outs(%o : tensor<4x100x16xf16>) -> tensor<4x100x16xf16>
  return %r : tensor<4x100x16xf16>
}

func.func @yoso_lsh(%q: tensor<4x100x32xf32>, %v: tensor<4x100x16xf32>, %p: tensor<32x64xf32>) -> tensor<4x100x16xf32> {
  %o = tensor.empty() : tensor<4x100x16xf32>
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 8, num_hashes = 8} ins(%q, %q, %v : tensor<4x100x32xf32>, tensor<4x100x32xf32>, tensor<4x100x16xf32>) projection(%p : tensor<32x64xf32>) outs(%o : tensor<4x100x16xf32>) -> tensor<4x100x16xf32>
  return %r : tensor<4x100x16xf32>
}

func.func @lookup(%x: tensor<?x64xf32>, %w: tensor<1x4x4x16x16xf32>, %pb: tensor<64xf32>, %t: tensor<8x256x32xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %o = tensor.empty(%n) : tensor<?x32xf32>
  %r = effattn.lookup_ffn {projection = "bh4", code_bits = 8} ins(%x, %w, %pb, %t, %b : tensor<?x64xf32>, tensor<1x4x4x16x16xf32>, tensor<64xf32>, tensor<8x256x32xf32>, tensor<32xf32>) outs(%o : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

func.func @matmul(%a: tensor<128x64xf16>, %b: tensor<64x96xf16>) -> tensor<128x96xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x96xf32>
  %c0 = linalg.fill ins(%zero : f32) outs(%e : tensor<128x96xf32>) -> tensor<128x96xf32>
  %c = linalg.matmul ins(%a, %b : tensor<128x64xf16>, tensor<64x96xf16>) outs(%c0 : tensor<128x96xf32>) -> tensor<128x96xf32>
  return %c : tensor<128x96xf32>
}

func.func @frame(%x: tensor<?x128xf32>, %codes: tensor<8x13x16xi32>, %s: tensor<128xf32>, %z: tensor<128xf32>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x128xf32>
  %o = tensor.empty(%n) : tensor<?x128xf32>
  %y = effattn.frame_linear {bits = 3, seed_in = 4, seed_out = 5} ins(%x, %codes, %s, %z : tensor<?x128xf32>, tensor<8x13x16xi32>, tensor<128xf32>, tensor<128xf32>) outs(%o : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}
