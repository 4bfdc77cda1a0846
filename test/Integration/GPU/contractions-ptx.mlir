// REQUIRES: cuda-toolkit
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_90 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --check-prefix=PTXAS --implicit-check-not='{{[1-9][0-9]*}} bytes {{stack frame|spill}}'
// RUN: effattn-opt %s --effattn-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/gpu_object.py --all | FileCheck %s --check-prefix=PTX

/// Compile-only: the blocked GEMM kernels of plain linalg contractions on
/// tensor cores (4 warps, 2 × 4 mma.sync fragments each, per mma step,
/// loaded with ldmatrix: i8 and f32 fragments are b16 tiles too): f16 and
/// bf16 into f32, i8 into i32, and f32 as 3xTF32 (three m16n8k8 tf32
/// products per fragment pair, slices [64][16 + 4] f32). ptxas accepts
/// every kernel for sm_80 and sm_90 with no stack and no spills. (The SIMT
/// kernel: contractions-simt-ptx.mlir.)

// PTXAS: Compiling entry function 'single_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 20480 bytes smem
// PTXAS: Compiling entry function 'half_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 20480 bytes smem
// PTXAS: Compiling entry function 'brain_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 20480 bytes smem
// PTXAS: Compiling entry function 'int8_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 12288 bytes smem
// PTXAS: Compiling entry function 'long_k_kernel'
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 20480 bytes smem

/// (Each function's first kernel is its fill.)
// PTX: .entry single_kernel
// PTX: .maxntid 128, 1, 1
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
/// Per fragment pair: the small products (into the second accumulators),
/// then the big one.
// PTX-COUNT-48: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// PTX-NOT: mma.sync
// PTX: .entry half_kernel
// PTX: .maxntid 128, 1, 1
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-16: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX: .entry brain_kernel
// PTX: .maxntid 128, 1, 1
// PTX-COUNT-16: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// PTX: .entry int8_kernel
// PTX: .maxntid 128, 1, 1
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-COUNT-8: mma.sync.aligned.m16n8k32.row.col.satfinite.s32.s8.s8.s32
// PTX-NOT: mma.sync
/// K split over blocks: the tensor-core kernel's sums go to C as atomic
/// adds (no load and store of C).
// PTX: .entry long_k_kernel
// PTX: .maxntid 128, 1, 1
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: ld.global.b32
// PTX: atom.global.add.f32

func.func @single(%a: tensor<90x40xf32>, %b: tensor<40x70xf32>) -> tensor<90x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<90x70xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<90x70xf32>) -> tensor<90x70xf32>
  %r = linalg.matmul ins(%a, %b : tensor<90x40xf32>, tensor<40x70xf32>) outs(%c : tensor<90x70xf32>) -> tensor<90x70xf32>
  return %r : tensor<90x70xf32>
}

func.func @half(%a: tensor<65x48xf16>, %b: tensor<48x66xf16>) -> tensor<65x66xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<65x66xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<65x66xf32>) -> tensor<65x66xf32>
  %r = linalg.matmul ins(%a, %b : tensor<65x48xf16>, tensor<48x66xf16>) outs(%c : tensor<65x66xf32>) -> tensor<65x66xf32>
  return %r : tensor<65x66xf32>
}

func.func @brain(%a: tensor<65x48xbf16>, %b: tensor<48x66xbf16>) -> tensor<65x66xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<65x66xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<65x66xf32>) -> tensor<65x66xf32>
  %r = linalg.matmul ins(%a, %b : tensor<65x48xbf16>, tensor<48x66xbf16>) outs(%c : tensor<65x66xf32>) -> tensor<65x66xf32>
  return %r : tensor<65x66xf32>
}

func.func @int8(%a: tensor<50x100xi8>, %b: tensor<30x100xi8>) -> tensor<50x30xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<50x30xi32>
  %c = linalg.fill ins(%zero : i32) outs(%e : tensor<50x30xi32>) -> tensor<50x30xi32>
  %r = linalg.matmul indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>, affine_map<(i, j, k) -> (i, j)>] ins(%a, %b : tensor<50x100xi8>, tensor<30x100xi8>) outs(%c : tensor<50x30xi32>) -> tensor<50x30xi32>
  return %r : tensor<50x30xi32>
}

func.func @long_k(%a: tensor<20x2100xf16>, %b: tensor<2100x70xf16>) -> tensor<20x70xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20x70xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<20x70xf32>) -> tensor<20x70xf32>
  %r = linalg.matmul ins(%a, %b : tensor<20x2100xf16>, tensor<2100x70xf16>) outs(%c : tensor<20x70xf32>) -> tensor<20x70xf32>
  return %r : tensor<20x70xf32>
}
