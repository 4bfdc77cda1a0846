// RUN: effattn-opt %s -split-input-file -verify-diagnostics

func.func @attention_rank1(%q: tensor<16xf32>, %k: tensor<16xf32>, %v: tensor<16xf32>, %o: tensor<16xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{'effattn.attention' op expects query to have rank >= 2 ([batch..., N, D]), got rank 1}}
  %r = effattn.attention ins(%q, %k, %v : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) outs(%o : tensor<16xf32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

func.func @attention_rank_mismatch(%q: tensor<2x5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<2x7x8xf32>, %o: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects query, key, value and init to have the same rank, got 3, 2, 3 and 3}}
  %r = effattn.attention ins(%q, %k, %v : tensor<2x5x16xf32>, tensor<7x16xf32>, tensor<2x7x8xf32>) outs(%o : tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

func.func @attention_batch_mismatch(%q: tensor<2x5x16xf32>, %k: tensor<3x7x16xf32>, %v: tensor<2x7x8xf32>, %o: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects batch dimension #0 of key (3) to match query (2)}}
  %r = effattn.attention ins(%q, %k, %v : tensor<2x5x16xf32>, tensor<3x7x16xf32>, tensor<2x7x8xf32>) outs(%o : tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

func.func @attention_head_dim_mismatch(%q: tensor<5x16xf32>, %k: tensor<7x12xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects the head dimension D of key (12) to match query (16)}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x12xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_key_value_rows(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<6x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects value to have as many rows M as key, got 6 and 7}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<6x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_no_keys(%q: tensor<5x16xf32>, %k: tensor<0x16xf32>, %v: tensor<0x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects at least one key (M > 0)}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<0x16xf32>, tensor<0x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_init_shape(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x16xf32>) -> tensor<5x16xf32> {
  // expected-error @+1 {{'effattn.attention' op expects init of shape [batch..., N, E] = [..., 5, 8], got [..., 5, 16]}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x16xf32>) -> tensor<5x16xf32>
  return %r : tensor<5x16xf32>
}

// -----

func.func @attention_init_batch(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x8xf32>, %o: tensor<4x5x8xf32>) -> tensor<4x5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects batch dimension #0 of init (4) to match query (2)}}
  %r = effattn.attention ins(%q, %k, %v : tensor<2x5x16xf32>, tensor<2x7x16xf32>, tensor<2x7x8xf32>) outs(%o : tensor<4x5x8xf32>) -> tensor<4x5x8xf32>
  return %r : tensor<4x5x8xf32>
}

// -----

func.func @attention_mask_rank(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x8xf32>, %m: tensor<7xi1>, %o: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects mask of rank 2 ([batch..., M]), got rank 1}}
  %r = effattn.attention ins(%q, %k, %v : tensor<2x5x16xf32>, tensor<2x7x16xf32>, tensor<2x7x8xf32>) mask(%m : tensor<7xi1>) outs(%o : tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

func.func @attention_mask_batch(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x8xf32>, %m: tensor<3x7xi1>, %o: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects batch dimension #0 of mask (3) to match query (2)}}
  %r = effattn.attention ins(%q, %k, %v : tensor<2x5x16xf32>, tensor<2x7x16xf32>, tensor<2x7x8xf32>) mask(%m : tensor<3x7xi1>) outs(%o : tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

func.func @attention_mask_keys(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %m: tensor<5xi1>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects mask to have M = 7 entries per row, got 5}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) mask(%m : tensor<5xi1>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_mask_dtype(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %m: tensor<7xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op operand #3 must be ranked tensor of 1-bit signless integer values, but got 'tensor<7xf32>'}}
  %r = "effattn.attention"(%q, %k, %v, %m, %o) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 1>}> : (tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>, tensor<7xf32>, tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_zero_scale(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects 'scale' to be finite and positive, got 0}}
  %r = effattn.attention {scale = 0.0 : f32} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_negative_scale(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects 'scale' to be finite and positive, got -5.000000e-01}}
  %r = effattn.attention {scale = -0.5 : f32} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_nan_scale(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects 'scale' to be finite and positive, got nan}}
  %r = effattn.attention {scale = 0x7FC00000 : f32} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_f64_scale(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op attribute 'scale' failed to satisfy constraint: 32-bit float attribute}}
  %r = effattn.attention {scale = 0.5 : f64} ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_element_type_mismatch(%q: tensor<5x16xf16>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op failed to verify that all of {query, key, value, init} have same element type}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf16>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @attention_integer_query(%q: tensor<5x16xi32>, %k: tensor<7x16xi32>, %v: tensor<7x8xi32>, %o: tensor<5x8xi32>) -> tensor<5x8xi32> {
  // expected-error @+1 {{'effattn.attention' op operand #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type values, but got 'tensor<5x16xi32>'}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xi32>, tensor<7x16xi32>, tensor<7x8xi32>) outs(%o : tensor<5x8xi32>) -> tensor<5x8xi32>
  return %r : tensor<5x8xi32>
}

// -----

func.func @attention_result_type(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects the result type to match init, got 'tensor<?x8xf32>' and 'tensor<5x8xf32>'}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) outs(%o : tensor<5x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

func.func @attention_query_offset_not_causal(%q: tensor<5x16xf32>, %k: tensor<7x16xf32>, %v: tensor<7x8xf32>, %o: tensor<5x8xf32>, %off: index) -> tensor<5x8xf32> {
  // expected-error @+1 {{'effattn.attention' op expects 'query_offset' only together with 'causal'}}
  %r = effattn.attention ins(%q, %k, %v : tensor<5x16xf32>, tensor<7x16xf32>, tensor<7x8xf32>) query_offset(%off) outs(%o : tensor<5x8xf32>) -> tensor<5x8xf32>
  return %r : tensor<5x8xf32>
}

// -----

func.func @nystrom_key_shape(%q: tensor<2x64x16xf32>, %k: tensor<2x64x8xf32>, %v: tensor<2x64x8xf32>, %o: tensor<2x64x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects key of the same shape as query, got 'tensor<2x64x8xf32>' and 'tensor<2x64x16xf32>'}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x64x8xf32>) outs(%o : tensor<2x64x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @nystrom_dynamic_sequence(%q: tensor<?x16xf32>, %k: tensor<?x16xf32>, %v: tensor<?x8xf32>, %o: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects a static sequence length N (landmark segments are fixed at compile time)}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x8xf32>) outs(%o : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

func.func @nystrom_value_rows(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<60x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects value to have N = 64 rows, got 60}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<60x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_too_many_landmarks(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects 'num_landmarks' in [1, N = 64], got 65}}
  %r = effattn.nystrom_attention {num_landmarks = 65} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_zero_landmarks(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects 'num_landmarks' in [1, N = 64], got 0}}
  %r = effattn.nystrom_attention {num_landmarks = 0} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_negative_iterations(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects 'pinv_iterations' >= 0, got -1}}
  %r = effattn.nystrom_attention {num_landmarks = 8, pinv_iterations = -1} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_unknown_init(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects 'pinv_init' to be "original" or "exact", got "newton"}}
  %r = effattn.nystrom_attention {num_landmarks = 8, pinv_init = "newton"} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_mask_rows(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %m: tensor<60xi1>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects mask to have N = 64 entries per row, got 60}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) mask(%m : tensor<60xi1>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_conv_without_heads(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %w: tensor<1x5xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects a head (batch) dimension for 'conv_weight'}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) conv_weight(%w : tensor<1x5xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @nystrom_conv_rank(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %w: tensor<2x1x5x1xf32>, %o: tensor<2x64x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects conv_weight of shape [H, ks], got 'tensor<2x1x5x1xf32>'}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>) conv_weight(%w : tensor<2x1x5x1xf32>) outs(%o : tensor<2x64x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @nystrom_conv_heads(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %w: tensor<3x5xf32>, %o: tensor<2x64x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects conv_weight to have one row per head (H = 2), got 3}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>) conv_weight(%w : tensor<3x5xf32>) outs(%o : tensor<2x64x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @nystrom_conv_even_kernel(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %w: tensor<2x4xf32>, %o: tensor<2x64x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects an odd, static conv kernel size, got 4}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>) conv_weight(%w : tensor<2x4xf32>) outs(%o : tensor<2x64x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @nystrom_conv_dtype(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %w: tensor<2x5xf16>, %o: tensor<2x64x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects conv_weight of the query's element type, got 'f16'}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>) conv_weight(%w : tensor<2x5xf16>) outs(%o : tensor<2x64x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @nystrom_result_type(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects the result type to match init, got 'tensor<?x8xf32>' and 'tensor<64x8xf32>'}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

func.func @nystrom_init_shape(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x16xf32>) -> tensor<64x16xf32> {
  // expected-error @+1 {{'effattn.nystrom_attention' op expects init of shape [batch..., N, E] = [..., 64, 8], got [..., 64, 16]}}
  %r = effattn.nystrom_attention {num_landmarks = 8} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x16xf32>) -> tensor<64x16xf32>
  return %r : tensor<64x16xf32>
}

// -----

func.func @yoso_head_dim(%q: tensor<8x16xf32>, %k: tensor<8x12xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects the head dimension D of key (12) to match query (16)}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x12xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_value_rows(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<6x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects value to have as many rows M as key, got 6 and 8}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<6x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_mask_cross(%q: tensor<8x16xf32>, %k: tensor<9x16xf32>, %v: tensor<9x4xf32>, %m: tensor<8xi1>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects as many keys as queries with a mask (it masks both), got N = 8 and M = 9}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<9x16xf32>, tensor<9x4xf32>) mask(%m : tensor<8xi1>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_hash_bits(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'hash_bits' in [1, 16], got 17}}
  %r = effattn.yoso_attention {hash_bits = 17} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_version(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'version' 1 or 2, got 3}}
  %r = effattn.yoso_attention {version = 3} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_expectation_with_projection(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %p: tensor<16x8xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'num_hashes', 'projection' and 'hadamard_diagonals' only with mode = "lsh"}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) projection(%p : tensor<16x8xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_lsh_without_projection(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'num_hashes' and either a 'projection' or 'hadamard_diagonals' operand with mode = "lsh"}}
  %r = effattn.yoso_attention {mode = "lsh", num_hashes = 2} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// Found by effattn-fuzz-ops: the hash-part count overflowed int64.
func.func @yoso_huge_hashes(%q: tensor<9x16xf32>, %k: tensor<9x16xf32>, %v: tensor<9x4xf32>, %h: tensor<3x2x16xf32>, %o: tensor<9x4xf32>) -> tensor<9x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'num_hashes' in [1, 65536], got 9223372036854775807}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 3, num_hashes = 9223372036854775807} ins(%q, %k, %v : tensor<9x16xf32>, tensor<9x16xf32>, tensor<9x4xf32>) hadamard_diagonals(%h : tensor<3x2x16xf32>) outs(%o : tensor<9x4xf32>) -> tensor<9x4xf32>
  return %r : tensor<9x4xf32>
}

// -----

func.func @yoso_zero_hashes(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %p: tensor<16x8xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'num_hashes' in [1, 65536], got 0}}
  %r = effattn.yoso_attention {mode = "lsh", num_hashes = 0} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) projection(%p : tensor<16x8xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_projection_rank(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x4xf32>, %p: tensor<1x2x16x8xf32>, %o: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects a projection of shape [D, num_hashes * hash_bits] or [batch..., D, num_hashes * hash_bits], got 'tensor<1x2x16x8xf32>'}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x4xf32>) projection(%p : tensor<1x2x16x8xf32>) outs(%o : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

// -----

func.func @yoso_projection_batch(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x4xf32>, %p: tensor<3x16x8xf32>, %o: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects batch dimension #0 of projection (3) to match query (2)}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x4xf32>) projection(%p : tensor<3x16x8xf32>) outs(%o : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

// -----

func.func @yoso_projection_columns(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %p: tensor<16x10xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects a projection of shape [..., D = 16, num_hashes * hash_bits = 8], got [..., 16, 10]}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) projection(%p : tensor<16x10xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_unknown_mode(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'mode' to be "expectation" or "lsh", got "sampled"}}
  %r = effattn.yoso_attention {mode = "sampled"} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_projection_and_diagonals(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %p: tensor<16x8xf32>, %dg: tensor<3x1x16xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'num_hashes' and either a 'projection' or 'hadamard_diagonals' operand with mode = "lsh"}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) projection(%p : tensor<16x8xf32>) hadamard_diagonals(%dg : tensor<3x1x16xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_diagonals_not_power_of_two(%q: tensor<8x12xf32>, %k: tensor<8x12xf32>, %v: tensor<8x4xf32>, %dg: tensor<3x1x12xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects a static power-of-two head dimension D >= hash_bits for 'hadamard_diagonals', got 12}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<8x12xf32>, tensor<8x12xf32>, tensor<8x4xf32>) hadamard_diagonals(%dg : tensor<3x1x12xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_diagonals_rank(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %dg: tensor<1x16xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects hadamard_diagonals of shape [3, P, D] or [batch..., 3, P, D], got 'tensor<1x16xf32>'}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 2} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) hadamard_diagonals(%dg : tensor<1x16xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_diagonals_batch(%q: tensor<2x8x16xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x8x4xf32>, %dg: tensor<3x3x2x16xf32>, %o: tensor<2x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects batch dimension #0 of hadamard_diagonals (3) to match query (2)}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 5} ins(%q, %k, %v : tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x4xf32>) hadamard_diagonals(%dg : tensor<3x3x2x16xf32>) outs(%o : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  return %r : tensor<2x8x4xf32>
}

// -----

func.func @yoso_diagonals_parts(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %dg: tensor<3x1x16xf32>, %o: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects hadamard_diagonals of shape [..., 3, P = 2, D = 16], got 'tensor<3x1x16xf32>'}}
  %r = effattn.yoso_attention {mode = "lsh", hash_bits = 4, num_hashes = 5} ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) hadamard_diagonals(%dg : tensor<3x1x16xf32>) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @yoso_query_offset_without_mask(%q: tensor<8x16xf32>, %k: tensor<8x16xf32>, %v: tensor<8x4xf32>, %o: tensor<8x4xf32>, %off: index) -> tensor<8x4xf32> {
  // expected-error @+1 {{'effattn.yoso_attention' op expects 'query_offset' only together with a mask}}
  %r = effattn.yoso_attention ins(%q, %k, %v : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>) query_offset(%off) outs(%o : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @mra_dynamic_n(%q: tensor<2x?x16xf32>, %k: tensor<2x?x16xf32>, %v: tensor<2x?x8xf32>, %o: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects a static sequence length N (the block grid is fixed at compile time)}}
  %r = effattn.mra_attention {blocks_per_row = 2} ins(%q, %k, %v : tensor<2x?x16xf32>, tensor<2x?x16xf32>, tensor<2x?x8xf32>) outs(%o : tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %r : tensor<2x?x8xf32>
}

// -----

func.func @mra_cross_lengths(%q: tensor<64x16xf32>, %k: tensor<32x16xf32>, %v: tensor<32x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects as many keys as queries (one padded sequence), got N = 64 and M = 32}}
  %r = effattn.mra_attention {blocks_per_row = 2} ins(%q, %k, %v : tensor<64x16xf32>, tensor<32x16xf32>, tensor<32x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_scale(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'scale' to be finite and positive, got -1.000000e+00}}
  %r = effattn.mra_attention {blocks_per_row = 2, scale = -1.0 : f32} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_block_size(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'block_size' >= 1, got 0}}
  %r = effattn.mra_attention {blocks_per_row = 2, block_size = 0} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_not_multiple(%q: tensor<100x16xf32>, %k: tensor<100x16xf32>, %v: tensor<100x8xf32>, %o: tensor<100x8xf32>) -> tensor<100x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects the sequence length N = 100 to be a positive multiple of 'block_size' = 32 (pad the sequence and mask the padding)}}
  %r = effattn.mra_attention {blocks_per_row = 2} ins(%q, %k, %v : tensor<100x16xf32>, tensor<100x16xf32>, tensor<100x8xf32>) outs(%o : tensor<100x8xf32>) -> tensor<100x8xf32>
  return %r : tensor<100x8xf32>
}

// -----

func.func @mra_no_budget(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects exactly one of 'num_blocks' and 'blocks_per_row'}}
  %r = effattn.mra_attention ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_two_budgets(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects exactly one of 'num_blocks' and 'blocks_per_row'}}
  %r = effattn.mra_attention {num_blocks = 2, blocks_per_row = 1} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_num_blocks(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'num_blocks' in [1, (N / block_size)^2 = 4], got 5}}
  %r = effattn.mra_attention {num_blocks = 5} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_blocks_per_row(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'blocks_per_row' >= 1, got 0}}
  %r = effattn.mra_attention {blocks_per_row = 0} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_mode(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'mode' to be "full" or "sparse", got "dense"}}
  %r = effattn.mra_attention {blocks_per_row = 1, mode = "dense"} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_priors(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects 'prior_first_blocks' and 'prior_diagonal_blocks' >= 0, got -1 and 0}}
  %r = effattn.mra_attention {blocks_per_row = 1, prior_first_blocks = -1} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_mask_length(%q: tensor<64x16xf32>, %k: tensor<64x16xf32>, %v: tensor<64x8xf32>, %m: tensor<32xi1>, %o: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects mask to have N = 64 entries per row, got 32}}
  %r = effattn.mra_attention {blocks_per_row = 1} ins(%q, %k, %v : tensor<64x16xf32>, tensor<64x16xf32>, tensor<64x8xf32>) mask(%m : tensor<32xi1>) outs(%o : tensor<64x8xf32>) -> tensor<64x8xf32>
  return %r : tensor<64x8xf32>
}

// -----

func.func @mra_too_many_block_rows(%q: tensor<4194304x1xf32>, %v: tensor<4194304x1xf32>) -> tensor<4194304x1xf32> {
  // expected-error @+1 {{'effattn.mra_attention' op expects at most 1048576 block rows (N / block_size), got 2097152}}
  %r = effattn.mra_attention {block_size = 2, blocks_per_row = 1} ins(%q, %q, %v : tensor<4194304x1xf32>, tensor<4194304x1xf32>, tensor<4194304x1xf32>) outs(%v : tensor<4194304x1xf32>) -> tensor<4194304x1xf32>
  return %r : tensor<4194304x1xf32>
}

// -----

func.func @quantize_dynamic(%x: tensor<?x4xf32>, %q: tensor<?x4xi32>, %s: tensor<f32>) -> tensor<?x4xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects a static input shape (the percentile rank is fixed at compile time), got 'tensor<?x4xf32>'}}
  %r:2 = effattn.quantize ins(%x : tensor<?x4xf32>) outs(%q, %s : tensor<?x4xi32>, tensor<f32>) -> tensor<?x4xi32>, tensor<f32>
  return %r#0 : tensor<?x4xi32>
}

// -----

func.func @quantize_rank0(%x: tensor<f32>, %q: tensor<i32>, %s: tensor<f32>) -> tensor<i32> {
  // expected-error @+1 {{'effattn.quantize' op expects a non-empty input of rank >= 1, got 'tensor<f32>'}}
  %r:2 = effattn.quantize ins(%x : tensor<f32>) outs(%q, %s : tensor<i32>, tensor<f32>) -> tensor<i32>, tensor<f32>
  return %r#0 : tensor<i32>
}

// -----

func.func @quantize_empty(%x: tensor<0x4xf32>, %q: tensor<0x4xi32>, %s: tensor<f32>) -> tensor<0x4xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects a non-empty input of rank >= 1, got 'tensor<0x4xf32>'}}
  %r:2 = effattn.quantize ins(%x : tensor<0x4xf32>) outs(%q, %s : tensor<0x4xi32>, tensor<f32>) -> tensor<0x4xi32>, tensor<f32>
  return %r#0 : tensor<0x4xi32>
}

// -----

func.func @quantize_init_shape(%x: tensor<8x4xf32>, %q: tensor<4x8xi32>, %s: tensor<f32>) -> tensor<4x8xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects init of the input's shape, got 'tensor<4x8xi32>' for 'tensor<8x4xf32>'}}
  %r:2 = effattn.quantize ins(%x : tensor<8x4xf32>) outs(%q, %s : tensor<4x8xi32>, tensor<f32>) -> tensor<4x8xi32>, tensor<f32>
  return %r#0 : tensor<4x8xi32>
}

// -----

func.func @quantize_beta(%x: tensor<8x4xf32>, %q: tensor<8x4xi32>, %s: tensor<f32>) -> tensor<8x4xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects 'beta' in (0, 1], got 1.500000e+00}}
  %r:2 = effattn.quantize {beta = 1.5 : f64} ins(%x : tensor<8x4xf32>) outs(%q, %s : tensor<8x4xi32>, tensor<f32>) -> tensor<8x4xi32>, tensor<f32>
  return %r#0 : tensor<8x4xi32>
}

// -----

func.func @quantize_levels(%x: tensor<8x4xf32>, %q: tensor<8x4xi32>, %s: tensor<f32>) -> tensor<8x4xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects 'levels' >= 1, got 0}}
  %r:2 = effattn.quantize {levels = 0} ins(%x : tensor<8x4xf32>) outs(%q, %s : tensor<8x4xi32>, tensor<f32>) -> tensor<8x4xi32>, tensor<f32>
  return %r#0 : tensor<8x4xi32>
}

// -----

func.func @quantize_rank_k(%x: tensor<8x4xf32>, %q: tensor<8x4xi32>, %s: tensor<f32>) -> tensor<8x4xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects 'beta' to leave at least one entry above the percentile (int(numel * (1 - beta)) >= 1), got numel = 32 and beta = 9.900000e-01}}
  %r:2 = effattn.quantize {beta = 0.99 : f64} ins(%x : tensor<8x4xf32>) outs(%q, %s : tensor<8x4xi32>, tensor<f32>) -> tensor<8x4xi32>, tensor<f32>
  return %r#0 : tensor<8x4xi32>
}

// -----

func.func @quantize_result_types(%x: tensor<8xf32>, %q: tensor<8xi32>, %s: tensor<f32>) -> tensor<8xi64> {
  // expected-error @+1 {{'effattn.quantize' op expects the result types to match the inits}}
  %r:2 = effattn.quantize ins(%x : tensor<8xf32>) outs(%q, %s : tensor<8xi32>, tensor<f32>) -> tensor<8xi64>, tensor<f32>
  return %r#0 : tensor<8xi64>
}

// -----

func.func @um_rank(%a: tensor<4x8x2xi64>, %b: tensor<5x8xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects lhs [M, K] and rhs [N, K] of rank 2, got 'tensor<4x8x2xi64>' and 'tensor<5x8xi64>'}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x8x2xi64>, tensor<5x8xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_dynamic_k(%a: tensor<4x?xi64>, %b: tensor<5x?xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects a static inner dimension K shared by lhs and rhs, got ? and ?}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x?xi64>, tensor<5x?xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_k_mismatch(%a: tensor<4x8xi64>, %b: tensor<5x9xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects a static inner dimension K shared by lhs and rhs, got 8 and 9}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x8xi64>, tensor<5x9xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_init(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %c: tensor<5x4xi64>) -> tensor<5x4xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects init of shape [M, N] = [4, 5], got 'tensor<5x4xi64>'}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%c : tensor<5x4xi64>) -> tensor<5x4xi64>
  return %r : tensor<5x4xi64>
}

// -----

func.func @um_bits(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects 'bits' to be 2, 4 or 8, got 3}}
  %r = effattn.unpacked_matmul {bits = 3} ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_strategy(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects 'strategy' to be "row", "column" or "both", got "rows"}}
  %r = effattn.unpacked_matmul {strategy = "rows"} ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_k_bound(%a: tensor<4x133145xi64>, %b: tensor<5x133145xi64>, %c: tensor<4x5xi64>) -> tensor<4x5xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects K * (2^(bits-1) - 1)^2 < 2^31 so that the i32 accumulation is exact, got K = 133145}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x133145xi64>, tensor<5x133145xi64>) outs(%c : tensor<4x5xi64>) -> tensor<4x5xi64>
  return %r : tensor<4x5xi64>
}

// -----

func.func @um_init_rank(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %c: tensor<20xi64>) -> tensor<20xi64> {
  // expected-error @+1 {{'effattn.unpacked_matmul' op expects init of shape [M, N] = [4, 5], got 'tensor<20xi64>'}}
  %r = effattn.unpacked_matmul ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%c : tensor<20xi64>) -> tensor<20xi64>
  return %r : tensor<20xi64>
}

// -----

func.func @unpacked_sizes_init(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %d: tensor<2xi64>) -> tensor<2xi64> {
  // expected-error @+1 {{'effattn.unpacked_sizes' op expects init of shape [3] (M', N', K''), got 'tensor<2xi64>'}}
  %r = effattn.unpacked_sizes ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%d : tensor<2xi64>) -> tensor<2xi64>
  return %r : tensor<2xi64>
}

// -----

func.func @unpacked_sizes_shared_rules(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %d: tensor<3xi64>) -> tensor<3xi64> {
  // expected-error @+1 {{'effattn.unpacked_sizes' op expects 'bits' to be 2, 4 or 8, got 16}}
  %r = effattn.unpacked_sizes {bits = 16} ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%d : tensor<3xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

func.func @unpacked_sizes_result(%a: tensor<4x8xi64>, %b: tensor<5x8xi64>, %d: tensor<3xi64>) -> tensor<?xi64> {
  // expected-error @+1 {{'effattn.unpacked_sizes' op expects the result type to match init, got 'tensor<?xi64>' and 'tensor<3xi64>'}}
  %r = effattn.unpacked_sizes ins(%a, %b : tensor<4x8xi64>, tensor<5x8xi64>) outs(%d : tensor<3xi64>) -> tensor<?xi64>
  return %r : tensor<?xi64>
}

// -----

func.func @fail_if_status(%c: i1) {
  // expected-error @+1 {{'effattn.fail_if' op expects 'status' to be an effattn_status error code (1 to 4), got 0}}
  effattn.fail_if %c, "no error" {status = 0 : i32}
  return
}

// -----

func.func @fail_if_message(%c: i1) {
  // expected-error @+1 {{'effattn.fail_if' op expects a non-empty message}}
  effattn.fail_if %c, "" {status = 4 : i32}
  return
}

// -----

func.func @quantize_too_many_elements(%x: tensor<4294967296x4294967296xf32>, %q: tensor<4294967296x4294967296xi32>, %s: tensor<f32>) -> tensor<4294967296x4294967296xi32> {
  // expected-error @+1 {{'effattn.quantize' op expects at most 2^48 elements, got 'tensor<4294967296x4294967296xf32>'}}
  %r:2 = effattn.quantize ins(%x : tensor<4294967296x4294967296xf32>) outs(%q, %s : tensor<4294967296x4294967296xi32>, tensor<f32>) -> tensor<4294967296x4294967296xi32>, tensor<f32>
  return %r#0 : tensor<4294967296x4294967296xi32>
}

// -----

func.func @lookup_rank(%x: tensor<8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects input [tokens..., D] of rank >= 2, got 'tensor<8xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @lookup_dynamic_d(%x: tensor<3x?xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects a static input dimension D, got 'tensor<3x?xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x?xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_code_bits(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects 'code_bits' in [1, 16], got 17}}
  %r = effattn.lookup_ffn {code_bits = 17} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_tables_rank(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<32x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects static tables [T, 2^code_bits, D_out], got 'tensor<32x4xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<32x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_table_rows(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x8x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects tables of 2^code_bits = 16 rows, got 8}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x8x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_no_tables(%x: tensor<3x8xf32>, %w: tensor<0x8xf32>, %pb: tensor<0xf32>, %t: tensor<0x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects at least one table and D_out >= 1, got 'tensor<0x16x4xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<0x8xf32>, tensor<0xf32>, tensor<0x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_bias(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<5xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects bias of shape [4], got 'tensor<5xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<5xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_init_d_out(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects init [tokens..., D_out = 4], got 'tensor<3x5xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x5xf32>) -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}

// -----

func.func @lookup_init_tokens(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects init's token dimensions to match input's, got 'tensor<2x4xf32>' and 'tensor<3x8xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

func.func @lookup_result(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf16> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects the result type to match init, got 'tensor<3x4xf16>' and 'tensor<3x4xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf16>
  return %r : tensor<3x4xf16>
}

// -----

func.func @lookup_proj_bias(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<9xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects proj_bias of shape [8], got 'tensor<9xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<9xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_dense_weight(%x: tensor<3x8xf32>, %w: tensor<8x9xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects proj_weight (dense: [T*code_bits, D]) of shape [8, 8], got 'tensor<8x9xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x9xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_projection(%x: tensor<3x8xf32>, %w: tensor<8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects 'projection' to be "dense" or "bh4", got "random"}}
  %r = effattn.lookup_ffn {code_bits = 4, projection = "random"} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_decay(%x: tensor<3x8xf32>, %w: tensor<1x4x1x8x8xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects 'decay' in [0, 1], got 1.5}}
  %r = effattn.lookup_ffn {code_bits = 4, projection = "bh4", decay = 1.5 : f32} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<1x4x1x8x8xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_bh4_shape(%x: tensor<3x6xf32>, %w: tensor<1x4x1x6x6xf32>, %pb: tensor<8xf32>, %t: tensor<2x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects proj_weight (bh4) of shape [R, 4, P/bs, bs, bs] with P = 8, got 'tensor<1x4x1x6x6xf32>'}}
  %r = effattn.lookup_ffn {code_bits = 4, projection = "bh4"} ins(%x, %w, %pb, %t, %b : tensor<3x6xf32>, tensor<1x4x1x6x6xf32>, tensor<8xf32>, tensor<2x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

func.func @lookup_bh4_repeats(%x: tensor<3x8xf32>, %w: tensor<1x4x2x4x4xf32>, %pb: tensor<12xf32>, %t: tensor<3x16x4xf32>, %b: tensor<4xf32>, %o: tensor<3x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'effattn.lookup_ffn' op expects proj_weight (bh4) to hold R = ceil(T*code_bits / P) = 2 repeats, got 1}}
  %r = effattn.lookup_ffn {code_bits = 4, projection = "bh4"} ins(%x, %w, %pb, %t, %b : tensor<3x8xf32>, tensor<1x4x2x4x4xf32>, tensor<12xf32>, tensor<3x16x4xf32>, tensor<4xf32>) outs(%o : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// expected-error @+1 {{expects a CPU name}}
module attributes {effattn.target = #effattn.cpu<cpu = "", features = [], vector_bits = 256, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 0, cores = 0>} {}

// -----

// expected-error @+1 {{expects features to be strings}}
module attributes {effattn.target = #effattn.cpu<cpu = "x", features = [1], vector_bits = 256, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 0, cores = 0>} {}

// -----

// expected-error @+1 {{expects vector_bits of 128, 256 or 512, got 100}}
module attributes {effattn.target = #effattn.cpu<cpu = "x", features = [], vector_bits = 100, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 0, cores = 0>} {}

// -----

// expected-error @+1 {{expects vector_registers >= 1, got 0}}
module attributes {effattn.target = #effattn.cpu<cpu = "x", features = [], vector_bits = 256, vector_registers = 0, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 0, cores = 0>} {}

// -----

// expected-error @+1 {{expects positive L1 and L2 sizes and a non-negative L3 size}}
module attributes {effattn.target = #effattn.cpu<cpu = "x", features = [], vector_bits = 256, vector_registers = 16, l1_bytes = 0, l2_bytes = 262144, l3_bytes = 0, cores = 0>} {}

// -----

// expected-error @+1 {{expects cores >= 0 (0: decided at run time), got -2}}
module attributes {effattn.target = #effattn.cpu<cpu = "x", features = [], vector_bits = 256, vector_registers = 16, l1_bytes = 32768, l2_bytes = 262144, l3_bytes = 0, cores = -2>} {}

// -----

// expected-error @+1 {{expects chip to be sm_<version>, got 'gfx90a'}}
module attributes {effattn.target = #effattn.gpu<chip = "gfx90a", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16"]>} {}

// -----

// expected-error @+1 {{expects sm_count >= 1, warp_size >= 1 and max_threads_per_block >= warp_size}}
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 16, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16"]>} {}

// -----

// expected-error @+1 {{expects 0 < shared_memory_per_block <= shared_memory_per_sm, got 232448 and 1024}}
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 1024, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = ["f16:m16n8k16"]>} {}

// -----

// expected-error @+1 {{expects 0 < max_registers_per_thread <= registers_per_sm, got 0 and 65536}}
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 0, mma_shapes = ["f16:m16n8k16"]>} {}

// -----

// expected-error @+1 {{expects mma_shapes to be strings}}
module attributes {effattn.target = #effattn.gpu<chip = "sm_90", features = "+ptx80", sm_count = 132, warp_size = 32, max_threads_per_block = 1024, shared_memory_per_block = 232448, shared_memory_per_sm = 233472, registers_per_sm = 65536, max_registers_per_thread = 255, mma_shapes = [16]>} {}

// -----

func.func @fq_bits(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects 'bits' in [2, 8], got 1}}
  %c, %s, %z = effattn.frame_quantize {bits = 1} %w : tensor<32x64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_redundancy(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects 'redundancy' with k = round(8 * redundancy) in [8, 32] (a tight frame of at most 4x), got 5.000000e-01}}
  %c, %s, %z = effattn.frame_quantize {redundancy = 0.5} %w : tensor<32x64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_seed(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects 'seed_out' in [0, 2^32), got -1}}
  %c, %s, %z = effattn.frame_quantize {seed_out = -1} %w : tensor<32x64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_x_sigma(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects a positive finite 'x_sigma', got 0.000000e+00}}
  %c, %s, %z = effattn.frame_quantize {x_sigma = 0.0} %w : tensor<32x64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_rank(%w: tensor<64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects weights [out, in] of rank 2, got 'tensor<64xf32>'}}
  %c, %s, %z = effattn.frame_quantize %w : tensor<64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_in(%w: tensor<32x60xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects a static in that is a multiple of 16 (the frame's block width), got 60}}
  %c, %s, %z = effattn.frame_quantize %w : tensor<32x60xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_out(%w: tensor<30x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects a static out (with seed_out) that is a multiple of 16 (the frame's block width), got 30}}
  %c, %s, %z = effattn.frame_quantize {seed_out = 1} %w : tensor<30x64xf32> -> tensor<30x8xi32>, tensor<30xf32>, tensor<30xf32>
  return
}

// -----

func.func @fq_dynamic_out(%w: tensor<?x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects a static out dimension}}
  %c, %s, %z = effattn.frame_quantize %w : tensor<?x64xf32> -> tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_codes(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects codes of shape [2, 4, 16] (the 32 rows in groups of 16, 16 of the 64 frame coefficients per word), got 'tensor<32x4xi32>'}}
  %c, %s, %z = effattn.frame_quantize %w : tensor<32x64xf32> -> tensor<32x4xi32>, tensor<32xf32>, tensor<32xf32>
  return
}

// -----

func.func @fq_scale(%w: tensor<32x64xf32>) {
  // expected-error @+1 {{'effattn.frame_quantize' op expects scale of shape [32], got 'tensor<32x1xf32>'}}
  %c, %s, %z = effattn.frame_quantize %w : tensor<32x64xf32> -> tensor<2x4x16xi32>, tensor<32x1xf32>, tensor<32xf32>
  return
}

// -----

func.func @fl_rank(%x: tensor<4x64xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects input [..., in] and init [..., out] of the same rank >= 1, got 'tensor<4x64xf32>' and 'tensor<32xf32>'}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<32xf32>) -> tensor<32xf32>
  return
}

// -----

func.func @fl_batch(%x: tensor<4x64xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<5x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects init's batch dimension 0 to match input's (4), got 5}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<5x32xf32>) -> tensor<5x32xf32>
  return
}

// -----

func.func @fl_in(%x: tensor<4x?xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects a static in that is a multiple of 16 (the frame's block width), got ?}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x?xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fl_out(%x: tensor<4x64xf32>, %c: tensor<40x8xi32>, %s: tensor<40xf32>, %init: tensor<4x40xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects a static out (with seed_out) that is a multiple of 16 (the frame's block width), got 40}}
  %y = effattn.frame_linear {seed_out = 2} ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<40x8xi32>, tensor<40xf32>, tensor<40xf32>) outs(%init : tensor<4x40xf32>) -> tensor<4x40xf32>
  return
}

// -----

func.func @fl_dynamic_out(%x: tensor<4x64xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<4x?xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects a static out dimension}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x?xf32>) -> tensor<4x?xf32>
  return
}

// -----

func.func @fl_codes(%x: tensor<4x64xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects codes of shape [3, 5, 16] (the 36 rows in groups of 16, 16 of the 72 frame coefficients per word), got 'tensor<32x8xi32>'}}
  %y = effattn.frame_linear {redundancy = 1.1, seed_out = 3} ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fl_zero(%x: tensor<4x64xf32>, %c: tensor<2x4x16xi32>, %s: tensor<32xf32>, %z: tensor<16xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects zero of shape [32], got 'tensor<16xf32>'}}
  %y = effattn.frame_linear ins(%x, %c, %s, %z : tensor<4x64xf32>, tensor<2x4x16xi32>, tensor<32xf32>, tensor<16xf32>) outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fl_bits(%x: tensor<4x64xf32>, %c: tensor<32x8xi32>, %s: tensor<32xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects 'bits' in [2, 8], got 9}}
  %y = effattn.frame_linear {bits = 9} ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<32x8xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @fl_result(%x: tensor<4x64xf32>, %c: tensor<2x4x16xi32>, %s: tensor<32xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects the result type to equal init's type 'tensor<4x32xf32>', got 'tensor<?x32xf32>'}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x64xf32>, tensor<2x4x16xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) -> tensor<?x32xf32>
  return
}

// -----

func.func @fl_huge_in(%x: tensor<4x131072xf32>, %c: tensor<32x8192xi32>, %s: tensor<32xf32>, %init: tensor<4x32xf32>) {
  // expected-error @+1 {{'effattn.frame_linear' op expects in <= 65536, got 131072}}
  %y = effattn.frame_linear ins(%x, %c, %s, %s : tensor<4x131072xf32>, tensor<32x8192xi32>, tensor<32xf32>, tensor<32xf32>) outs(%init : tensor<4x32xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @table_lookup_lanes(%t: vector<8xf32>, %i: vector<16xi32>) -> vector<8xf32> {
  // expected-error @+1 {{'effattn.table_lookup' op operand #0 must be vector of 32-bit float values of length 16, but got 'vector<8xf32>'}}
  %r = effattn.table_lookup %t[%i] : vector<8xf32>, vector<16xi32>
  return %r : vector<8xf32>
}

// -----

// expected-error @+1 {{expects vector_width to be a power of two in [1, 64], got 12}}
func.func private @flash_width() attributes {config = #effattn.flash_config<vector_width = 12, query_tile = 24, key_block = 8, key_register_tile = 4, value_register_tile = 4>}

// -----

// expected-error @+1 {{expects query_tile to be 1 to 16 multiples of vector_width, got 20}}
func.func private @flash_query_tile() attributes {config = #effattn.flash_config<vector_width = 8, query_tile = 20, key_block = 8, key_register_tile = 4, value_register_tile = 4>}

// -----

// expected-error @+1 {{expects register tiles in [1, 16], got key_register_tile 17 and value_register_tile 4}}
func.func private @flash_register_tiles() attributes {config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 34, key_register_tile = 17, value_register_tile = 4>}

// -----

// expected-error @+1 {{expects key_block to be a positive multiple of key_register_tile, got 10}}
func.func private @flash_key_block() attributes {config = #effattn.flash_config<vector_width = 8, query_tile = 16, key_block = 10, key_register_tile = 4, value_register_tile = 4>}

// -----

// expected-error @+1 {{expects positive threads and tile sizes}}
func.func private @gemm_config_zero() attributes {config = #effattn.gemm_config<threads = 0, mc = 64, nc = 64, kc = 64, mr = 8, nr = 16>}

// -----

// expected-error @+1 {{expects a register tile of at most 16 x 64, got 17 x 16}}
func.func private @gemm_config_register_tile() attributes {config = #effattn.gemm_config<threads = 1, mc = 68, nc = 64, kc = 64, mr = 17, nr = 16>}

// -----

// expected-error @+1 {{expects nr to divide nc and mr <= mc, got mc = 64, nc = 40, mr = 8, nr = 16}}
func.func private @gemm_config_nr() attributes {config = #effattn.gemm_config<threads = 1, mc = 64, nc = 40, kc = 64, mr = 8, nr = 16>}

// -----

// expected-error @+1 {{expects vector_width to be a power of two in [1, 64], got 12}}
func.func private @pair_config_width() attributes {config = #effattn.pair_gemm_config<vector_width = 12, mr = 4, nr = 24>}

// -----

// expected-error @+1 {{expects mr in [1, 16], got 0}}
func.func private @pair_config_mr() attributes {config = #effattn.pair_gemm_config<vector_width = 8, mr = 0, nr = 16>}

// -----

// expected-error @+1 {{expects nr to be 1 to 16 multiples of vector_width, got 20}}
func.func private @pair_config_nr() attributes {config = #effattn.pair_gemm_config<vector_width = 8, mr = 4, nr = 20>}

// -----

func.func @pairs_lanes(%x: vector<16xi16>, %acc: vector<16xi32>) -> vector<16xi32> {
  // expected-error @+1 {{'effattn.multiply_add_pairs' op expects i16 operands of twice the lanes of the accumulator, got 16 and 16}}
  %r = effattn.multiply_add_pairs %x, %x, %acc : vector<16xi16>, vector<16xi32>
  return %r : vector<16xi32>
}

// -----

func.func @block_sparse_element_types(%q: tensor<2x64x16xf16>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf16>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op failed to verify that all of {query, key, value} have same element type}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf16>, tensor<2x64x16xf32>, tensor<2x64x8xf16>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_block_size(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects 'block_size' >= 1, got 0}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 0} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_sequence(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects a static sequence length N that is a positive multiple of 'block_size' = 48, got 64}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 48} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_rank(%q: tensor<64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects query of rank 3 ([BH, N, D]), got 'tensor<64x16xf32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_key(%q: tensor<2x64x16xf32>, %k: tensor<2x64x12xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects key of shape [2, 64, 16], got 'tensor<2x64x12xf32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x12xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_value(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x32x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects value of shape [2, 64, 8], got 'tensor<2x32x8xf32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x32x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_columns(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x8x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects columns of shape [2, 4, 4], got 'tensor<2x8x4xi32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x8x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_counts(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4x1xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects counts of shape [2, 4], got 'tensor<2x4x1xi32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4x1xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_result(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects result of shape [2, 64, 8], got 'tensor<2x64x4xf32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x4xf32>
  %x = tensor.cast %r : tensor<2x64x4xf32> to tensor<2x64x8xf32>
  return %x : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_mask(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32, %m: tensor<2x32xi1>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects mask of shape [2, 64], got 'tensor<2x32xi1>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) mask(%m : tensor<2x32xi1>) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_low_resolution_partial(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32, %num: tensor<2x4x8xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects all three low-resolution operands (lo_num, lo_den, lo_max) or none}}
  %r = "effattn.block_sparse_attention"(%q, %k, %v, %c, %n, %s, %num) {block_size = 16 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 1, 0, 0>} : (tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32>, f32, tensor<2x4x8xf32>) -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @block_sparse_low_resolution_shape(%q: tensor<2x64x16xf32>, %k: tensor<2x64x16xf32>, %v: tensor<2x64x8xf32>, %c: tensor<2x4x4xi32>, %n: tensor<2x4xi32>, %s: f32, %num: tensor<2x4x16xf32>, %den: tensor<2x4xf32>, %max: tensor<2x4xf32>) -> tensor<2x64x8xf32> {
  // expected-error @+1 {{'effattn.block_sparse_attention' op expects lo_num of shape [2, 4, 8], got 'tensor<2x4x16xf32>'}}
  %r = effattn.block_sparse_attention %q, %k, %v blocks(%c, %n) scale(%s) low_resolution(%num, %den, %max : tensor<2x4x16xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {block_size = 16} : tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x8xf32>, tensor<2x4x4xi32>, tensor<2x4xi32> -> tensor<2x64x8xf32>
  return %r : tensor<2x64x8xf32>
}

// -----

func.func @kth_largest_rank(%x: tensor<256xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects input of rank 2 ([R, L]), got 'tensor<256xi32>'}}
  %t = effattn.kth_largest %x {k = 1} : tensor<256xi32> -> tensor<4xi32>
  return %t : tensor<4xi32>
}

// -----

func.func @kth_largest_dynamic_length(%x: tensor<4x?xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects a static row length L, got 'tensor<4x?xi32>'}}
  %t = effattn.kth_largest %x {k = 1} : tensor<4x?xi32> -> tensor<4xi32>
  return %t : tensor<4xi32>
}

// -----

func.func @kth_largest_k_zero(%x: tensor<4x256xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects 1 <= 'k' <= L = 256, got 0}}
  %t = effattn.kth_largest %x {k = 0} : tensor<4x256xi32> -> tensor<4xi32>
  return %t : tensor<4xi32>
}

// -----

func.func @kth_largest_k_past_row(%x: tensor<4x256xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects 1 <= 'k' <= L = 256, got 257}}
  %t = effattn.kth_largest %x {k = 257} : tensor<4x256xi32> -> tensor<4xi32>
  return %t : tensor<4xi32>
}

// -----

func.func @kth_largest_result_rows(%x: tensor<4x256xi32>) -> tensor<3xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects result of shape [4], got 'tensor<3xi32>'}}
  %t = effattn.kth_largest %x {k = 1} : tensor<4x256xi32> -> tensor<3xi32>
  return %t : tensor<3xi32>
}

// -----

func.func @kth_largest_result_rank(%x: tensor<4x256xi32>) -> tensor<4x1xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op expects result of shape [4], got 'tensor<4x1xi32>'}}
  %t = effattn.kth_largest %x {k = 1} : tensor<4x256xi32> -> tensor<4x1xi32>
  return %t : tensor<4x1xi32>
}

// -----

func.func @kth_largest_element_type(%x: tensor<4x256xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'effattn.kth_largest' op operand #0 must be ranked tensor of 32-bit signless integer values, but got 'tensor<4x256xf32>'}}
  %t = effattn.kth_largest %x {k = 1} : tensor<4x256xf32> -> tensor<4xi32>
  return %t : tensor<4xi32>
}
