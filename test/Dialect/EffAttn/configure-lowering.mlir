// RUN: effattn-opt %s -split-input-file --effattn-configure-target=cpu=x86-64-v3 --effattn-configure-lowering | FileCheck %s --check-prefix=V3
// RUN: effattn-opt %s -split-input-file --effattn-configure-target=cpu=x86-64-v4 --effattn-configure-lowering | FileCheck %s --check-prefix=V4
// RUN: effattn-opt %s -split-input-file --effattn-configure-lowering | FileCheck %s --check-prefix=NONE
// RUN: effattn-opt %s -split-input-file --effattn-configure-target=gpu=sm_90 --effattn-configure-lowering | FileCheck %s --check-prefix=GPU

/// effattn-configure-lowering records on each effattn.attention the
/// #effattn.flash_config that the tile model derives from the target: two
/// vectors of queries, key and value register tiles that fit the vector
/// registers, a key block whose scores fill half of L1. The tiles change
/// with the target; a user's config is kept; GPU modules are left alone.

// V3-LABEL: func.func @head_dim_64
// V3: effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 252, key_register_tile = 6, value_register_tile = 6>}
// V4-LABEL: func.func @head_dim_64
// V4: effattn.attention {lowering_config = #effattn.flash_config<vector_width = 16, query_tile = 32, key_block = 126, key_register_tile = 14, value_register_tile = 13>}
// NONE-LABEL: func.func @head_dim_64
// NONE: effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 252, key_register_tile = 6, value_register_tile = 6>}
// GPU-LABEL: func.func @head_dim_64
// GPU: effattn.attention ins(
func.func @head_dim_64(%q: tensor<8x4096x64xf32>, %k: tensor<8x4096x64xf32>, %v: tensor<8x4096x64xf32>, %o: tensor<8x4096x64xf32>) -> tensor<8x4096x64xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<8x4096x64xf32>, tensor<8x4096x64xf32>, tensor<8x4096x64xf32>) outs(%o : tensor<8x4096x64xf32>) -> tensor<8x4096x64xf32>
  return %r : tensor<8x4096x64xf32>
}

// -----

/// A dynamic value width takes the whole register budget.

// V4-LABEL: func.func @dynamic_value_width
// V4: lowering_config = #effattn.flash_config<vector_width = 16, query_tile = 32, key_block = 126, key_register_tile = 14, value_register_tile = 14>
func.func @dynamic_value_width(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x?xf32>, %o: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) outs(%o : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

/// A config written by the user is kept.

// V4-LABEL: func.func @user_config
// V4: lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 8, key_block = 4, key_register_tile = 2, value_register_tile = 3>
func.func @user_config(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x8xf32>, %o: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = effattn.attention {lowering_config = #effattn.flash_config<vector_width = 8, query_tile = 8, key_block = 4, key_register_tile = 2, value_register_tile = 3>} ins(%q, %k, %v : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) outs(%o : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

/// Static f32 matmuls get the #effattn.gemm_config of GemmTiles.h as the
/// discardable effattn.lowering_config (8 × 32 register tile on AVX-512,
/// 6 × 16 on AVX2; KC from the L2: 256 KiB on x86-64-v3, 1 MiB on
/// x86-64-v4); dynamic or non-f32 matmuls get none.

// V3-LABEL: func.func @matmuls
// V3: linalg.matmul {effattn.lowering_config = #effattn.gemm_config<threads = 2, mc = 128, nc = 1024, kc = 256, mr = 6, nr = 16>}
// V3: linalg.matmul ins(
// V4-LABEL: func.func @matmuls
// V4: linalg.matmul {effattn.lowering_config = #effattn.gemm_config<threads = 2, mc = 128, nc = 1024, kc = 1024, mr = 8, nr = 32>}
// V4: linalg.matmul ins(
func.func @matmuls(%a: tensor<1024x1024xf32>, %c: tensor<1024x1024xf32>, %d: tensor<?x64xf32>, %e: tensor<64x64xf32>, %f: tensor<?x64xf32>) -> (tensor<1024x1024xf32>, tensor<?x64xf32>) {
  %r = linalg.matmul ins(%a, %a : tensor<1024x1024xf32>, tensor<1024x1024xf32>) outs(%c : tensor<1024x1024xf32>) -> tensor<1024x1024xf32>
  %s = linalg.matmul ins(%d, %e : tensor<?x64xf32>, tensor<64x64xf32>) outs(%f : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r, %s : tensor<1024x1024xf32>, tensor<?x64xf32>
}

// -----

/// effattn.unpacked_matmul gets the #effattn.pair_gemm_config of
/// GemmTiles.h: the f32 GEMM's register tile over i32 lanes; a user's
/// config is kept.

// V3-LABEL: func.func @unpacked
// V3: effattn.unpacked_matmul {lowering_config = #effattn.pair_gemm_config<vector_width = 8, mr = 6, nr = 16>} ins(
// V3: effattn.unpacked_matmul {bits = 4 : i64, lowering_config = #effattn.pair_gemm_config<vector_width = 4, mr = 2, nr = 8>, strategy = "column"}
// V4-LABEL: func.func @unpacked
// V4: effattn.unpacked_matmul {lowering_config = #effattn.pair_gemm_config<vector_width = 16, mr = 8, nr = 32>} ins(
// NONE-LABEL: func.func @unpacked
// NONE: effattn.unpacked_matmul {lowering_config = #effattn.pair_gemm_config<vector_width = 8, mr = 6, nr = 16>} ins(
// GPU-LABEL: func.func @unpacked
// GPU: effattn.unpacked_matmul ins(
func.func @unpacked(%a: tensor<64x96xi64>, %b: tensor<80x96xi64>, %c: tensor<64x80xi64>) -> (tensor<64x80xi64>, tensor<64x80xi64>) {
  %r = effattn.unpacked_matmul {bits = 8, strategy = "row"} ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>) outs(%c : tensor<64x80xi64>) -> tensor<64x80xi64>
  %s = effattn.unpacked_matmul {bits = 4, strategy = "column", lowering_config = #effattn.pair_gemm_config<vector_width = 4, mr = 2, nr = 8>} ins(%a, %b : tensor<64x96xi64>, tensor<80x96xi64>) outs(%c : tensor<64x80xi64>) -> tensor<64x80xi64>
  return %r, %s : tensor<64x80xi64>, tensor<64x80xi64>
}
