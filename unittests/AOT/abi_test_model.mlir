// The model the C ABI tests call: causal, masked attention in f32 and an
// unmasked f16 variant, compiled by effattn-compile at build time.

func.func @attention(%q: tensor<2x6x8xf32>, %k: tensor<2x9x8xf32>,
                     %v: tensor<2x9x4xf32>, %mask: tensor<2x9xi1>)
    -> tensor<2x6x4xf32> {
  %init = tensor.empty() : tensor<2x6x4xf32>
  %r = effattn.attention {causal}
      ins(%q, %k, %v : tensor<2x6x8xf32>, tensor<2x9x8xf32>, tensor<2x9x4xf32>)
      mask(%mask : tensor<2x9xi1>)
      outs(%init : tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
  return %r : tensor<2x6x4xf32>
}

func.func @attention_f16(%q: tensor<5x8xf16>, %k: tensor<7x8xf16>,
                         %v: tensor<7x8xf16>) -> tensor<5x8xf16> {
  %init = tensor.empty() : tensor<5x8xf16>
  %r = effattn.attention
      ins(%q, %k, %v : tensor<5x8xf16>, tensor<7x8xf16>, tensor<7x8xf16>)
      outs(%init : tensor<5x8xf16>) -> tensor<5x8xf16>
  return %r : tensor<5x8xf16>
}

/// Private helpers are not part of the C interface.
func.func private @unused_helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

/// A data-dependent error: products that could overflow i64 make the call
/// return EFFATTN_ERROR_OUT_OF_RANGE.
func.func @exact_product(%a: tensor<3x4xi64>, %b: tensor<2x4xi64>)
    -> tensor<3x2xi64> {
  %init = tensor.empty() : tensor<3x2xi64>
  %r = effattn.unpacked_matmul {bits = 8, strategy = "both"}
      ins(%a, %b : tensor<3x4xi64>, tensor<2x4xi64>)
      outs(%init : tensor<3x2xi64>) -> tensor<3x2xi64>
  return %r : tensor<3x2xi64>
}
