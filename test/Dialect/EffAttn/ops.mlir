// RUN: effattn-opt %s | effattn-opt | FileCheck %s
// RUN: effattn-opt %s --mlir-print-op-generic | effattn-opt | FileCheck %s

// CHECK-LABEL: func.func @attention_rank2
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<5x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<7x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<7x8xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<5x8xf32>
// CHECK: %[[R:.+]] = effattn.attention ins(%[[Q]], %[[K]], %[[V]] : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%[[O]] : tensor<5x8xf32>) -> tensor<5x8xf32>
// CHECK: return %[[R]]
func.func @attention_rank2(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// CHECK-LABEL: func.func @attention_batched_masked_causal
// CHECK-SAME: %[[Q:[a-zA-Z0-9_]+]]: tensor<2x4x5x16xf16>
// CHECK-SAME: %[[M:[a-zA-Z0-9_]+]]: tensor<2x4x7xi1>
// CHECK: effattn.attention {causal, scale = 1.250000e-01 : f32} ins(%[[Q]], %{{.+}}, %{{.+}} : tensor<2x4x5x16xf16>, tensor<2x4x7x16xf16>, tensor<2x4x7x8xf16>) mask(%[[M]] : tensor<2x4x7xi1>) outs(%{{.+}} : tensor<2x4x5x8xf16>) -> tensor<2x4x5x8xf16>
func.func @attention_batched_masked_causal(%q: tensor<2x4x5x16xf16>, %k: tensor<2x4x7x16xf16>, %v: tensor<2x4x7x8xf16>, %m: tensor<2x4x7xi1>, %o: tensor<2x4x5x8xf16>) -> tensor<2x4x5x8xf16> {
  %r = effattn.attention {causal, scale = 0.125 : f32} ins(%q, %k, %v : tensor<2x4x5x16xf16>, tensor<2x4x7x16xf16>, tensor<2x4x7x8xf16>) mask(%m : tensor<2x4x7xi1>) outs(%o : tensor<2x4x5x8xf16>) -> tensor<2x4x5x8xf16>
  return %r : tensor<2x4x5x8xf16>
}

// CHECK-LABEL: func.func @attention_query_offset_bf16_dynamic
// CHECK-SAME: %[[OFF:[a-zA-Z0-9_]+]]: index
// CHECK: effattn.attention {causal} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?x?xbf16>) query_offset(%[[OFF]]) outs(%{{.+}} : tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16>
func.func @attention_query_offset_bf16_dynamic(%q: tensor<?x?x?xbf16>, %k: tensor<?x?x?xbf16>, %v: tensor<?x?x?xbf16>, %o: tensor<?x?x?xbf16>, %off: index) -> tensor<?x?x?xbf16> {
  %r = effattn.attention {causal} ins(%q, %k, %v : tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x?x?xbf16>) query_offset(%off) outs(%o : tensor<?x?x?xbf16>) -> tensor<?x?x?xbf16>
  return %r : tensor<?x?x?xbf16>
}

// CHECK-LABEL: func.func @nystrom_attention_defaults
// CHECK: effattn.nystrom_attention {num_landmarks = 64 : i64} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>) outs(%{{.+}} : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
func.func @nystrom_attention_defaults(%q: tensor<1x2x256x64xf32>, %k: tensor<1x2x256x64xf32>, %v: tensor<1x2x256x64xf32>, %o: tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32> {
  %r = effattn.nystrom_attention {num_landmarks = 64} ins(%q, %k, %v : tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>) outs(%o : tensor<1x2x256x64xf32>) -> tensor<1x2x256x64xf32>
  return %r : tensor<1x2x256x64xf32>
}

// CHECK-LABEL: func.func @nystrom_attention_all_options
// CHECK-SAME: %[[M:[a-zA-Z0-9_]+]]: tensor<2x4x50xi1>, %[[W:[a-zA-Z0-9_]+]]: tensor<4x33xf16>
// CHECK: effattn.nystrom_attention {num_landmarks = 7 : i64, pinv_init = "exact", pinv_iterations = 3 : i64} ins({{.+}}) mask(%[[M]] : tensor<2x4x50xi1>) conv_weight(%[[W]] : tensor<4x33xf16>) outs(
func.func @nystrom_attention_all_options(%q: tensor<2x4x50x16xf16>, %k: tensor<2x4x50x16xf16>, %v: tensor<2x4x50x8xf16>, %m: tensor<2x4x50xi1>, %w: tensor<4x33xf16>, %o: tensor<2x4x50x8xf16>) -> tensor<2x4x50x8xf16> {
  %r = effattn.nystrom_attention {num_landmarks = 7, pinv_iterations = 3, pinv_init = "exact"} ins(%q, %k, %v : tensor<2x4x50x16xf16>, tensor<2x4x50x16xf16>, tensor<2x4x50x8xf16>) mask(%m : tensor<2x4x50xi1>) conv_weight(%w : tensor<4x33xf16>) outs(%o : tensor<2x4x50x8xf16>) -> tensor<2x4x50x8xf16>
  return %r : tensor<2x4x50x8xf16>
}

// CHECK-LABEL: func.func @yoso_attention_expectation
// CHECK: effattn.yoso_attention {version = 2 : i64} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<2x37x16xf32>, tensor<2x37x16xf32>, tensor<2x37x8xf32>) mask(%{{.+}} : tensor<2x37xi1>) outs(%{{.+}} : tensor<2x37x8xf32>) -> tensor<2x37x8xf32>
func.func @yoso_attention_expectation(%q: tensor<2x37x16xf32>, %k: tensor<2x37x16xf32>, %v: tensor<2x37x8xf32>, %m: tensor<2x37xi1>, %o: tensor<2x37x8xf32>) -> tensor<2x37x8xf32> {
  %r = effattn.yoso_attention {mode = "expectation", hash_bits = 8, version = 2} ins(%q, %k, %v : tensor<2x37x16xf32>, tensor<2x37x16xf32>, tensor<2x37x8xf32>) mask(%m : tensor<2x37xi1>) outs(%o : tensor<2x37x8xf32>) -> tensor<2x37x8xf32>
  return %r : tensor<2x37x8xf32>
}

// CHECK-LABEL: func.func @yoso_attention_lsh
// CHECK-SAME: %[[P:[a-zA-Z0-9_]+]]: tensor<16x24xbf16>
// CHECK: effattn.yoso_attention {hash_bits = 3 : i64, mode = "lsh", num_hashes = 8 : i64} ins({{.+}}) projection(%[[P]] : tensor<16x24xbf16>) outs(
func.func @yoso_attention_lsh(%q: tensor<2x37x16xbf16>, %k: tensor<2x40x16xbf16>, %v: tensor<2x40x8xbf16>, %p: tensor<16x24xbf16>, %o: tensor<2x37x8xbf16>) -> tensor<2x37x8xbf16> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 8} ins(%q, %k, %v : tensor<2x37x16xbf16>, tensor<2x40x16xbf16>, tensor<2x40x8xbf16>) projection(%p : tensor<16x24xbf16>) outs(%o : tensor<2x37x8xbf16>) -> tensor<2x37x8xbf16>
  return %r : tensor<2x37x8xbf16>
}

// CHECK-LABEL: func.func @yoso_attention_fast_hash
// CHECK-SAME: %[[DG:[a-zA-Z0-9_]+]]: tensor<2x3x2x16xf32>
// CHECK: effattn.yoso_attention {hash_bits = 3 : i64, mode = "lsh", num_hashes = 7 : i64} ins({{.+}}) hadamard_diagonals(%[[DG]] : tensor<2x3x2x16xf32>) outs(
func.func @yoso_attention_fast_hash(%q: tensor<2x9x16xf32>, %k: tensor<2x9x16xf32>, %v: tensor<2x9x4xf32>, %dg: tensor<2x3x2x16xf32>, %o: tensor<2x9x4xf32>) -> tensor<2x9x4xf32> {
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 7} ins(%q, %k, %v : tensor<2x9x16xf32>, tensor<2x9x16xf32>, tensor<2x9x4xf32>) hadamard_diagonals(%dg : tensor<2x3x2x16xf32>) outs(%o : tensor<2x9x4xf32>) -> tensor<2x9x4xf32>
  return %r : tensor<2x9x4xf32>
}

// -----

// CHECK-LABEL: func.func @mra_attention_full
// CHECK-SAME: %[[M:[a-zA-Z0-9_]+]]: tensor<1x2x512xi1>
// CHECK: effattn.mra_attention {blocks_per_row = 4 : i64, prior_diagonal_blocks = 5 : i64, prior_first_blocks = 1 : i64} ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x32xf32>) mask(%[[M]] : tensor<1x2x512xi1>) outs(%{{.+}} : tensor<1x2x512x32xf32>) -> tensor<1x2x512x32xf32>
func.func @mra_attention_full(%q: tensor<1x2x512x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x32xf32>, %m: tensor<1x2x512xi1>, %o: tensor<1x2x512x32xf32>) -> tensor<1x2x512x32xf32> {
  %r = effattn.mra_attention {blocks_per_row = 4, mode = "full", block_size = 32, prior_first_blocks = 1, prior_diagonal_blocks = 5} ins(%q, %k, %v : tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x32xf32>) mask(%m : tensor<1x2x512xi1>) outs(%o : tensor<1x2x512x32xf32>) -> tensor<1x2x512x32xf32>
  return %r : tensor<1x2x512x32xf32>
}

// -----

// CHECK-LABEL: func.func @mra_attention_sparse_dynamic_batch
// CHECK: effattn.mra_attention {block_size = 16 : i64, mode = "sparse", num_blocks = 7 : i64, scale = 2.500000e-01 : f32} ins({{.+}}) outs(%{{.+}} : tensor<?x64x8xf16>) -> tensor<?x64x8xf16>
func.func @mra_attention_sparse_dynamic_batch(%q: tensor<?x64x16xf16>, %k: tensor<?x64x16xf16>, %v: tensor<?x64x8xf16>, %o: tensor<?x64x8xf16>) -> tensor<?x64x8xf16> {
  %r = effattn.mra_attention {block_size = 16, num_blocks = 7, mode = "sparse", scale = 0.25 : f32} ins(%q, %k, %v : tensor<?x64x16xf16>, tensor<?x64x16xf16>, tensor<?x64x8xf16>) outs(%o : tensor<?x64x8xf16>) -> tensor<?x64x8xf16>
  return %r : tensor<?x64x8xf16>
}

// -----

// CHECK-LABEL: func.func @block_sparse_attention_full
// CHECK-SAME: %[[S:[a-zA-Z0-9_]+]]: f32, %[[M:[a-zA-Z0-9_]+]]: tensor<4x512xi1>
// CHECK: effattn.block_sparse_attention %{{.+}}, %{{.+}}, %{{.+}} blocks(%{{.+}}, %{{.+}}) scale(%[[S]]) mask(%[[M]] : tensor<4x512xi1>) low_resolution(%{{.+}}, %{{.+}}, %{{.+}} : tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {block_size = 32 : i64} : tensor<4x512x64xf32>, tensor<4x512x64xf32>, tensor<4x512x32xf32>, tensor<4x16x16xi32>, tensor<4x16xi32> -> tensor<4x512x32xf32>
func.func @block_sparse_attention_full(%q: tensor<4x512x64xf32>, %k: tensor<4x512x64xf32>, %v: tensor<4x512x32xf32>, %columns: tensor<4x16x16xi32>, %counts: tensor<4x16xi32>, %scale: f32, %m: tensor<4x512xi1>, %num: tensor<4x16x32xf32>, %den: tensor<4x16xf32>, %max: tensor<4x16xf32>) -> tensor<4x512x32xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) mask(%m : tensor<4x512xi1>) low_resolution(%num, %den, %max : tensor<4x16x32xf32>, tensor<4x16xf32>, tensor<4x16xf32>) {block_size = 32} : tensor<4x512x64xf32>, tensor<4x512x64xf32>, tensor<4x512x32xf32>, tensor<4x16x16xi32>, tensor<4x16xi32> -> tensor<4x512x32xf32>
  return %r : tensor<4x512x32xf32>
}

// -----

// CHECK-LABEL: func.func @block_sparse_attention_sparse_dynamic
// CHECK: effattn.block_sparse_attention %{{.+}}, %{{.+}}, %{{.+}} blocks(%{{.+}}, %{{.+}}) scale(%{{.+}}) {block_size = 16 : i64} : tensor<?x64x?xf32>, tensor<?x64x?xf32>, tensor<?x64x8xf32>, tensor<?x4x?xi32>, tensor<?x4xi32> -> tensor<?x64x8xf32>
func.func @block_sparse_attention_sparse_dynamic(%q: tensor<?x64x?xf32>, %k: tensor<?x64x?xf32>, %v: tensor<?x64x8xf32>, %columns: tensor<?x4x?xi32>, %counts: tensor<?x4xi32>, %scale: f32) -> tensor<?x64x8xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) {block_size = 16} : tensor<?x64x?xf32>, tensor<?x64x?xf32>, tensor<?x64x8xf32>, tensor<?x4x?xi32>, tensor<?x4xi32> -> tensor<?x64x8xf32>
  return %r : tensor<?x64x8xf32>
}

// -----

// CHECK-LABEL: func.func @block_sparse_attention_bf16
// CHECK: effattn.block_sparse_attention %{{.+}}, %{{.+}}, %{{.+}} blocks(%{{.+}}, %{{.+}}) scale(%{{.+}}) {block_size = 16 : i64} : tensor<2x64x32xbf16>, tensor<2x64x32xbf16>, tensor<2x64x16xbf16>, tensor<2x4x2xi32>, tensor<2x4xi32> -> tensor<2x64x16xf32>
func.func @block_sparse_attention_bf16(%q: tensor<2x64x32xbf16>, %k: tensor<2x64x32xbf16>, %v: tensor<2x64x16xbf16>, %columns: tensor<2x4x2xi32>, %counts: tensor<2x4xi32>, %scale: f32) -> tensor<2x64x16xf32> {
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%columns, %counts) scale(%scale) {block_size = 16} : tensor<2x64x32xbf16>, tensor<2x64x32xbf16>, tensor<2x64x16xbf16>, tensor<2x4x2xi32>, tensor<2x4xi32> -> tensor<2x64x16xf32>
  return %r : tensor<2x64x16xf32>
}

// -----

// CHECK-LABEL: func.func @kth_largest
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x256xi32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<?x7xi32>
// CHECK: %[[T:.+]] = effattn.kth_largest %[[X]] {k = 8 : i64} : tensor<4x256xi32> -> tensor<4xi32>
// CHECK: %[[U:.+]] = effattn.kth_largest %[[Y]] {k = 7 : i64} : tensor<?x7xi32> -> tensor<?xi32>
// CHECK: return %[[T]], %[[U]]
func.func @kth_largest(%x: tensor<4x256xi32>, %y: tensor<?x7xi32>) -> (tensor<4xi32>, tensor<?xi32>) {
  %t = effattn.kth_largest %x {k = 8} : tensor<4x256xi32> -> tensor<4xi32>
  %u = effattn.kth_largest %y {k = 7} : tensor<?x7xi32> -> tensor<?xi32>
  return %t, %u : tensor<4xi32>, tensor<?xi32>
}

// -----

// CHECK-LABEL: func.func @quantize_percentile
// CHECK: %{{.+}}, %{{.+}} = effattn.quantize {beta = 7.500000e-01 : f64, levels = 255 : i64} ins(%{{.+}} : tensor<64x96xf32>) outs(%{{.+}}, %{{.+}} : tensor<64x96xi32>, tensor<f32>) -> tensor<64x96xi32>, tensor<f32>
func.func @quantize_percentile(%x: tensor<64x96xf32>, %q: tensor<64x96xi32>, %s: tensor<f32>) -> (tensor<64x96xi32>, tensor<f32>) {
  %r:2 = effattn.quantize {beta = 0.75, levels = 255} ins(%x : tensor<64x96xf32>) outs(%q, %s : tensor<64x96xi32>, tensor<f32>) -> tensor<64x96xi32>, tensor<f32>
  return %r#0, %r#1 : tensor<64x96xi32>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @quantize_max
// CHECK: %{{.+}}, %{{.+}} = effattn.quantize ins(%{{.+}} : tensor<8xbf16>) outs(
func.func @quantize_max(%x: tensor<8xbf16>, %q: tensor<8xi64>, %s: tensor<f32>) -> (tensor<8xi64>, tensor<f32>) {
  %r:2 = effattn.quantize ins(%x : tensor<8xbf16>) outs(%q, %s : tensor<8xi64>, tensor<f32>) -> tensor<8xi64>, tensor<f32>
  return %r#0, %r#1 : tensor<8xi64>, tensor<f32>
}

// -----

// CHECK-LABEL: func.func @unpacked_matmul
// CHECK: effattn.unpacked_matmul {bits = 4 : i64} ins(%{{.+}}, %{{.+}} : tensor<?x96xi64>, tensor<80x96xi32>) outs(%{{.+}} : tensor<?x80xi64>) -> tensor<?x80xi64>
// CHECK: effattn.unpacked_matmul {lowering_config = #effattn.pair_gemm_config<vector_width = 8, mr = 6, nr = 16>} ins(
func.func @unpacked_matmul(%a: tensor<?x96xi64>, %b: tensor<80x96xi32>, %c: tensor<?x80xi64>) -> (tensor<?x80xi64>, tensor<?x80xi64>) {
  %r = effattn.unpacked_matmul {bits = 4, strategy = "row"} ins(%a, %b : tensor<?x96xi64>, tensor<80x96xi32>) outs(%c : tensor<?x80xi64>) -> tensor<?x80xi64>
  %s = effattn.unpacked_matmul {lowering_config = #effattn.pair_gemm_config<vector_width = 8, mr = 6, nr = 16>} ins(%a, %b : tensor<?x96xi64>, tensor<80x96xi32>) outs(%c : tensor<?x80xi64>) -> tensor<?x80xi64>
  return %r, %s : tensor<?x80xi64>, tensor<?x80xi64>
}

// -----

// CHECK-LABEL: func.func @unpacked_sizes
// CHECK: effattn.unpacked_sizes {bits = 2 : i64, strategy = "both"} ins(%{{.+}}, %{{.+}} : tensor<?x96xi32>, tensor<7x96xi64>) outs(%{{.+}} : tensor<3xi64>) -> tensor<3xi64>
func.func @unpacked_sizes(%a: tensor<?x96xi32>, %b: tensor<7x96xi64>, %d: tensor<3xi64>) -> tensor<3xi64> {
  %r = effattn.unpacked_sizes {bits = 2, strategy = "both"} ins(%a, %b : tensor<?x96xi32>, tensor<7x96xi64>) outs(%d : tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

// CHECK-LABEL: func.func @fail_if
// CHECK-SAME: %[[C:[a-zA-Z0-9_]+]]: i1
// CHECK: effattn.fail_if %[[C]], "too large" {status = 4 : i32}
func.func @fail_if(%c: i1) {
  effattn.fail_if %c, "too large" {status = 4 : i32}
  return
}

// -----

// CHECK-LABEL: func.func @lookup_ffn
// CHECK: effattn.lookup_ffn {code_bits = 4 : i64} ins(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<2x?x16xf16>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x16x12xbf16>, tensor<12xf32>) outs(%{{.+}} : tensor<2x?x12xf16>) -> tensor<2x?x12xf16>
// CHECK: effattn.lookup_ffn {code_bits = 4 : i64, decay = 5.000000e-01 : f32, projection = "bh4"} ins(
func.func @lookup_ffn(%x: tensor<2x?x16xf16>, %w: tensor<8x16xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x12xbf16>, %b: tensor<12xf32>, %o: tensor<2x?x12xf16>, %w4: tensor<1x4x2x8x8xf32>) -> (tensor<2x?x12xf16>, tensor<2x?x12xf16>) {
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<2x?x16xf16>, tensor<8x16xf32>, tensor<8xf32>, tensor<2x16x12xbf16>, tensor<12xf32>) outs(%o : tensor<2x?x12xf16>) -> tensor<2x?x12xf16>
  %s = effattn.lookup_ffn {code_bits = 4, projection = "bh4", decay = 0.5 : f32} ins(%x, %w4, %pb, %t, %b : tensor<2x?x16xf16>, tensor<1x4x2x8x8xf32>, tensor<8xf32>, tensor<2x16x12xbf16>, tensor<12xf32>) outs(%o : tensor<2x?x12xf16>) -> tensor<2x?x12xf16>
  return %r, %s : tensor<2x?x12xf16>, tensor<2x?x12xf16>
}

// CHECK-LABEL: func.func @frame_quantize
// CHECK: effattn.frame_quantize {bits = 3 : i64, redundancy = 1.100000e+00 : f64, seed_in = 5 : i64, seed_out = 6 : i64} %{{.+}} : tensor<32x64xf32> -> tensor<3x8x16xi32>, tensor<36xf32>, tensor<36xf32>
func.func @frame_quantize(%w: tensor<32x64xf32>) -> (tensor<3x8x16xi32>, tensor<36xf32>, tensor<36xf32>) {
  %c, %s, %z = effattn.frame_quantize {bits = 3, redundancy = 1.1, seed_in = 5, seed_out = 6} %w
      : tensor<32x64xf32> -> tensor<3x8x16xi32>, tensor<36xf32>, tensor<36xf32>
  return %c, %s, %z : tensor<3x8x16xi32>, tensor<36xf32>, tensor<36xf32>
}

// CHECK-LABEL: func.func @frame_linear_one_sided
// CHECK: effattn.frame_linear {seed_in = 5 : i64} ins(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x7x64xf32>, tensor<3x4x16xi32>, tensor<40xf32>, tensor<40xf32>) outs(%{{.+}} : tensor<?x7x40xf32>) -> tensor<?x7x40xf32>
func.func @frame_linear_one_sided(%x: tensor<?x7x64xf32>, %c: tensor<3x4x16xi32>, %s: tensor<40xf32>, %z: tensor<40xf32>, %init: tensor<?x7x40xf32>) -> tensor<?x7x40xf32> {
  %y = effattn.frame_linear {seed_in = 5} ins(%x, %c, %s, %z : tensor<?x7x64xf32>, tensor<3x4x16xi32>, tensor<40xf32>, tensor<40xf32>)
      outs(%init : tensor<?x7x40xf32>) -> tensor<?x7x40xf32>
  return %y : tensor<?x7x40xf32>
}

// CHECK-LABEL: func.func @table_lookup
// CHECK: effattn.table_lookup %{{.+}}[%{{.+}}] : vector<16xf32>, vector<16xi32>
func.func @table_lookup(%t: vector<16xf32>, %i: vector<16xi32>) -> vector<16xf32> {
  %r = effattn.table_lookup %t[%i] : vector<16xf32>, vector<16xi32>
  return %r : vector<16xf32>
}

// CHECK-LABEL: func.func @multiply_add_pairs
// CHECK-SAME: (%[[X:.+]]: vector<16xi16>, %[[Y:.+]]: vector<16xi16>, %[[ACC:.+]]: vector<8xi32>)
// CHECK: effattn.multiply_add_pairs %[[X]], %[[Y]], %[[ACC]] : vector<16xi16>, vector<8xi32>
func.func @multiply_add_pairs(%x: vector<16xi16>, %y: vector<16xi16>, %acc: vector<8xi32>) -> vector<8xi32> {
  %r = effattn.multiply_add_pairs %x, %y, %acc : vector<16xi16>, vector<8xi32>
  return %r : vector<8xi32>
}
