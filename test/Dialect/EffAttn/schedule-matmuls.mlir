// RUN: effattn-opt %s --split-input-file --effattn-schedule-matmuls | FileCheck %s

// AVX2 (16 256-bit registers): threads over M, cache tiles jc/pc/ic, packed
// A and B panels (nofold pads hoisted out of the register-tile loops), and
// the 6 × 16 register tile: six vector.fma on vector<16xf32> per k; 128 rows
// of an M block = 21 tiles of 6 + a peeled tile of 2 (two more FMAs).

// CHECK-LABEL: func.func @avx2
// CHECK: scf.forall (%{{.+}}) in (2)
// CHECK: tensor.pad %{{.+}} nofold
// CHECK: tensor.pad %{{.+}} nofold
// CHECK-COUNT-6: vector.fma %{{.+}} : vector<16xf32>
// CHECK-COUNT-2: vector.fma %{{.+}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK-NOT: linalg.matmul
module attributes {effattn.target = #effattn.cpu<cpu = "x86-64-v3",
    features = ["avx2", "fma"], vector_bits = 256, vector_registers = 16,
    l1_bytes = 32768, l2_bytes = 1048576, l3_bytes = 8388608, cores = 2>} {
func.func @avx2(%a: tensor<256x512xf32>, %b: tensor<512x384xf32>, %c: tensor<256x384xf32>) -> tensor<256x384xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<256x512xf32>, tensor<512x384xf32>) outs(%c : tensor<256x384xf32>) -> tensor<256x384xf32>
  return %r : tensor<256x384xf32>
}
}

// -----

// AVX-512 (32 512-bit registers): an 8 × 32 register tile (two 16-lane
// vectors per row), which divides the M block: no peeled tile.

// CHECK-LABEL: func.func @avx512
// CHECK-COUNT-8: vector.fma %{{.+}} : vector<32xf32>
// CHECK-NOT: vector.fma
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @avx512(%a: tensor<128x256xf32>, %b: tensor<256x1024xf32>, %c: tensor<128x1024xf32>) -> tensor<128x1024xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<128x256xf32>, tensor<256x1024xf32>) outs(%c : tensor<128x1024xf32>) -> tensor<128x1024xf32>
  return %r : tensor<128x1024xf32>
}
}

// -----

// Left to the generic lowering: dynamic shapes, and dimensions no cache tile
// divides (N = 40 has no multiple of 16 among its divisors).

// CHECK-LABEL: func.func @dynamic
// CHECK: linalg.matmul
// CHECK-NOT: vector.fma
func.func @dynamic(%a: tensor<?x64xf32>, %b: tensor<64x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x64xf32>, tensor<64x64xf32>) outs(%c : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @odd
// CHECK: linalg.matmul
// CHECK-NOT: vector.fma
func.func @odd(%a: tensor<64x64xf32>, %b: tensor<64x40xf32>, %c: tensor<64x40xf32>) -> tensor<64x40xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x40xf32>) outs(%c : tensor<64x40xf32>) -> tensor<64x40xf32>
  return %r : tensor<64x40xf32>
}

// -----

// A user's lowering config wins over the target's model: a 4 × 16 register
// tile (four vector.fma per k), one thread, on an AVX-512 target whose
// model would pick 8 × 32.

// CHECK-LABEL: func.func @user_config
// CHECK: scf.forall (%{{.+}}) in (1)
// CHECK-COUNT-4: vector.fma %{{.+}} : vector<16xf32>
// CHECK-NOT: vector.fma
module attributes {effattn.target = #effattn.cpu<cpu = "znver4",
    features = ["avx2", "fma", "avx512f"], vector_bits = 512,
    vector_registers = 32, l1_bytes = 32768, l2_bytes = 1048576,
    l3_bytes = 33554432, cores = 2>} {
func.func @user_config(%a: tensor<64x128xf32>, %b: tensor<128x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.matmul {effattn.lowering_config = #effattn.gemm_config<threads = 1, mc = 32, nc = 64, kc = 64, mr = 4, nr = 16>} ins(%a, %b : tensor<64x128xf32>, tensor<128x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}
}
